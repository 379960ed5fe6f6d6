-- DropForeignKey
ALTER TABLE "batch_message" DROP CONSTRAINT "batch_message_batch_id_fkey";

-- DropForeignKey
ALTER TABLE "ledger_entry" DROP CONSTRAINT "ledger_entry_account_id_fkey";

-- DropForeignKey
ALTER TABLE "ui_session" DROP CONSTRAINT "ui_session_user_id_fkey";

-- DropForeignKey
ALTER TABLE "webhook_delivery" DROP CONSTRAINT "webhook_delivery_adjustment_id_fkey";

-- DropIndex
DROP INDEX "api_key_tenant_id_idx";

-- DropIndex
DROP INDEX "balance_history_account_id_id_idx";

-- DropIndex
DROP INDEX "batch_message_batch_id_id_idx";

-- DropIndex
DROP INDEX "point_adjustment_seq_key";

-- DropIndex
DROP INDEX "ui_session_user_id_idx";

-- DropIndex
DROP INDEX "webhook_delivery_adjustment_id_key";

-- AlterTable
ALTER TABLE "api_key" DROP CONSTRAINT "api_key_pkey",
ADD CONSTRAINT "api_key_pkey" PRIMARY KEY ("tenant_id", "id");

-- AlterTable: balance_history and batch_message reached their tenant through a parent row; they now
-- carry it. Added nullable, filled from the parent, then made required, so rows already there keep working.
ALTER TABLE "balance_history" ADD COLUMN "tenant_id" UUID;
UPDATE "balance_history" h SET "tenant_id" = a."tenant_id" FROM "point_account" a WHERE a."id" = h."account_id";
-- History rows never lost their account (accounts are never deleted); one that did would have no tenant to belong to.
DELETE FROM "balance_history" WHERE "tenant_id" IS NULL;
ALTER TABLE "balance_history" ALTER COLUMN "tenant_id" SET NOT NULL,
DROP CONSTRAINT "balance_history_pkey",
ADD CONSTRAINT "balance_history_pkey" PRIMARY KEY ("tenant_id", "id");

ALTER TABLE "batch_message" ADD COLUMN "tenant_id" UUID;
-- Every message has its batch (the foreign key, dropped above, held it).
UPDATE "batch_message" m SET "tenant_id" = b."tenant_id" FROM "ingest_batch" b WHERE b."id" = m."batch_id";
ALTER TABLE "batch_message" ALTER COLUMN "tenant_id" SET NOT NULL,
DROP CONSTRAINT "batch_message_pkey",
ADD CONSTRAINT "batch_message_pkey" PRIMARY KEY ("tenant_id", "id");

-- AlterTable
ALTER TABLE "ingest_batch" DROP CONSTRAINT "ingest_batch_pkey",
ADD CONSTRAINT "ingest_batch_pkey" PRIMARY KEY ("tenant_id", "id");

-- AlterTable
ALTER TABLE "point_account" DROP CONSTRAINT "point_account_pkey",
ADD CONSTRAINT "point_account_pkey" PRIMARY KEY ("tenant_id", "id");

-- AlterTable
ALTER TABLE "point_adjustment" DROP CONSTRAINT "point_adjustment_pkey",
ADD CONSTRAINT "point_adjustment_pkey" PRIMARY KEY ("tenant_id", "id");

-- AlterTable: user sessions carry their user's tenant; admin sessions have no user and no tenant.
ALTER TABLE "ui_session" ADD COLUMN     "tenant_id" UUID;
UPDATE "ui_session" s SET "tenant_id" = u."tenant_id" FROM "ui_user" u WHERE u."id" = s."user_id";

-- AlterTable
ALTER TABLE "ui_user" DROP CONSTRAINT "ui_user_pkey",
ADD CONSTRAINT "ui_user_pkey" PRIMARY KEY ("tenant_id", "id");

-- AlterTable
ALTER TABLE "webhook_delivery" DROP CONSTRAINT "webhook_delivery_pkey",
ADD CONSTRAINT "webhook_delivery_pkey" PRIMARY KEY ("tenant_id", "id");

-- CreateIndex
CREATE INDEX "balance_history_tenant_id_account_id_id_idx" ON "balance_history"("tenant_id", "account_id", "id");

-- CreateIndex
CREATE INDEX "batch_message_tenant_id_batch_id_id_idx" ON "batch_message"("tenant_id", "batch_id", "id");

-- CreateIndex
CREATE UNIQUE INDEX "point_adjustment_tenant_id_seq_key" ON "point_adjustment"("tenant_id", "seq");

-- CreateIndex
CREATE INDEX "ui_session_tenant_id_user_id_idx" ON "ui_session"("tenant_id", "user_id");

-- CreateIndex
CREATE UNIQUE INDEX "webhook_delivery_tenant_id_adjustment_id_key" ON "webhook_delivery"("tenant_id", "adjustment_id");

-- AddForeignKey
ALTER TABLE "batch_message" ADD CONSTRAINT "batch_message_tenant_id_batch_id_fkey" FOREIGN KEY ("tenant_id", "batch_id") REFERENCES "ingest_batch"("tenant_id", "id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ledger_entry" ADD CONSTRAINT "ledger_entry_tenant_id_account_id_fkey" FOREIGN KEY ("tenant_id", "account_id") REFERENCES "point_account"("tenant_id", "id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "webhook_delivery" ADD CONSTRAINT "webhook_delivery_tenant_id_adjustment_id_fkey" FOREIGN KEY ("tenant_id", "adjustment_id") REFERENCES "point_adjustment"("tenant_id", "id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ui_session" ADD CONSTRAINT "ui_session_tenant_id_user_id_fkey" FOREIGN KEY ("tenant_id", "user_id") REFERENCES "ui_user"("tenant_id", "id") ON DELETE CASCADE ON UPDATE CASCADE;
