-- Amounts, balances and differences become exact decimals with 4 places, as Engage keeps them
-- (docs/point-master-guide.md, "Amounts"). Every integer already stored converts exactly. Each
-- ALTER rewrites its table and rebuilds its indexes under an exclusive lock: on a large ledger
-- run it in a quiet hour.

-- AlterTable
ALTER TABLE "balance_history" ALTER COLUMN "amount" SET DATA TYPE DECIMAL(19,4) USING "amount"::numeric(19,4),
ALTER COLUMN "balance" SET DATA TYPE DECIMAL(19,4) USING "balance"::numeric(19,4);

-- AlterTable
ALTER TABLE "ledger_checkpoint" ALTER COLUMN "balance" SET DEFAULT 0,
ALTER COLUMN "balance" SET DATA TYPE DECIMAL(19,4) USING "balance"::numeric(19,4);

-- AlterTable
ALTER TABLE "ledger_entry" ALTER COLUMN "amount" SET DATA TYPE DECIMAL(19,4) USING "amount"::numeric(19,4);

-- AlterTable
ALTER TABLE "member_level_change" ALTER COLUMN "qualifying" SET DATA TYPE DECIMAL(19,4) USING "qualifying"::numeric(19,4);

-- AlterTable
ALTER TABLE "point_account" ALTER COLUMN "balance" SET DEFAULT 0,
ALTER COLUMN "balance" SET DATA TYPE DECIMAL(19,4) USING "balance"::numeric(19,4),
ALTER COLUMN "last_change" SET DEFAULT 0,
ALTER COLUMN "last_change" SET DATA TYPE DECIMAL(19,4) USING "last_change"::numeric(19,4);

-- AlterTable
ALTER TABLE "point_adjustment" ALTER COLUMN "amount" SET DATA TYPE DECIMAL(19,4) USING "amount"::numeric(19,4);

-- AlterTable
ALTER TABLE "reconciliation_drift" ALTER COLUMN "master_balance" SET DATA TYPE DECIMAL(19,4) USING "master_balance"::numeric(19,4),
ALTER COLUMN "follower_balance" SET DATA TYPE DECIMAL(19,4) USING "follower_balance"::numeric(19,4),
ALTER COLUMN "difference" SET DATA TYPE DECIMAL(19,4) USING "difference"::numeric(19,4);

-- AlterTable
ALTER TABLE "reconciliation_line" ALTER COLUMN "balance" SET DATA TYPE DECIMAL(19,4) USING "balance"::numeric(19,4);
