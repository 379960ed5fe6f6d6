// Usage: npx tsx bench/ledger-read.ts [entries=10000] [iterations=300] [mix=history|open]
// (npm run bench -- --ledger runs it at 1,000,000 entries.)
// Measures the all-transaction account read (balance, pendingPoints and
// balanceExpires derived from the ledger at read time), the first page of
// history and the member level read (GET /contacts/{id}/member-level: points
// earned in a rolling 12-month window, from the same ledger), for one account with `entries` entries among 100,000 entries of
// other accounts, in a scratch database created from the migrations and
// dropped afterwards. DATABASE_URL names the server (its database is not touched).
//
// The entries are written straight into the table, with no checkpoint: the
// reads first replay every entry of the account (what a read as of a past
// instant does), then every account is folded on to now (timed; what the
// apply and the sweeps keep up as the ledger grows) and the same reads run
// again, replaying only what is still open. Entry i was made i hours ago.
// `history`: a busy account whose points expire three days after they turn
// active (a fifth of the entries deductions, a tenth of the lots pending for
// 14 days first), so only about a hundred lots are open at any time however
// long the history. `open`: lots that mostly never expire (a tenth pending
// for up to 30 days, a tenth expiring within a year) and deductions large
// enough to use up three quarters of them, so at a million entries about
// 200,000 lots are open and a read replays all of them.
import { randomBytes, randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { databaseUrl } from '../prisma.config.ts';
import { dropDatabase, withDatabase } from '../prisma/scripts/engine.ts';
import { migrateDatabase } from '../prisma/scripts/migrate.ts';
import { createDatabase } from '../src/db/database.ts';
import { figuresAt, ledgerRepository } from '../src/db/ledger.repository.ts';
import { pointAccountsRepository } from '../src/db/point-accounts.repository.ts';
import { createPool } from '../src/db/pool.ts';
import { createLogger } from '../src/logger.ts';
import { levelsService } from '../src/services/levels.service.ts';

const entries = Number(process.argv[2] ?? 10_000);
const iterations = Number(process.argv[3] ?? 300);
const mix = process.argv[4] ?? 'history';
if (mix !== 'history' && mix !== 'open') throw new Error('mix must be history or open');
const OTHER_ACCOUNTS = 2000;
const ENTRIES_PER_OTHER = 50;
/** A read phase stops sampling after this long (at least 3 reads), and warms up once when a read is this slow, so replays of a million entries stay affordable. */
const PHASE_BUDGET_MS = 15_000;
const SLOW_READ_MS = 1000;

const url = withDatabase(databaseUrl, `pf_bench_${randomBytes(4).toString('hex')}`);
await migrateDatabase(url);
const pool = createPool(url, 4, createLogger('warn', 'bench'));
const now = new Date('2030-06-01T12:00:00Z');

const WINDOWS = {
  history: `CASE WHEN i % 10 = 1 THEN $2::timestamptz - make_interval(hours => i) + interval '14 days' ELSE $2::timestamptz - make_interval(hours => i) END,
       CASE WHEN i % 10 = 1 THEN $2::timestamptz - make_interval(hours => i) + interval '17 days'
            ELSE $2::timestamptz - make_interval(hours => i) + interval '3 days' END`,
  open: `CASE WHEN i % 10 = 1 THEN $2::timestamptz + make_interval(days => i % 30 + 1) ELSE $2::timestamptz - make_interval(hours => i) END,
       CASE i % 10 WHEN 2 THEN $2::timestamptz - make_interval(hours => 1) WHEN 3 THEN $2::timestamptz + make_interval(days => i % 365 + 1)
                  WHEN 1 THEN $2::timestamptz + make_interval(days => 400) ELSE NULL END`,
};

// Entry i of an account: one in five a deduction, windows as `mix` says.
const ENTRY_SQL = `
INSERT INTO ledger_entry (tenant_id, account_id, type, amount, source, description, transaction_date, valid_from, valid_to, created_at, modified_at)
SELECT $1, a.id, CASE WHEN i % 5 = 0 THEN 'Deduction' ELSE 'Addition' END::ledger_entry_type,
       CASE WHEN i % 5 <> 0 THEN i % 90 + 1 WHEN $5::boolean THEN -(i % 270 + 1) ELSE -(i % 40 + 1) END, 'Purchase', 'bench', $2::timestamptz - make_interval(hours => i),
       ${WINDOWS[mix]},
       $2, $2
  FROM point_account a, generate_series(1, $4::int) AS i
 WHERE a.tenant_id = $1 AND a.id = ANY($3::bigint[])`;

/** EXPLAIN (ANALYZE, BUFFERS) of the account read's own call of the rule (the figures of point-accounts.repository.ts). */
async function explain(tenantId: string, accountId: number, title: string) {
  const { rows: plan } = await pool.query<{ 'QUERY PLAN': string }>(
    `EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, TIMING OFF)
     SELECT s.* FROM ${figuresAt('$1', 'ARRAY[$2::bigint]', 'ARRAY[$3::timestamptz]')} s`,
    [tenantId, accountId, now],
  );
  console.log(title);
  for (const line of plan) console.log(`  ${line['QUERY PLAN']}`);
}

function stats(samples: number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!.toFixed(2);
  return `p50 ${at(0.5)} ms, p95 ${at(0.95)} ms, max ${at(1)} ms (${samples.length} reads)`;
}

async function time(label: string, read: () => Promise<unknown>) {
  // warm the cache and the plan: three reads, or one when it is slow
  for (let i = 0, first = performance.now(); i < 3 && performance.now() - first < SLOW_READ_MS; i++) await read();
  const samples: number[] = [];
  const started = performance.now();
  while (samples.length < iterations && (samples.length < 3 || performance.now() - started < PHASE_BUDGET_MS)) {
    const start = performance.now();
    await read();
    samples.push(performance.now() - start);
  }
  console.log(`  ${label.padEnd(44)} ${stats(samples)}`);
}

try {
  const tenantId = randomUUID();
  await pool.query(`INSERT INTO tenant (id, name, name_key, mode, updated_at) VALUES ($1, 'bench', 'bench', 'all-transaction', now())`, [tenantId]);
  await pool.query(`INSERT INTO point_definition (tenant_id, id, name) VALUES ($1, 1, 'Points')`, [tenantId]);
  const { rows } = await pool.query<{ id: number }>(
    `INSERT INTO point_account (tenant_id, contact_id, definition_id) SELECT $1, gen_random_uuid(), 1 FROM generate_series(0, $2::int) RETURNING id`,
    [tenantId, OTHER_ACCOUNTS],
  );
  const [target, ...others] = rows.map((r) => r.id);
  await pool.query(ENTRY_SQL, [tenantId, now, [target], entries, mix === 'open']);
  await pool.query(ENTRY_SQL, [tenantId, now, others, ENTRIES_PER_OTHER, mix === 'open']);

  const tenant = { id: tenantId, mode: 'all-transaction' as const };
  const accounts = pointAccountsRepository(pool);
  const ledger = ledgerRepository(pool);
  const account = await accounts.find(tenant, target!, now);
  console.log(`Account with ${entries} entries among ${(OTHER_ACCOUNTS * ENTRIES_PER_OTHER).toLocaleString('en')} others:`, account);

  // The member level read goes through the service, as the route does; its entries span about 14 months, 12 of them in the window.
  const log = createLogger('warn', 'bench');
  const levels = levelsService({ db: createDatabase(pool), clock: { now: () => now }, log, queueDeliveries: async () => undefined });
  const levelTenant = {
    id: tenantId,
    name: 'bench',
    mode: 'all-transaction' as const,
    pointSystemActive: true,
    requireKnownContacts: false,
    timeZone: 'UTC',
    maxAdjustmentPoints: 100_000,
    expiry: 'follower' as const,
  };
  await pool.query(
    `INSERT INTO level_ladder (tenant_id, definition_id, basis, window_type, window_months, levels, updated_at)
     VALUES ($1, 1, 'PointsEarned', 'Rolling', 12, $2::jsonb, now())`,
    [
      tenantId,
      JSON.stringify([
        { key: 'member', name: 'Member', threshold: 0 },
        { key: 'silver', name: 'Silver', threshold: 1000 },
        { key: 'gold', name: 'Gold', threshold: 10_000_000 },
      ]),
    ],
  );
  const contactId = account!.contactId;
  console.log('Member level:', await levels.memberLevel(levelTenant, contactId));

  const reads = async (when: string) => {
    console.log(when);
    await time('GET /point-accounts/{id} (derived summary)', () => accounts.find(tenant, target!, now));
    await time('GET /contacts/{id}/member-level', () => levels.memberLevel(levelTenant, contactId));
    await time('transactions?accountId, first 100, All', () => ledger.listEntries(tenantId, target!, 'All', { offset: 0, count: 100 }, now));
    await time('transactions?accountId, first 100, Active', () => ledger.listEntries(tenantId, target!, 'Active', { offset: 0, count: 100 }, now));
  };
  await reads('No checkpoint (every entry replayed, as a read as of a past instant does):');
  await explain(tenantId, target!, 'Plan of the account figures, no checkpoint:');

  // Every account folded on to now, timed: the state the apply and the sweeps keep.
  const foldStart = performance.now();
  await ledger.rebuild(tenantId, null, now);
  const foldSeconds = ((performance.now() - foldStart) / 1000).toFixed(1);
  const { rows: open } = await pool.query<{ n: number }>(`SELECT count(*) AS n FROM ledger_entry WHERE tenant_id = $1 AND account_id = $2 AND phase < 2`, [
    tenantId,
    target,
  ]);
  console.log(
    `Folded every account from its first entry in ${foldSeconds} s; checkpoint of the account: ${JSON.stringify(await ledger.checkpoint(tenantId, target!))};` +
      ` ${open[0]!.n.toLocaleString('en')} of its entries still open (lots with points left, or waiting)`,
  );
  const after = await accounts.find(tenant, target!, now);
  if (JSON.stringify(after) !== JSON.stringify(account)) throw new Error(`the checkpointed read differs: ${JSON.stringify(after)}`);
  await pool.query('VACUUM ANALYZE ledger_entry, ledger_checkpoint');
  await reads('With the checkpoint, after VACUUM ANALYZE: only open entries replayed');
  await explain(tenantId, target!, 'Plan of the account figures, with the checkpoint:');
} finally {
  await pool.end();
  await dropDatabase(url);
}
