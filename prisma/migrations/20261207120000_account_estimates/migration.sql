-- The same planner trap as migration tenant_estimates, on the accounts. Every foreign key to an account (from the
-- ledger, its checkpoints, balance history and events) is checked by `WHERE tenant_id = $1 AND id = $2`, once per
-- row written. For a tenant that ANALYZE did not see among the most common values (a new retailer's first load,
-- or any tenant beside a larger one), the planner estimated one row, so any index that leads with tenant_id would
-- do; it took (tenant_id, guid) and read all of the tenant's accounts for each check. On a database with the
-- shipped settings, `npm run bench -- --scale 0.5` made 110,000 such checks at 233 buffer reads each (10.3 s of
-- the run; the (tenant_id, guid) index read 26 million entries). With no statistics kept for tenant_id, a tenant
-- is estimated at the planner's default share of the table, and the key's own index is always the cheaper.
ALTER TABLE "point_account" ALTER COLUMN "tenant_id" SET STATISTICS 0;

-- ANALYZE leaves a column's old statistics in place when it stops keeping them, so a database that had them would
-- go on estimating a tenant it did not see at one row. They are removed here for this column and the two of
-- migration tenant_estimates, where the migration may (pg_statistic belongs to superusers); elsewhere
-- docs/operations.md says how.
DO $$
BEGIN
    IF (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
        DELETE FROM pg_statistic s USING pg_attribute a
         WHERE a.attrelid = s.starelid AND a.attnum = s.staattnum AND a.attname = 'tenant_id'
           AND s.starelid IN ('point_account'::regclass, 'ledger_entry'::regclass, 'ledger_checkpoint'::regclass);
    END IF;
END
$$;
