-- point_account loses its foreign key to point_definition: Postgres checked it
-- row by row for every account the apply writes. What the key guaranteed is
-- kept by the writers, which check the definition first (the worker for
-- balances, in the applying transaction; the API for transactions, when it
-- accepts them), and by the trigger below, which refuses to delete or renumber
-- a definition (the API offers neither), so that check cannot go stale.

-- DropForeignKey
ALTER TABLE "point_account" DROP CONSTRAINT "point_account_tenant_id_definition_id_fkey";

CREATE FUNCTION "point_definition_is_permanent"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'point definition % of tenant % cannot be deleted or renumbered: point accounts may refer to it', OLD."id", OLD."tenant_id"
    USING ERRCODE = 'restrict_violation';
END;
$$;

CREATE TRIGGER "point_definition_is_permanent"
  BEFORE DELETE OR UPDATE OF "tenant_id", "id" ON "point_definition"
  FOR EACH ROW EXECUTE FUNCTION "point_definition_is_permanent"();
