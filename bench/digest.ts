// npm run bench -- --digest [accounts=1000000]
// Compares a tenant's whole account set by digest, against a Full upload of
// the same accounts in the same run: N balance-only accounts, 100 of them
// drifted on the master's side. Both sides go through the reference point
// master (examples/point-master): reconcileByDigest, then reconcile with scope
// Full. Prints the time, the calls and the bytes each way of both, and writes
// bench/results/digest-<time>.json.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { reconcileByDigest } from '../examples/point-master/digest.ts';
import { type MasterBalance, reconcile, type Traffic } from '../examples/point-master/reconcile.ts';
import { startTarget } from './target.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const DRIFTED = 100;

/** Contact ids spread over the whole id space, as real uuids are; Postgres makes the same with md5('c' || n)::uuid. */
function contactOf(n: number): string {
  const hex = createHash('md5').update(`c${n}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const kb = (traffic: Traffic) => ({ calls: traffic.calls, sentKb: Math.round(traffic.sent / 1024), receivedKb: Math.round(traffic.received / 1024) });

const accounts = Number(process.argv[2] ?? 1_000_000);
if (!(Number.isInteger(accounts) && accounts >= 10_000)) throw new Error('accounts must be an integer of at least 10000');

const target = await startTarget();
try {
  const tenant = await target.createTenant('balance-only');
  const follower = { url: target.url, apiKey: tenant.key };
  const asOf = new Date(Date.now() - 1000);
  // The follower's side, written straight into Postgres as if balances had been pushed an hour earlier.
  await target.db.query(
    `INSERT INTO point_account (tenant_id, contact_id, definition_id, balance, balance_time, last_change)
     SELECT $1, md5('c' || n)::uuid, 1, n % 5000 + 1, $2::timestamptz - interval '1 hour', n % 5000 + 1
       FROM generate_series(0, $3 - 1) AS n`,
    [tenant.id, asOf, accounts],
  );
  await target.db.query('ANALYZE point_account');

  const books: MasterBalance[] = Array.from({ length: accounts }, (_, n) => ({ contactId: contactOf(n), definitionId: 1, balance: (n % 5000) + 1 }));
  const step = Math.floor(accounts / DRIFTED);
  for (let k = 0; k < DRIFTED; k++) books[k * step + 7]!.balance += 1;

  const digestStarted = performance.now();
  const byDigest = await reconcileByDigest(follower, books, { asOf, repair: false, firstDepth: 2, depth: 1, leafSize: 32 });
  const digestSeconds = (performance.now() - digestStarted) / 1000;
  if (byDigest.reconciliation?.drifted !== DRIFTED) throw new Error(`the digest found ${byDigest.reconciliation?.drifted} drifted, not ${DRIFTED}`);

  const fullTraffic: Traffic = { calls: 0, sent: 0, received: 0 };
  const fullStarted = performance.now();
  const full = await reconcile(follower, books, { asOf, scope: 'Full', repair: false, traffic: fullTraffic, pollMs: 100 });
  const fullSeconds = (performance.now() - fullStarted) / 1000;
  if (full.reconciliation.drifted !== DRIFTED) throw new Error(`the Full reconciliation found ${full.reconciliation.drifted} drifted, not ${DRIFTED}`);

  const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root }).toString().trim();
  const result = {
    time: new Date().toISOString(),
    commit,
    accounts,
    drifted: DRIFTED,
    digest: {
      seconds: +digestSeconds.toFixed(1),
      ...kb(byDigest.traffic),
      findOnly: kb(byDigest.finding.traffic),
      differingRanges: byDigest.finding.ranges.length,
      accountsListed: byDigest.finding.lines.length,
    },
    full: { seconds: +fullSeconds.toFixed(1), ...kb(fullTraffic) },
  };
  console.log(JSON.stringify(result, null, 2));
  const dir = path.join(root, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, `digest-${result.time.replace(/[:.]/g, '-')}.json`), `${JSON.stringify(result, null, 2)}\n`);
} finally {
  await target.stop();
}
