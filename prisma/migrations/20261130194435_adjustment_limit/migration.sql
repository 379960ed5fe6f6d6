-- AlterTable
ALTER TABLE "tenant" ADD COLUMN     "max_adjustment_points" INTEGER NOT NULL DEFAULT 100000;
