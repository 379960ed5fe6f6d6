-- point.balance.updated to subscribers: the subscriptions, the figures last announced per account (with their version), and
-- the outbox, one row per subscription and account, whose pending event a newer change overwrites.

-- CreateTable
CREATE TABLE "event_subscription" (
    "id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "url" TEXT NOT NULL,
    "events" TEXT[],
    "encrypted" BOOLEAN NOT NULL DEFAULT false,
    "batch" BOOLEAN NOT NULL DEFAULT false,
    "signing_secret" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "event_subscription_pkey" PRIMARY KEY ("tenant_id","id")
);

-- CreateTable
CREATE TABLE "account_event_state" (
    "tenant_id" UUID NOT NULL,
    "account_id" BIGINT NOT NULL,
    "version" BIGINT NOT NULL,
    "balance" DECIMAL(19,4) NOT NULL,
    "balance_expires" TIMESTAMPTZ(3),
    "changed_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "account_event_state_pkey" PRIMARY KEY ("tenant_id","account_id")
);

-- CreateTable
CREATE TABLE "balance_event" (
    "subscription_id" UUID NOT NULL,
    "account_id" BIGINT NOT NULL,
    "tenant_id" UUID NOT NULL,
    "event_id" UUID NOT NULL,
    "version" BIGINT NOT NULL,
    "balance" DECIMAL(19,4) NOT NULL,
    "balance_expires" TIMESTAMPTZ(3),
    "changed_at" TIMESTAMPTZ(3) NOT NULL,
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

    CONSTRAINT "balance_event_pkey" PRIMARY KEY ("tenant_id","subscription_id","account_id")
);

-- CreateIndex
CREATE INDEX "balance_event_subscription_state_next_attempt_at_idx" ON "balance_event"("tenant_id", "subscription_id", "state", "next_attempt_at");

-- CreateIndex
CREATE INDEX "balance_event_state_next_attempt_at_idx" ON "balance_event"("state", "next_attempt_at");

-- AddForeignKey
ALTER TABLE "event_subscription" ADD CONSTRAINT "event_subscription_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenant"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "balance_event" ADD CONSTRAINT "balance_event_tenant_id_subscription_id_fkey" FOREIGN KEY ("tenant_id", "subscription_id") REFERENCES "event_subscription"("tenant_id", "id") ON DELETE CASCADE ON UPDATE CASCADE;
