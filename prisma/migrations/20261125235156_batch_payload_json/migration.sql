-- AlterTable
ALTER TABLE "ingest_batch" ALTER COLUMN "payload" SET DATA TYPE JSON;
