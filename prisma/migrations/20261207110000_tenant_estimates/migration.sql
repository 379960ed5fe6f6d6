-- The ledger's statements look up one account's entries by (tenant_id, account_id). A tenant that ANALYZE did
-- not see among the most common values (one that grew since, as a new retailer's first load does) was estimated
-- at a single row, so for the planner any index that leads with tenant_id would do; it took the smallest,
-- (tenant_id, sequence), and read all of the tenant's entries once per account folded: a fold of one batch took
-- 256 ms on a database with the shipped settings, against 38 ms with the account's own index. With no statistics
-- kept for tenant_id, a tenant is estimated at the planner's default share of the table, never at one row, and
-- an index that also names the account is always the cheaper. The same holds for the checkpoints, read by account.
ALTER TABLE "ledger_entry" ALTER COLUMN "tenant_id" SET STATISTICS 0;
ALTER TABLE "ledger_checkpoint" ALTER COLUMN "tenant_id" SET STATISTICS 0;
