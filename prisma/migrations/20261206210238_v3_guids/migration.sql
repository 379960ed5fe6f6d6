-- Engage v3 ids: every account and ledger entry gets a stable GUID beside its integer id. gen_random_uuid() is volatile,
-- so adding the column computes it per row: existing rows each get their own.
-- AlterTable
ALTER TABLE "ledger_entry" ADD COLUMN     "guid" UUID NOT NULL DEFAULT gen_random_uuid();

-- AlterTable
ALTER TABLE "point_account" ADD COLUMN     "guid" UUID NOT NULL DEFAULT gen_random_uuid();

-- CreateIndex
CREATE UNIQUE INDEX "ledger_entry_tenant_id_guid_key" ON "ledger_entry"("tenant_id", "guid");

-- CreateIndex
CREATE UNIQUE INDEX "point_account_tenant_id_guid_key" ON "point_account"("tenant_id", "guid");
