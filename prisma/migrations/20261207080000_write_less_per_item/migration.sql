-- Write less per pushed balance (docs/performance.md, "Ten million accounts").
--
-- A balance update changes no indexed column of point_account. With room left
-- on its page, Postgres keeps the new version there (a HOT update): no entry
-- in any of the table's three indexes, and the old version is pruned when the
-- page is next read, without waiting for a vacuum. At fillfactor 100 (the
-- default) every page is full after the first push, so a full sync moved
-- every account to another page and wrote all three indexes.
-- Half of each page is left free: a master that sends its accounts in the
-- same order every night updates a page's accounts together, in one batch,
-- before any old version can be pruned, so each row needs room for a second
-- version. It costs no disk in the end: updates that leave their page also
-- leave every row's old version behind, which doubles the table as well.
-- Existing pages keep their layout until the table is rewritten (VACUUM FULL
-- or pg_repack, in a maintenance window); new pages leave the room at once.
ALTER TABLE "point_account" SET (fillfactor = 50);

-- Vacuum settings for the tables that grow with every push, for servers whose
-- own defaults are used (deploy/postgresql.conf turns autovacuum on):
-- history is appended to only; a vacuum after each 5% of new rows keeps its
-- visibility map current, so the chart's reads stay index-only.
ALTER TABLE "balance_history" SET (autovacuum_vacuum_insert_scale_factor = 0.05, autovacuum_analyze_scale_factor = 0.05);
-- Batches change status two or three times each, their items (stored out of
-- line, in the TOAST table) are dropped once applied, and the rows are
-- deleted after their retention (docs/operations.md): room for the status
-- versions on the page, and a vacuum after each 5% of dead rows, of the table
-- and of its TOAST table, so new batches reuse the space instead of growing
-- the files. A vacuum never cuts the files' empty tail: that takes a lock
-- which makes every accepting INSERT wait (seen as Lock:relation waits of the
-- accept in the bench).
ALTER TABLE "ingest_batch" SET (
  fillfactor = 70,
  autovacuum_vacuum_scale_factor = 0.05,
  vacuum_truncate = false,
  toast.autovacuum_vacuum_scale_factor = 0.05,
  toast.vacuum_truncate = false
);
