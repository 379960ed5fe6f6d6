-- CreateEnum
CREATE TYPE "reconciliation_scope" AS ENUM ('Listed', 'Full');

-- CreateEnum
CREATE TYPE "reconciliation_status" AS ENUM ('Open', 'Comparing', 'Completed', 'Failed');

-- CreateEnum
CREATE TYPE "drift_kind" AS ENUM ('BalanceDiffers', 'MissingInFollower', 'UnknownToMaster');

-- CreateTable
CREATE TABLE "reconciliation" (
    "tenant_id" UUID NOT NULL,
    "id" UUID NOT NULL,
    "as_of" TIMESTAMPTZ(3) NOT NULL,
    "scope" "reconciliation_scope" NOT NULL,
    "repair" BOOLEAN NOT NULL,
    "status" "reconciliation_status" NOT NULL DEFAULT 'Open',
    "listed" INTEGER NOT NULL DEFAULT 0,
    "compared" INTEGER NOT NULL DEFAULT 0,
    "matched" INTEGER NOT NULL DEFAULT 0,
    "drifted" INTEGER NOT NULL DEFAULT 0,
    "balance_differs" INTEGER NOT NULL DEFAULT 0,
    "missing_in_follower" INTEGER NOT NULL DEFAULT 0,
    "unknown_to_master" INTEGER NOT NULL DEFAULT 0,
    "repaired" INTEGER NOT NULL DEFAULT 0,
    "error" TEXT,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "status_at" TIMESTAMPTZ(3) NOT NULL,
    "completed_at" TIMESTAMPTZ(3),

    CONSTRAINT "reconciliation_pkey" PRIMARY KEY ("tenant_id","id")
);

-- CreateTable
CREATE TABLE "reconciliation_line" (
    "tenant_id" UUID NOT NULL,
    "reconciliation_id" UUID NOT NULL,
    "contact_id" UUID NOT NULL,
    "definition_id" INTEGER NOT NULL,
    "balance" INTEGER NOT NULL,

    CONSTRAINT "reconciliation_line_pkey" PRIMARY KEY ("tenant_id","reconciliation_id","contact_id","definition_id")
);

-- CreateTable
CREATE TABLE "reconciliation_drift" (
    "tenant_id" UUID NOT NULL,
    "reconciliation_id" UUID NOT NULL,
    "contact_id" UUID NOT NULL,
    "definition_id" INTEGER NOT NULL,
    "ordinal" INTEGER NOT NULL,
    "kind" "drift_kind" NOT NULL,
    "account_id" BIGINT,
    "master_balance" BIGINT NOT NULL,
    "follower_balance" BIGINT NOT NULL,
    "difference" BIGINT NOT NULL,

    CONSTRAINT "reconciliation_drift_pkey" PRIMARY KEY ("tenant_id","reconciliation_id","contact_id","definition_id")
);

-- CreateIndex
CREATE INDEX "reconciliation_tenant_id_created_at_id_idx" ON "reconciliation"("tenant_id", "created_at" DESC, "id");

-- CreateIndex
CREATE INDEX "reconciliation_status_status_at_idx" ON "reconciliation"("status", "status_at");

-- CreateIndex
CREATE INDEX "reconciliation_drift_tenant_id_reconciliation_id_kind_conta_idx" ON "reconciliation_drift"("tenant_id", "reconciliation_id", "kind", "contact_id", "definition_id");

-- CreateIndex
CREATE INDEX "reconciliation_drift_tenant_id_contact_id_reconciliation_id_idx" ON "reconciliation_drift"("tenant_id", "contact_id", "reconciliation_id");

-- AddForeignKey
ALTER TABLE "reconciliation" ADD CONSTRAINT "reconciliation_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenant"("id") ON DELETE CASCADE ON UPDATE CASCADE;
