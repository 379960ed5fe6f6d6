// A Full reconciliation of a tenant's whole account set, end to end through
// the API and the worker: open, list the master's balances in calls of 1000
// from several clients at once, complete, and wait for the compare. Run on
// its own (`node --import tsx bench/reconciliation.ts [--scale 0.1]`) or as
// part of `npm run bench`.
import { pathToFileURL } from 'node:url';
import { request } from 'undici';
import { parseArgv } from '../src/cli/context.ts';
import { type BenchTarget, startTarget } from './target.ts';

const CALL = 1000;
const POSTERS = 4;
/** One account in this many differs between master and follower, so the compare writes drifts as well as reading. */
const DRIFT_EVERY = 100;

/** The contact id of account number `n`, the same on both sides. */
const contactOf = (n: number) => `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;

async function call(target: BenchTarget, key: string, method: 'GET' | 'POST', path: string, body?: string) {
  const response = await request(`${target.url}/api/v2/point-accounts/reconciliations${path}`, {
    method,
    headers: { apikey: key, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body }),
  });
  const answer = (await response.body.json()) as Record<string, unknown>;
  if (response.statusCode >= 300) throw new Error(`${method} ${path} answered ${response.statusCode}: ${JSON.stringify(answer)}`);
  return answer;
}

/**
 * The follower's side is written straight into Postgres (one statement), as if
 * balances had been pushed earlier; only the reconciliation itself is timed.
 * Balances carry two decimal places, as amounts of money-like programmes do.
 */
export async function reconciliationBench(target: BenchTarget, accounts: number) {
  const tenant = await target.createTenant('balance-only');
  const asOf = new Date(Date.now() - 1000).toISOString();
  await target.db.query(
    `INSERT INTO point_account (tenant_id, contact_id, definition_id, balance, balance_time, last_change)
     SELECT $1, ('00000000-0000-4000-8000-' || lpad(to_hex(n), 12, '0'))::uuid, 1, (n % 500000) / 100.0, $2::timestamptz - interval '1 hour', (n % 500000) / 100.0
       FROM generate_series(0, $3 - 1) AS n`,
    [tenant.id, asOf, accounts],
  );
  await target.db.query('ANALYZE point_account');

  // Serialized before the clock starts, so the load generator spends no CPU on JSON while the system is measured.
  const bodies: string[] = [];
  for (let start = 0; start < accounts; start += CALL) {
    const items = [];
    for (let n = start; n < Math.min(accounts, start + CALL); n++) {
      items.push({ contactId: contactOf(n), definitionId: 1, balance: ((n % 500_000) + (n % DRIFT_EVERY === 0 ? 100 : 0)) / 100 });
    }
    bodies.push(JSON.stringify(items));
  }

  target.resetPeakRss();
  const started = performance.now();
  const { id } = (await call(target, tenant.key, 'POST', '', JSON.stringify({ asOf, scope: 'Full' }))) as { id: string };
  await Promise.all(
    Array.from({ length: POSTERS }, async () => {
      for (let body = bodies.shift(); body; body = bodies.shift()) await call(target, tenant.key, 'POST', `/${id}/accounts`, body);
    }),
  );
  const uploaded = performance.now();
  await call(target, tenant.key, 'POST', `/${id}/complete`);
  let result: Record<string, unknown>;
  for (;;) {
    result = await call(target, tenant.key, 'GET', `/${id}`);
    if (result.status === 'Completed' || result.status === 'Failed') break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const finished = performance.now();
  const expectedDrift = Math.ceil(accounts / DRIFT_EVERY);
  if (result.status !== 'Completed' || result.drifted !== expectedDrift || result.compared !== accounts) {
    throw new Error(`reconciliation ended wrong: ${JSON.stringify(result)} (expected ${expectedDrift} drifted of ${accounts})`);
  }
  const peak = target.peakRss();
  return {
    accounts,
    perSecond: Math.round(accounts / ((finished - started) / 1000)),
    uploadSeconds: +((uploaded - started) / 1000).toFixed(1),
    compareSeconds: +((finished - uploaded) / 1000).toFixed(1),
    peakRssMb: { api: Math.round(peak.api / 1048576), worker: Math.round(peak.worker / 1048576) },
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const scale = Number(parseArgv(process.argv.slice(2)).values.scale ?? 1);
  if (!(scale > 0 && scale <= 10)) throw new Error('--scale must be in (0, 10]');
  const target = await startTarget();
  try {
    console.log(JSON.stringify(await reconciliationBench(target, Math.round(1_000_000 * scale)), null, 2));
  } finally {
    await target.stop();
  }
}
