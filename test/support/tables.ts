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
