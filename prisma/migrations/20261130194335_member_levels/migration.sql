-- CreateEnum
CREATE TYPE "level_basis" AS ENUM ('PointsEarned', 'Purchases');

-- CreateEnum
CREATE TYPE "level_window_type" AS ENUM ('Rolling', 'CalendarYear');

-- AlterTable
ALTER TABLE "tenant" ADD COLUMN     "time_zone" TEXT NOT NULL DEFAULT 'UTC';

-- AlterTable
ALTER TABLE "webhook_delivery" ADD COLUMN     "level_change_id" BIGINT,
ALTER COLUMN "adjustment_id" DROP NOT NULL;

-- CreateTable
CREATE TABLE "level_ladder" (
    "tenant_id" UUID NOT NULL,
    "definition_id" INTEGER NOT NULL,
    "basis" "level_basis" NOT NULL,
    "window_type" "level_window_type" NOT NULL,
    "window_months" INTEGER,
    "levels" JSONB NOT NULL,
    "announce" BOOLEAN NOT NULL DEFAULT false,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "level_ladder_pkey" PRIMARY KEY ("tenant_id")
);

-- CreateTable
CREATE TABLE "member_level" (
    "tenant_id" UUID NOT NULL,
    "contact_id" UUID NOT NULL,
    "level_key" TEXT NOT NULL,
    "level_name" TEXT NOT NULL,
    "previous_key" TEXT,
    "previous_name" TEXT,
    "since" TIMESTAMPTZ(3),

    CONSTRAINT "member_level_pkey" PRIMARY KEY ("tenant_id","contact_id")
);

-- CreateTable
CREATE TABLE "member_level_change" (
    "id" BIGSERIAL NOT NULL,
    "tenant_id" UUID NOT NULL,
    "contact_id" UUID NOT NULL,
    "from_key" TEXT NOT NULL,
    "from_name" TEXT NOT NULL,
    "to_key" TEXT NOT NULL,
    "to_name" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "qualifying" BIGINT NOT NULL,
    "changed_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "member_level_change_pkey" PRIMARY KEY ("tenant_id","id")
);

-- CreateIndex
CREATE INDEX "member_level_change_tenant_id_contact_id_changed_at_id_idx" ON "member_level_change"("tenant_id", "contact_id", "changed_at" DESC, "id" DESC);

-- CreateIndex
CREATE UNIQUE INDEX "webhook_delivery_tenant_id_level_change_id_key" ON "webhook_delivery"("tenant_id", "level_change_id");

-- AddForeignKey
ALTER TABLE "level_ladder" ADD CONSTRAINT "level_ladder_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenant"("id") ON DELETE CASCADE ON UPDATE CASCADE;

