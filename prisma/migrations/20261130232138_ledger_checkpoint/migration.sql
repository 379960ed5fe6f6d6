-- DropIndex
DROP INDEX "ledger_entry_balance_idx";

-- DropIndex
DROP INDEX "ledger_entry_tenant_id_lapse_recorded_valid_to_idx";

-- AlterTable
ALTER TABLE "ledger_entry" ADD COLUMN     "settled" BOOLEAN NOT NULL DEFAULT false;

-- CreateTable
CREATE TABLE "ledger_checkpoint" (
    "tenant_id" UUID NOT NULL,
    "account_id" BIGINT NOT NULL,
    "settled_through" TIMESTAMPTZ(3) NOT NULL,
    "balance" BIGINT NOT NULL DEFAULT 0,
    "entries" BIGINT NOT NULL DEFAULT 0,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ledger_checkpoint_pkey" PRIMARY KEY ("tenant_id","account_id")
);

-- Backfill, before the indexes are built. Expiry entries never count at any instant: covered from the start, adding nothing.
UPDATE "ledger_entry" SET "settled" = true WHERE "type" = 'Expiry';

-- Entries whose lapse is already recorded settled at their validTo; the sweeps only look at unsettled entries, so they are
-- covered here (they add nothing: they no longer count). Never-expiring entries are left to the first sweep.
INSERT INTO "ledger_checkpoint" ("tenant_id", "account_id", "settled_through", "balance", "entries")
SELECT "tenant_id", "account_id", max("valid_to"), 0, count(*) FROM "ledger_entry"
 WHERE "lapse_recorded" AND "type" <> 'Expiry' GROUP BY "tenant_id", "account_id";
UPDATE "ledger_entry" SET "settled" = true WHERE "lapse_recorded" AND "type" <> 'Expiry';

-- CreateIndex
CREATE INDEX "ledger_entry_balance_idx" ON "ledger_entry"("tenant_id", "account_id", "settled", "valid_from", "valid_to", "amount", "type");

-- CreateIndex
CREATE INDEX "ledger_entry_unsettled_idx" ON "ledger_entry"("tenant_id", "settled", "valid_to", "valid_from");
