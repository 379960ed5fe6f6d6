-- Contacts people can recognise: a display name, email, phone and member number per known contact, with the
-- search forms the contact card looks them up by. Names are found by prefix or contains through a trigram index:
-- pg_trgm ships with Postgres (contrib) and is a trusted extension, so the database owner may create it.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
-- btree_gin (contrib, trusted too) lets the name index lead with tenant_id, as every tenant-owned index does.
CREATE EXTENSION IF NOT EXISTS btree_gin;

-- AlterTable
ALTER TABLE "contact" ADD COLUMN     "details_at" TIMESTAMPTZ(3),
ADD COLUMN     "display_name" TEXT,
ADD COLUMN     "email" TEXT,
ADD COLUMN     "email_key" TEXT,
ADD COLUMN     "erased_at" TIMESTAMPTZ(3),
ADD COLUMN     "member_number" TEXT,
ADD COLUMN     "member_number_key" TEXT,
ADD COLUMN     "name_key" TEXT,
ADD COLUMN     "phone" TEXT,
ADD COLUMN     "phone_digits" TEXT,
ADD COLUMN     "phone_tail" TEXT;

-- CreateIndex
CREATE INDEX "contact_tenant_id_email_key_idx" ON "contact"("tenant_id", "email_key");

-- CreateIndex
CREATE INDEX "contact_tenant_id_phone_tail_idx" ON "contact"("tenant_id", "phone_tail");

-- CreateIndex
CREATE INDEX "contact_tenant_id_member_number_key_idx" ON "contact"("tenant_id", "member_number_key");

-- CreateIndex
CREATE INDEX "contact_name_key_trgm_idx" ON "contact" USING GIN ("tenant_id" uuid_ops, "name_key" gin_trgm_ops);
