import type pg from 'pg';

/** Every table of the app's schema (the migrations' bookkeeping left out), read from the catalog so new tables count too. */
async function appTables(db: pg.Pool | pg.Client): Promise<string[]> {
  const { rows } = await db.query<{ name: string }>(
    `SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' AND tablename <> '_prisma_migrations' ORDER BY tablename`,
  );
  return rows.map((row) => row.name);
}

/**
 * Row count and a hash of the content of every table: equal fingerprints mean
 * nothing was inserted, updated or deleted in between. Meant for test-sized tables.
 */
export async function tableFingerprints(db: pg.Pool | pg.Client): Promise<Record<string, { rows: number; hash: string }>> {
  const tables = await appTables(db);
  const { rows } = await db.query<{ name: string; rows: number; hash: string }>(
    tables
      .map((name) => `SELECT '${name}' AS name, count(*)::int AS rows, md5(COALESCE(string_agg(t::text, '|' ORDER BY t::text), '')) AS hash FROM "${name}" t`)
      .join(' UNION ALL '),
  );
  return Object.fromEntries(rows.map((row) => [row.name, { rows: row.rows, hash: row.hash }]));
}

/** A change a test-only trigger saw: a row of `table` added (`net` > 0) or taken away (`net` < 0), as text. */
export interface RowChange {
  table: string;
  row: string;
  net: number;
}

export interface RowChangeLog {
  /** Where the log stands now; pass it to `since`. */
  mark(): Promise<number>;
  /**
   * The net change of every table after `mark`: rows added and not taken away
   * again, rows taken away and not added back. Empty means the tables hold what
   * they held at `mark` (what equal fingerprints mean), at the cost of the rows
   * written since instead of a hash of every table.
   */
  since(mark: number): Promise<RowChange[]>;
}

/**
 * Installs, in a test's own database, a trigger on every table of the app that
 * logs each row written (inserted, deleted, or updated to something else) as
 * text; a truncation is logged too. A rolled-back write logs nothing.
 */
export async function logRowChanges(db: pg.Pool | pg.Client): Promise<RowChangeLog> {
  const { rows } = await db.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition AND c.relname <> '_prisma_migrations'
      ORDER BY c.relname`,
  );
  await db.query(`
    CREATE TABLE test_row_change (id bigserial PRIMARY KEY, table_name text NOT NULL, sign int NOT NULL, row_text text NOT NULL);
    CREATE FUNCTION test_log_row_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'TRUNCATE' THEN
        INSERT INTO test_row_change (table_name, sign, row_text) VALUES (TG_TABLE_NAME, 1, 'TRUNCATE');
        RETURN NULL;
      END IF;
      IF TG_OP = 'UPDATE' AND OLD::text = NEW::text THEN RETURN NULL; END IF;
      IF TG_OP IN ('UPDATE', 'DELETE') THEN INSERT INTO test_row_change (table_name, sign, row_text) VALUES (TG_TABLE_NAME, -1, OLD::text); END IF;
      IF TG_OP IN ('UPDATE', 'INSERT') THEN INSERT INTO test_row_change (table_name, sign, row_text) VALUES (TG_TABLE_NAME, 1, NEW::text); END IF;
      RETURN NULL;
    END $$;
    ${rows
      .map(
        ({ name }) => `
    CREATE TRIGGER test_log_rows AFTER INSERT OR UPDATE OR DELETE ON "${name}" FOR EACH ROW EXECUTE FUNCTION test_log_row_change();
    CREATE TRIGGER test_log_truncate AFTER TRUNCATE ON "${name}" FOR EACH STATEMENT EXECUTE FUNCTION test_log_row_change();`,
      )
      .join('')}
  `);
  return {
    async mark() {
      return Number((await db.query<{ id: string }>(`SELECT COALESCE(max(id), 0) AS id FROM test_row_change`)).rows[0]!.id);
    },
    async since(mark) {
      const { rows: changes } = await db.query<RowChange>(
        `SELECT table_name AS table, row_text AS row, sum(sign)::int AS net FROM test_row_change WHERE id > $1
          GROUP BY table_name, row_text HAVING sum(sign) <> 0 ORDER BY table_name, row_text`,
        [mark],
      );
      return changes;
    },
  };
}
