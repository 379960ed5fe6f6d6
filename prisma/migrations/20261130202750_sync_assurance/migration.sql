-- AlterTable
ALTER TABLE "ingest_batch" ADD COLUMN     "duplicate_count" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "duplicates" JSON NOT NULL DEFAULT '[]';

-- AlterTable
ALTER TABLE "ledger_entry" ADD COLUMN     "external_id" TEXT,
ADD COLUMN     "sent_fields" SMALLINT,
ADD COLUMN     "sequence" BIGINT;

-- CreateTable
CREATE TABLE "sync_state" (
    "tenant_id" UUID NOT NULL,
    "contiguous_through" BIGINT NOT NULL DEFAULT 0,
    "highest_sequence" BIGINT NOT NULL DEFAULT 0,
    "last_received_at" TIMESTAMPTZ(3),

    CONSTRAINT "sync_state_pkey" PRIMARY KEY ("tenant_id")
);

-- CreateTable
CREATE TABLE "sync_gap" (
    "tenant_id" UUID NOT NULL,
    "from_seq" BIGINT NOT NULL,
    "to_seq" BIGINT NOT NULL,
    "since" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "sync_gap_pkey" PRIMARY KEY ("tenant_id","from_seq")
);

-- CreateIndex
CREATE UNIQUE INDEX "ledger_entry_tenant_id_external_id_key" ON "ledger_entry"("tenant_id", "external_id");

-- CreateIndex
CREATE UNIQUE INDEX "ledger_entry_tenant_id_sequence_key" ON "ledger_entry"("tenant_id", "sequence");

-- AddForeignKey
ALTER TABLE "sync_state" ADD CONSTRAINT "sync_state_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenant"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "sync_gap" ADD CONSTRAINT "sync_gap_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenant"("id") ON DELETE CASCADE ON UPDATE CASCADE;
