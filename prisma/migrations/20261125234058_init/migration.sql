-- CreateEnum
CREATE TYPE "tenant_mode" AS ENUM ('balance-only', 'all-transaction');

-- CreateEnum
CREATE TYPE "batch_kind" AS ENUM ('balances', 'transactions');

-- CreateEnum
CREATE TYPE "batch_status" AS ENUM ('Queued', 'Processing', 'Completed', 'CompletedWithErrors', 'Failed');

-- CreateTable
CREATE TABLE "tenant" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "mode" "tenant_mode" NOT NULL,
    "point_system_active" BOOLEAN NOT NULL DEFAULT true,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "tenant_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "api_key" (
    "id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "key_hash" TEXT NOT NULL,
    "key_prefix" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "revoked_at" TIMESTAMPTZ(3),

    CONSTRAINT "api_key_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "point_definition" (
    "tenant_id" UUID NOT NULL,
    "id" INTEGER NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "point_definition_pkey" PRIMARY KEY ("tenant_id","id")
);

-- CreateTable
CREATE TABLE "point_account" (
    "id" BIGSERIAL NOT NULL,
    "tenant_id" UUID NOT NULL,
    "contact_id" UUID NOT NULL,
    "definition_id" INTEGER NOT NULL,
    "balance" INTEGER NOT NULL DEFAULT 0,
    "balance_time" TIMESTAMPTZ(3),
    "last_change" INTEGER NOT NULL DEFAULT 0,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "point_account_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "balance_history" (
    "id" BIGSERIAL NOT NULL,
    "account_id" BIGINT NOT NULL,
    "batch_id" UUID,
    "source" TEXT NOT NULL,
    "amount" INTEGER NOT NULL,
    "balance" INTEGER NOT NULL,
    "master_time" TIMESTAMPTZ(3) NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "balance_history_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ingest_batch" (
    "id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "kind" "batch_kind" NOT NULL,
    "status" "batch_status" NOT NULL DEFAULT 'Queued',
    "item_count" INTEGER NOT NULL,
    "applied_count" INTEGER NOT NULL DEFAULT 0,
    "skipped_count" INTEGER NOT NULL DEFAULT 0,
    "payload" JSONB NOT NULL,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "status_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finished_at" TIMESTAMPTZ(3),

    CONSTRAINT "ingest_batch_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "batch_message" (
    "id" BIGSERIAL NOT NULL,
    "batch_id" UUID NOT NULL,
    "message" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "batch_message_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "tenant_name_key" ON "tenant"("name");

-- CreateIndex
CREATE UNIQUE INDEX "api_key_key_hash_key" ON "api_key"("key_hash");

-- CreateIndex
CREATE INDEX "api_key_tenant_id_idx" ON "api_key"("tenant_id");

-- CreateIndex
CREATE UNIQUE INDEX "point_account_tenant_id_contact_id_definition_id_key" ON "point_account"("tenant_id", "contact_id", "definition_id");

-- CreateIndex
CREATE INDEX "balance_history_account_id_id_idx" ON "balance_history"("account_id", "id");

-- CreateIndex
CREATE INDEX "ingest_batch_tenant_id_created_at_idx" ON "ingest_batch"("tenant_id", "created_at");

-- CreateIndex
CREATE INDEX "ingest_batch_status_created_at_idx" ON "ingest_batch"("status", "created_at");

-- CreateIndex
CREATE INDEX "batch_message_batch_id_id_idx" ON "batch_message"("batch_id", "id");

-- AddForeignKey
ALTER TABLE "api_key" ADD CONSTRAINT "api_key_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenant"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "point_definition" ADD CONSTRAINT "point_definition_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenant"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "point_account" ADD CONSTRAINT "point_account_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenant"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "point_account" ADD CONSTRAINT "point_account_tenant_id_definition_id_fkey" FOREIGN KEY ("tenant_id", "definition_id") REFERENCES "point_definition"("tenant_id", "id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "balance_history" ADD CONSTRAINT "balance_history_account_id_fkey" FOREIGN KEY ("account_id") REFERENCES "point_account"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ingest_batch" ADD CONSTRAINT "ingest_batch_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenant"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "batch_message" ADD CONSTRAINT "batch_message_batch_id_fkey" FOREIGN KEY ("batch_id") REFERENCES "ingest_batch"("id") ON DELETE CASCADE ON UPDATE CASCADE;
