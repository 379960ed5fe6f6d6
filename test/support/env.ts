import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where the test suite finds Postgres and Redis; overridable for machines that run them elsewhere. */
export const TEST_POSTGRES_URL = process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/**
 * The migrated database every test file copies. Its name carries a hash of the
 * migrations, so checkouts with different migrations never share a template.
 */
export const TEMPLATE_DATABASE = (() => {
  const dir = fileURLToPath(new URL('../../prisma/migrations', import.meta.url));
  const hash = createHash('sha256');
  for (const name of readdirSync(dir).sort()) {
    hash.update(name);
    if (name.endsWith('.toml')) continue;
    hash.update(readFileSync(path.join(dir, name, 'migration.sql')));
  }
  return `pf_test_template_${hash.digest('hex').slice(0, 12)}`;
})();

export function databaseUrl(database: string): string {
  const url = new URL(TEST_POSTGRES_URL);
  url.pathname = `/${database}`;
  return url.toString();
}
