-- AlterTable
ALTER TABLE "balance_history" ALTER COLUMN "amount" SET DATA TYPE BIGINT;

-- AlterTable
ALTER TABLE "point_account" ALTER COLUMN "last_change" SET DATA TYPE BIGINT;
