-- CreateEnum
CREATE TYPE "ledger_entry_type" AS ENUM ('Addition', 'Deduction', 'Expiry');

-- AlterTable
ALTER TABLE "tenant" ADD COLUMN     "require_known_contacts" BOOLEAN NOT NULL DEFAULT false;

-- CreateTable
CREATE TABLE "ledger_entry" (
    "id" BIGSERIAL NOT NULL,
    "tenant_id" UUID NOT NULL,
    "account_id" BIGINT NOT NULL,
    "type" "ledger_entry_type" NOT NULL,
    "amount" INTEGER NOT NULL,
    "source" TEXT NOT NULL,
    "description" TEXT NOT NULL,
    "transaction_date" TIMESTAMPTZ(3) NOT NULL,
    "valid_from" TIMESTAMPTZ(3) NOT NULL,
    "valid_to" TIMESTAMPTZ(3),
    "batch_id" UUID,
    "item_index" INTEGER,
    "expires_entry_id" BIGINT,
    "lapse_recorded" BOOLEAN NOT NULL DEFAULT false,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "modified_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ledger_entry_pkey" PRIMARY KEY ("tenant_id","id")
);

-- CreateTable
CREATE TABLE "contact" (
    "tenant_id" UUID NOT NULL,
    "contact_id" UUID NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "contact_pkey" PRIMARY KEY ("tenant_id","contact_id")
);

-- CreateTable
CREATE TABLE "idempotency_key" (
    "tenant_id" UUID NOT NULL,
    "key" TEXT NOT NULL,
    "request_hash" TEXT NOT NULL,
    "claim_token" UUID NOT NULL,
    "claimed_at" TIMESTAMPTZ(3) NOT NULL,
    "response" JSON,
    "batch_id" UUID,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "idempotency_key_pkey" PRIMARY KEY ("tenant_id","key")
);

-- CreateIndex
CREATE INDEX "ledger_entry_tenant_id_account_id_transaction_date_id_idx" ON "ledger_entry"("tenant_id", "account_id", "transaction_date" DESC, "id" DESC);

-- CreateIndex
CREATE INDEX "ledger_entry_balance_idx" ON "ledger_entry"("tenant_id", "account_id", "valid_from", "valid_to", "amount", "type");

-- CreateIndex
CREATE INDEX "ledger_entry_tenant_id_lapse_recorded_valid_to_idx" ON "ledger_entry"("tenant_id", "lapse_recorded", "valid_to");

-- CreateIndex
CREATE UNIQUE INDEX "ledger_entry_tenant_id_batch_id_item_index_key" ON "ledger_entry"("tenant_id", "batch_id", "item_index");

-- CreateIndex
CREATE UNIQUE INDEX "ledger_entry_tenant_id_expires_entry_id_key" ON "ledger_entry"("tenant_id", "expires_entry_id");

-- CreateIndex
CREATE INDEX "idempotency_key_expires_at_idx" ON "idempotency_key"("expires_at");

-- AddForeignKey
ALTER TABLE "ledger_entry" ADD CONSTRAINT "ledger_entry_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenant"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ledger_entry" ADD CONSTRAINT "ledger_entry_account_id_fkey" FOREIGN KEY ("account_id") REFERENCES "point_account"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "contact" ADD CONSTRAINT "contact_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenant"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "idempotency_key" ADD CONSTRAINT "idempotency_key_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenant"("id") ON DELETE CASCADE ON UPDATE CASCADE;
