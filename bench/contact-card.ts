// Usage: npx tsx bench/contact-card.ts [entries=10000] [iterations=200]
// Measures the contact card's server time (GET /ui/contacts/{id}, signed in,
// answered in full by the API through app.inject) for a contact whose one
// account holds `entries` ledger entries, spread over the last two years,
// among 100,000 entries of other accounts. A scratch database is created
// from the migrations and dropped afterwards; DATABASE_URL names the server
// and REDIS_URL the Redis (a queue prefix of its own, removed afterwards).
import { randomBytes, randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { databaseUrl } from '../prisma.config.ts';
import { dropDatabase, withDatabase } from '../prisma/scripts/engine.ts';
import { migrateDatabase } from '../prisma/scripts/migrate.ts';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { createLogger } from '../src/logger.ts';
import { closeRuntime, createRuntime } from '../src/runtime.ts';

const entries = Number(process.argv[2] ?? 10_000);
const iterations = Number(process.argv[3] ?? 200);
const OTHER_ACCOUNTS = 2000;
const ENTRIES_PER_OTHER = 50;
const ADMIN_TOKEN = `bench-${randomBytes(16).toString('hex')}`;
const HTML = { accept: 'text/html' };

const url = withDatabase(databaseUrl, `pf_bench_${randomBytes(4).toString('hex')}`);
await migrateDatabase(url);
const config = loadConfig({
  DATABASE_URL: url,
  REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  ADMIN_TOKEN,
  QUEUE_PREFIX: `pfbench-${randomBytes(4).toString('hex')}`,
  LOG_LEVEL: 'warn',
});
const runtime = createRuntime(config, createLogger('warn', 'bench'));
const app = await buildApp(runtime);

// Entry i: one in five a deduction; a mix of endless, expired, expiring and pending windows, one entry every ~2 hours back from now.
const ENTRY_SQL = `
INSERT INTO ledger_entry (tenant_id, account_id, type, amount, source, description, transaction_date, valid_from, valid_to, created_at, modified_at)
SELECT $1, a.id, CASE WHEN i % 5 = 0 THEN 'Deduction' ELSE 'Addition' END::ledger_entry_type,
       CASE WHEN i % 5 = 0 THEN -(i % 40 + 1) ELSE i % 90 + 1 END, 'Purchase', 'bench', $2::timestamptz - make_interval(mins => i * 105),
       CASE WHEN i % 10 = 1 THEN $2::timestamptz + make_interval(days => i % 30 + 1) ELSE $2::timestamptz - make_interval(mins => i * 105) END,
       CASE i % 10 WHEN 2 THEN $2::timestamptz - make_interval(mins => i * 50) WHEN 3 THEN $2::timestamptz + make_interval(days => i % 365 + 1)
                  WHEN 1 THEN $2::timestamptz + make_interval(days => 400) ELSE NULL END,
       $2, $2
  FROM point_account a, generate_series(1, $4::int) AS i
 WHERE a.tenant_id = $1 AND a.id = ANY($3::bigint[])`;

const cookieOf = (response: LightMyRequestResponse, name: string) =>
  ([] as string[])
    .concat(response.headers['set-cookie'] ?? [])
    .find((line) => line.startsWith(`${name}=`))
    ?.split(';')[0];
const csrfOf = (body: string) => /name="_csrf" value="([^"]+)"/.exec(body)?.[1] ?? '';

async function admin(app: FastifyInstance, path: string, payload: object): Promise<{ id: string; name: string; username: string }> {
  const response = await app.inject({ method: 'POST', url: `/admin/v1${path}`, headers: { authorization: `Bearer ${ADMIN_TOKEN}` }, payload });
  if (response.statusCode !== 201) throw new Error(`${path}: ${response.statusCode} ${response.body}`);
  return response.json<{ id: string; name: string; username: string }>();
}

function stats(samples: number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!.toFixed(2);
  return `p50 ${at(0.5)} ms, p95 ${at(0.95)} ms, max ${at(1)} ms (${samples.length} reads)`;
}

try {
  const tenant = await admin(app, '/tenants', { name: `bench-${randomBytes(4).toString('hex')}`, mode: 'all-transaction' });
  await admin(app, `/tenants/${tenant.id}/definitions`, { id: 1, name: 'Points' });
  const password = randomBytes(12).toString('hex');
  const user = await admin(app, `/tenants/${tenant.id}/users`, { username: 'bench', displayName: 'Bench', password });

  const contactId = randomUUID();
  const { rows } = await runtime.pool.query<{ id: number }>(
    `INSERT INTO point_account (tenant_id, contact_id, definition_id)
     SELECT $1, CASE WHEN i = 0 THEN $3::uuid ELSE gen_random_uuid() END, 1 FROM generate_series(0, $2::int) AS i RETURNING id`,
    [tenant.id, OTHER_ACCOUNTS, contactId],
  );
  const [target, ...others] = rows.map((r) => r.id);
  const now = new Date();
  await runtime.pool.query(ENTRY_SQL, [tenant.id, now, [target], entries]);
  await runtime.pool.query(ENTRY_SQL, [tenant.id, now, others, ENTRIES_PER_OTHER]);
  await runtime.pool.query('VACUUM ANALYZE ledger_entry');
  await runtime.pool.query('VACUUM ANALYZE point_account');

  const login = await app.inject({ url: '/ui/login', headers: HTML });
  const signedIn = await app.inject({
    method: 'POST',
    url: '/ui/login',
    headers: { ...HTML, 'content-type': 'application/x-www-form-urlencoded', cookie: cookieOf(login, 'pf_login_csrf')! },
    payload: new URLSearchParams({ _csrf: csrfOf(login.body), tenant: tenant.name, username: user.username, password }).toString(),
  });
  const cookie = cookieOf(signedIn, 'pf_session');
  if (!cookie) throw new Error(`sign-in failed: ${signedIn.statusCode}`);

  const card = () => app.inject({ url: `/ui/contacts/${contactId}`, headers: { ...HTML, cookie } });
  const first = await card();
  if (first.statusCode !== 200) throw new Error(`card: ${first.statusCode}`);
  console.log(
    `Card of a contact with ${entries} entries among ${(OTHER_ACCOUNTS * ENTRIES_PER_OTHER).toLocaleString('en')} others: ${first.body.length} bytes`,
  );
  for (let i = 0; i < 20; i++) await card(); // warm the cache and the plans
  const samples: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const start = performance.now();
    await card();
    samples.push(performance.now() - start);
  }
  console.log(`  GET /ui/contacts/{id}  ${stats(samples)}`);
} finally {
  await app.close();
  await runtime.ingestQueue.obliterate({ force: true }).catch(() => undefined);
  await runtime.webhookQueue.obliterate({ force: true }).catch(() => undefined);
  await runtime.reconciliationQueue.obliterate({ force: true }).catch(() => undefined);
  await closeRuntime(runtime);
  await dropDatabase(url);
}
