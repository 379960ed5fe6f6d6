-- AlterTable
ALTER TABLE "tenant" ADD COLUMN     "expected_push_minutes" INTEGER;
