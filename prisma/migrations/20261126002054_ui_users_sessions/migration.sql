-- CreateEnum
CREATE TYPE "ui_session_kind" AS ENUM ('user', 'admin');

-- CreateTable
CREATE TABLE "ui_user" (
    "id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "username" TEXT NOT NULL,
    "display_name" TEXT NOT NULL,
    "password_hash" TEXT NOT NULL,
    "disabled_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ui_user_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ui_session" (
    "token_hash" TEXT NOT NULL,
    "kind" "ui_session_kind" NOT NULL,
    "user_id" UUID,
    "csrf_token" TEXT NOT NULL,
    "credential_stamp" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "last_seen_at" TIMESTAMPTZ(3) NOT NULL,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "ui_session_pkey" PRIMARY KEY ("token_hash")
);

-- CreateTable
CREATE TABLE "ui_login_throttle" (
    "key" TEXT NOT NULL,
    "failures" INTEGER NOT NULL,
    "window_started_at" TIMESTAMPTZ(3) NOT NULL,
    "locked_until" TIMESTAMPTZ(3),

    CONSTRAINT "ui_login_throttle_pkey" PRIMARY KEY ("key")
);

-- CreateIndex
CREATE UNIQUE INDEX "ui_user_tenant_id_username_key" ON "ui_user"("tenant_id", "username");

-- CreateIndex
CREATE INDEX "ui_session_user_id_idx" ON "ui_session"("user_id");

-- CreateIndex
CREATE INDEX "ui_session_expires_at_idx" ON "ui_session"("expires_at");

-- CreateIndex
CREATE INDEX "ui_login_throttle_window_started_at_idx" ON "ui_login_throttle"("window_started_at");

-- AddForeignKey
ALTER TABLE "ui_user" ADD CONSTRAINT "ui_user_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenant"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ui_session" ADD CONSTRAINT "ui_session_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "ui_user"("id") ON DELETE CASCADE ON UPDATE CASCADE;
