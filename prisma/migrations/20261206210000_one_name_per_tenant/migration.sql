-- One name per tenant: names are compared after NFKC normalisation and case
-- folding (domain/tenants.ts tenantNameKey, which the service writes from now
-- on). Existing rows are keyed here with Postgres' normalize() and lower(),
-- which agree with it on every name the admin API has accepted (letters,
-- digits, ".", "_" and "-").
ALTER TABLE "tenant" ADD COLUMN "name_key" TEXT;
UPDATE "tenant" SET "name_key" = lower(normalize("name", NFKC));
ALTER TABLE "tenant" ALTER COLUMN "name_key" SET NOT NULL;

-- Tenants whose names already clash keep working: the first (oldest) keeps rank
-- 0 and each later one gets 1, 2, ...; the unique index below then holds for
-- every new name, and a clashing tenant leaves it once an operator renames it.
ALTER TABLE "tenant" ADD COLUMN "clash_rank" INTEGER NOT NULL DEFAULT 0;
UPDATE "tenant" t
   SET "clash_rank" = ranked.rank
  FROM (SELECT "id", row_number() OVER (PARTITION BY "name_key" ORDER BY "created_at", "id") - 1 AS rank FROM "tenant") ranked
 WHERE ranked."id" = t."id" AND ranked.rank > 0;
CREATE UNIQUE INDEX "tenant_name_key_clash_rank_key" ON "tenant"("name_key", "clash_rank");

-- The clashes, reported to whoever runs the migration (and in the server log).
DO $$
DECLARE
  clash RECORD;
BEGIN
  FOR clash IN
    SELECT "name_key", string_agg(format('%s (%s)', "name", "id"), ', ' ORDER BY "clash_rank") AS tenants
      FROM "tenant" GROUP BY "name_key" HAVING count(*) > 1
  LOOP
    RAISE WARNING 'Tenant names that differ only in case or Unicode form: %. Sign-in finds each by its exact name until an operator renames all but one (PATCH /admin/v1/tenants/{id} {"name": ...}).', clash.tenants;
  END LOOP;
END $$;

-- Sessions stay dead: a user's session version moves on with each password
-- reset and each disable, and a session lives only while it carries the
-- user's current version.
ALTER TABLE "ui_user" ADD COLUMN "session_version" INTEGER NOT NULL DEFAULT 1;
ALTER TABLE "ui_session" ADD COLUMN "user_session_version" INTEGER;

-- CSRF tokens are derived from the session token (domain/ui-sessions.ts) and
-- no longer stored. Sessions open at the upgrade end: their forms carry
-- tokens the new rule does not derive, and they predate the session version.
DELETE FROM "ui_session";
ALTER TABLE "ui_session" DROP COLUMN "csrf_token";
