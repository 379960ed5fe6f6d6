-- DropForeignKey
ALTER TABLE "balance_history" DROP CONSTRAINT "balance_history_account_id_fkey";

-- DropForeignKey
ALTER TABLE "point_account" DROP CONSTRAINT "point_account_tenant_id_fkey";
