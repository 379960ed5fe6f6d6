-- Migration tenant_estimates stopped ANALYZE from keeping statistics for tenant_id of ledger_entry and
-- ledger_checkpoint, but ANALYZE leaves a column's old statistics in place when it stops keeping them: a database
-- that had them went on estimating a tenant it had not seen at one row, and on reading that tenant's whole ledger
-- for each account folded. They are removed here where the migration may (pg_statistic belongs to superusers);
-- docs/operations.md says how to remove them elsewhere.
DO $$
BEGIN
    IF (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
        DELETE FROM pg_statistic s USING pg_attribute a
         WHERE a.attrelid = s.starelid AND a.attnum = s.staattnum AND a.attname = 'tenant_id'
           AND s.starelid IN ('ledger_entry'::regclass, 'ledger_checkpoint'::regclass);
    END IF;
END
$$;
