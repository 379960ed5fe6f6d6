-- A foreign key to an account (from ledger_entry) is checked with `WHERE tenant_id = $1 AND id = $2`, once per row
-- written. For a tenant that ANALYZE had not seen among the most common values (a new retailer's first load beside
-- a larger tenant), the planner estimated one row, and every index led by tenant_id then cost the same as the
-- primary key; it took (tenant_id, guid) and read all of the tenant's accounts for each check (`npm run bench --
-- --scale 0.5`, shipped settings: 110,000 checks at 233 buffers each, 10.3 s of the run). Keeping no statistics
-- for the column closed that but made a tenant of a million accounts look like 5,000, and whole-tenant joins
-- (a reconciliation compare) planned as nested loops. Instead the two unique keys lead with their own column:
-- the primary key is then the only index that serves a lookup by tenant and id, and lookups by contact or guid
-- name the tenant as the key's second column. Every statement that used them names the contact or the guid.
-- Building the two indexes locks the table against writes while it runs: 3.1 s for both at 1.3 million accounts
-- on a 2-core machine (shipped settings), so expect half a minute or more at ten million; run it in a quiet hour.
-- DropIndex
DROP INDEX "point_account_tenant_id_contact_id_definition_id_key";

-- DropIndex
DROP INDEX "point_account_tenant_id_guid_key";

-- CreateIndex
CREATE UNIQUE INDEX "point_account_contact_id_tenant_id_definition_id_key" ON "point_account"("contact_id", "tenant_id", "definition_id");

-- CreateIndex
CREATE UNIQUE INDEX "point_account_guid_tenant_id_key" ON "point_account"("guid", "tenant_id");
