-- CreateEnum
CREATE TYPE "adjustment_source" AS ENUM ('Manual', 'Automation');

-- CreateEnum
CREATE TYPE "delivery_state" AS ENUM ('AwaitingConfiguration', 'Pending', 'Retrying', 'Delivered', 'Failed');

-- CreateTable
CREATE TABLE "tenant_integration" (
    "tenant_id" UUID NOT NULL,
    "webhook_url" TEXT,
    "webhook_encryption_key" TEXT,
    "webhook_signing_secret" TEXT,
    "webhook_secrets_created_at" TIMESTAMPTZ(3),
    "points_log_url_template" TEXT,
    "points_log_auth_header_name" TEXT,
    "points_log_auth_header_value" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "tenant_integration_pkey" PRIMARY KEY ("tenant_id")
);

-- CreateTable
CREATE TABLE "point_adjustment" (
    "id" UUID NOT NULL,
    "seq" BIGSERIAL NOT NULL,
    "tenant_id" UUID NOT NULL,
    "contact_id" UUID NOT NULL,
    "definition_id" INTEGER NOT NULL,
    "amount" INTEGER NOT NULL,
    "description" TEXT NOT NULL,
    "source" "adjustment_source" NOT NULL,
    "user_id" TEXT,
    "user_name" TEXT,
    "reason" TEXT,
    "process_id" TEXT,
    "workflow_id" TEXT,
    "workflow_name" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "point_adjustment_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "webhook_delivery" (
    "id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "adjustment_id" UUID NOT NULL,
    "state" "delivery_state" NOT NULL,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "failures" INTEGER NOT NULL DEFAULT 0,
    "next_attempt_at" TIMESTAMPTZ(3),
    "last_attempt_at" TIMESTAMPTZ(3),
    "last_status" INTEGER,
    "last_error" TEXT,
    "delivered_at" TIMESTAMPTZ(3),
    "lease_token" UUID,
    "lease_until" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "webhook_delivery_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "point_adjustment_seq_key" ON "point_adjustment"("seq");

-- CreateIndex
CREATE INDEX "point_adjustment_tenant_id_contact_id_seq_idx" ON "point_adjustment"("tenant_id", "contact_id", "seq");

-- CreateIndex
CREATE UNIQUE INDEX "webhook_delivery_adjustment_id_key" ON "webhook_delivery"("adjustment_id");

-- CreateIndex
CREATE INDEX "webhook_delivery_tenant_id_state_created_at_idx" ON "webhook_delivery"("tenant_id", "state", "created_at");

-- CreateIndex
CREATE INDEX "webhook_delivery_state_next_attempt_at_idx" ON "webhook_delivery"("state", "next_attempt_at");

-- AddForeignKey
ALTER TABLE "tenant_integration" ADD CONSTRAINT "tenant_integration_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenant"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "point_adjustment" ADD CONSTRAINT "point_adjustment_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenant"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "webhook_delivery" ADD CONSTRAINT "webhook_delivery_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenant"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "webhook_delivery" ADD CONSTRAINT "webhook_delivery_adjustment_id_fkey" FOREIGN KEY ("adjustment_id") REFERENCES "point_adjustment"("id") ON DELETE CASCADE ON UPDATE CASCADE;
