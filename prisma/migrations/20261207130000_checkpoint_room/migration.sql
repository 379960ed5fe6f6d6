-- Every apply moves the checkpoint of each account it reaches on (ledger_walk). Most moves change no indexed
-- column (settled_through and updated_at; next_event_at stays when the new rows bring no earlier event), so with
-- room left on the page Postgres keeps the new version there (a HOT update) and writes neither index. At the
-- default fillfactor 100 every page was full, and all but 5% of the moves went to another page and wrote both
-- indexes (n_tup_hot_upd in `npm run bench -- --scale 0.5`: 3,828 of 80,000). Existing pages keep their layout
-- until the table is rewritten (as for point_account in migration write_less_per_item).
ALTER TABLE "ledger_checkpoint" SET (fillfactor = 70);
