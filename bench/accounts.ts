// npm run bench -- --accounts [N=10000000]
// The nightly full sync of a large retailer, on a private Postgres started
// with deploy/postgresql.conf: fresh balances for N accounts, every account
// again with newer balances (a full sync), accept latency at 20 and 50
// batches/s while the worker applies, a second full sync and a vacuum. Run at
// 1,000,000 accounts first when N is larger, so it prints the growth from
// one to the other. For each phase: items per second, WAL per item,
// checkpoints, what Postgres waited for, the API's event-loop delay,
// refused connections, and bytes per account.
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { request } from 'undici';
import { findPostgresBin, freePort, postgresSettings, sleep, startPrivatePostgres } from '../scripts/up/local-servers.ts';
import type { BalanceItem } from '../src/domain/balances.ts';
import { rawCeiling } from './ceiling.ts';
import { percentile, processStat } from './observe.ts';
import { type BenchTarget, startTarget } from './target.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const BATCH = 1000;
const POSTERS = 8;
const ACCEPT_SECONDS = 20;
/** The service's default (WORKER_CONCURRENCY in src/config.ts): the nightly sync as deployed. */
const WORKER_CONCURRENCY = process.env.BENCH_WORKER_CONCURRENCY ?? '4';
/** 200,000 items: long enough to reach pages all over a table of ten million. */
const CEILING_BATCHES = 200;
const requested = Number(process.argv[2] ?? 10_000_000);
if (!(Number.isInteger(requested) && requested >= BATCH && requested % BATCH === 0)) throw new Error('accounts must be a whole number of 1000-item batches');
const sizes = requested > 1_000_000 ? [1_000_000, requested] : [requested];

/** 32 random-looking bits from 32 (a bijection: murmur3's finaliser), so account k's contact id is unique and indexes see random keys, as with real UUIDs. */
function mix32(value: number): number {
  let h = value >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
const hex = (value: number, digits: number) => value.toString(16).padStart(digits, '0').slice(-digits);
function contactId(k: number): string {
  const a = mix32(k);
  const b = mix32(k ^ 0x9e3779b9);
  const c = mix32(k + 0x7f4a7c15);
  return `${hex(a, 8)}-${hex(b >>> 16, 4)}-4${hex(b, 3)}-8${hex(c >>> 20, 3)}-${hex(c, 5)}${hex(mix32(c), 7)}`;
}

/** Batch `b` of a push: accounts b*1000 .. b*1000+999 of `accounts`, shuffled over the key space, with a balance that differs from one `round` to the next. */
function batchBody(b: number, accounts: number, round: number, timeStamp: string): string {
  const items: string[] = [];
  for (let i = 0; i < BATCH; i++) {
    const k = (b * BATCH + i) % accounts;
    const amount = ((k * 7919 + round * 104_729) % 500_000) / 100;
    items.push(`{"contactId":"${contactId(k)}","amount":${amount},"definitionId":1,"timeStamp":"${timeStamp}"}`);
  }
  return `[${items.join(',')}]`;
}

interface Answers {
  refusedConnections: Map<string, number>;
  tooBusy: number;
}

/** POSTs one batch until it is accepted: a 429 waits for its Retry-After, a failed connection is counted and tried again, as a master would. */
async function postUntilAccepted(target: BenchTarget, key: string, body: string, answers: Answers): Promise<void> {
  for (;;) {
    try {
      const response = await request(`${target.url}/api/v2/point-accounts/balances`, {
        method: 'POST',
        headers: { apikey: key, 'content-type': 'application/json' },
        body,
      });
      await response.body.dump();
      if (response.statusCode === 202) return;
      if (response.statusCode !== 429) throw new Error(`POST answered ${response.statusCode}`);
      answers.tooBusy++;
      await sleep(1000 * Number(response.headers['retry-after'] ?? 1));
    } catch (err) {
      const { code, message } = err as { code?: string; message: string }; // ECONNREFUSED, ECONNRESET, UND_ERR_SOCKET, ...
      if (!code) throw err;
      const key = `${code}: ${message}`;
      answers.refusedConnections.set(key, (answers.refusedConnections.get(key) ?? 0) + 1);
      await sleep(100);
    }
  }
}

/** Waits until every batch of the tenant is final; answers when the last one finished. */
async function drained(db: pg.Pool, tenantId: string): Promise<Date> {
  for (;;) {
    const { rows } = await db.query<{ open: string; bad: string; last: Date }>(
      `SELECT count(*) FILTER (WHERE finished_at IS NULL) AS open, count(*) FILTER (WHERE status <> 'Completed' AND finished_at IS NOT NULL) AS bad,
              max(finished_at) AS last FROM ingest_batch WHERE tenant_id = $1`,
      [tenantId],
    );
    if (Number(rows[0]!.bad) > 0) throw new Error(`${rows[0]!.bad} batches did not complete cleanly`);
    if (Number(rows[0]!.open) === 0) return rows[0]!.last;
    await sleep(100);
  }
}

/** Server-wide counters a phase is measured by (differences between two readings). */
async function serverCounters(db: pg.Pool) {
  const { rows } = await db.query<Record<string, string>>(
    `SELECT (SELECT wal_bytes FROM pg_stat_wal) AS wal_bytes, (SELECT wal_fpi FROM pg_stat_wal) AS wal_fpi,
            checkpoints_timed, checkpoints_req, buffers_checkpoint, buffers_backend, buffers_clean,
            (SELECT n_tup_upd FROM pg_stat_user_tables WHERE relname = 'point_account') AS updates,
            (SELECT n_tup_hot_upd FROM pg_stat_user_tables WHERE relname = 'point_account') AS hot_updates
       FROM pg_stat_bgwriter`,
  );
  return Object.fromEntries(Object.entries(rows[0]!).map(([k, v]) => [k, Number(v ?? 0)])) as Record<string, number>;
}

/** Tallies what the accept INSERT and the apply were doing inside Postgres, sampled every 50 ms until stopped. */
function sampleWaits(db: pg.Pool) {
  const tally = { accept: new Map<string, number>(), apply: new Map<string, number>() };
  let running = true;
  const loop = (async () => {
    while (running) {
      const { rows } = await db.query<{ wait: string | null; query: string }>(
        `SELECT wait_event_type || ':' || wait_event AS wait, query FROM pg_stat_activity
          WHERE datname = current_database() AND state = 'active' AND pid <> pg_backend_pid()`,
      );
      for (const { wait, query } of rows) {
        const kind = query.startsWith('INSERT INTO ingest_batch') ? tally.accept : query.includes('INSERT INTO point_account') ? tally.apply : undefined;
        kind?.set(wait ?? 'CPU', (kind.get(wait ?? 'CPU') ?? 0) + 1);
      }
      await sleep(50);
    }
  })();
  const top = (counts: Map<string, number>) => {
    const total = [...counts.values()].reduce((a, b) => a + b, 0);
    return (
      [...counts]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 3)
        .map(([wait, n]) => `${wait} ${Math.round((100 * n) / total)}%`)
        .join(', ') || 'not seen'
    );
  };
  return async () => {
    running = false;
    await loop;
    return { accept: top(tally.accept), apply: top(tally.apply) };
  };
}

/** The API's event-loop delay since the last scrape (prom-client resets its histogram on every scrape). */
async function eventLoopDelay(target: BenchTarget): Promise<{ p99: number; max: number }> {
  const text = await (await request(`${target.url}/metrics`)).body.text();
  const value = (name: string) => Number(new RegExp(`^pf_nodejs_eventloop_lag_${name}_seconds (\\S+)$`, 'm').exec(text)?.[1] ?? NaN) * 1000;
  return { p99: +value('p99').toFixed(1), max: +value('max').toFixed(1) };
}

/** CPU seconds of the private Postgres: the postmaster, the processes it runs now, and those it has reaped. */
function postgresCpuSeconds(postmaster: number): number {
  let ticks = 0;
  for (const entry of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    const fields = processStat(entry);
    if (!fields) continue; // ended meanwhile
    const [own, reaped] = [Number(fields[11]) + Number(fields[12]), Number(fields[13]) + Number(fields[14])];
    if (Number(entry) === postmaster) ticks += own + reaped;
    else if (Number(fields[1]) === postmaster) ticks += own;
  }
  return ticks / 100; // clock ticks of 10 ms
}

/** Pushes every account once (`round` makes the balances new), 8 posters as fast as answers allow; items per second until the last batch is final. */
async function fullPush(target: BenchTarget, tenant: { id: string; key: string }, accounts: number, round: number) {
  const answers: Answers = { refusedConnections: new Map(), tooBusy: 0 };
  const before = await serverCounters(target.db);
  const waits = sampleWaits(target.db);
  await eventLoopDelay(target);
  const cpuBefore = target.cpuSeconds();
  const benchCpuBefore = process.cpuUsage();
  const postgresCpuBefore = postgresCpuSeconds(postgres.pid!);
  const timeStamp = new Date().toISOString();
  const { rows } = await target.db.query<{ t: Date }>('SELECT clock_timestamp() AS t');
  let next = 0;
  const batches = accounts / BATCH;
  await Promise.all(
    Array.from({ length: POSTERS }, async () => {
      for (let b = next++; b < batches; b = next++) await postUntilAccepted(target, tenant.key, batchBody(b, accounts, round, timeStamp), answers);
    }),
  );
  const finished = await drained(target.db, tenant.id);
  const loop = await eventLoopDelay(target);
  const after = await serverCounters(target.db);
  const cpuAfter = target.cpuSeconds();
  const benchCpu = process.cpuUsage(benchCpuBefore);
  const postgresCpu = postgresCpuSeconds(postgres.pid!) - postgresCpuBefore;
  const delta = (name: string) => after[name]! - before[name]!;
  const cpuMs = (side: 'api' | 'worker') => +((1000 * (cpuAfter[side] - cpuBefore[side])) / batches).toFixed(1);
  return {
    itemsPerSecond: Math.round(accounts / ((finished.getTime() - rows[0]!.t.getTime()) / 1000)),
    cpuMsPerBatch: {
      api: cpuMs('api'),
      worker: cpuMs('worker'),
      postgres: +((1000 * postgresCpu) / batches).toFixed(1),
      // Making and sending the batches, which a master does on a machine of its own.
      bench: +((benchCpu.user + benchCpu.system) / 1000 / batches).toFixed(1),
    },
    walBytesPerItem: Math.round(delta('wal_bytes') / accounts),
    fullPageImagesPerItem: +(delta('wal_fpi') / accounts).toFixed(2),
    checkpoints: { timed: delta('checkpoints_timed'), requested: delta('checkpoints_req') },
    buffersWrittenBy: { checkpointer: delta('buffers_checkpoint'), backends: delta('buffers_backend'), bgwriter: delta('buffers_clean') },
    hotUpdateShare: delta('updates') === 0 ? null : +(delta('hot_updates') / delta('updates')).toFixed(3),
    waits: await waits(),
    eventLoopMs: loop,
    tooBusy: answers.tooBusy,
    refusedConnections: Object.fromEntries(answers.refusedConnections),
  };
}

/** Open model: a batch of newer balances every 1/rate seconds for ACCEPT_SECONDS while the worker applies; latency counts from when each was due. */
async function acceptLatency(target: BenchTarget, tenant: { id: string; key: string }, accounts: number, rate: number, round: number) {
  const answers: Answers = { refusedConnections: new Map(), tooBusy: 0 };
  const waits = sampleWaits(target.db);
  await eventLoopDelay(target);
  const timeStamp = new Date().toISOString();
  const count = rate * ACCEPT_SECONDS;
  const bodies = Array.from({ length: count }, (_, b) => batchBody(b, accounts, round, timeStamp));
  const latencies: number[] = [];
  // The bench's own event-loop delay: a stall here delays sends and reads, and would count as the API's latency.
  const ownLoop = monitorEventLoopDelay({ resolution: 10 });
  ownLoop.enable();
  const slow: { at: string; ms: number }[] = [];
  const start = performance.now();
  const inflight: Promise<void>[] = [];
  for (let i = 0; i < count; i++) {
    const due = start + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    inflight.push(
      postUntilAccepted(target, tenant.key, bodies[i]!, answers).then(() => {
        const ms = performance.now() - due;
        latencies.push(ms);
        // When the slow ones were due, to set beside the Postgres log (checkpoints, autovacuum).
        if (ms > 50) slow.push({ at: new Date(performance.timeOrigin + due).toISOString(), ms: +ms.toFixed(1) });
      }),
    );
  }
  await Promise.all(inflight);
  ownLoop.disable();
  const loop = await eventLoopDelay(target);
  const waited = await waits();
  await drained(target.db, tenant.id);
  latencies.sort((a, b) => a - b);
  return {
    p50: +percentile(latencies, 50).toFixed(1),
    p90: +percentile(latencies, 90).toFixed(1),
    p99: +percentile(latencies, 99).toFixed(1),
    max: +(latencies.at(-1) ?? NaN).toFixed(1),
    over50ms: slow,
    waits: waited,
    eventLoopMs: loop,
    benchEventLoopMs: { p99: +(ownLoop.percentile(99) / 1e6).toFixed(1), max: +(ownLoop.max / 1e6).toFixed(1) },
    tooBusy: answers.tooBusy,
    refusedConnections: Object.fromEntries(answers.refusedConnections),
  };
}

function cpuLine(ms: Record<string, number>): string {
  return `CPU per batch: ${Object.entries(ms)
    .map(([side, value]) => `${side} ${value} ms`)
    .join(', ')}`;
}

function acceptLine(rate: number, r: Awaited<ReturnType<typeof acceptLatency>>): string {
  return `  accept at ${rate} batches/s: p50 ${r.p50}, p90 ${r.p90}, p99 ${r.p99} ms; the bench's own event loop at most ${r.benchEventLoopMs.max} ms late`;
}

const TABLES = ['point_account', 'balance_history', 'ingest_batch', 'batch_message'];

/** Bytes on disk per account of each table that grows with accounts or pushes: in all (heap, indexes and TOAST), and its indexes alone. */
async function bytesPerAccount(db: pg.Pool, accounts: number) {
  const { rows } = await db.query<{ relname: string; total: string; indexes: string }>(
    `SELECT c.relname, pg_total_relation_size(c.oid) AS total, pg_indexes_size(c.oid) AS indexes FROM pg_class c WHERE c.relname = ANY($1) AND c.relkind = 'r'`,
    [TABLES],
  );
  const per = (bytes: string) => Math.round(Number(bytes) / accounts);
  const tables = Object.fromEntries(rows.map((row) => [row.relname, { total: per(row.total), indexes: per(row.indexes) }]));
  return { total: rows.reduce((sum, row) => sum + per(row.total), 0), tables };
}

async function deadTuples(db: pg.Pool): Promise<Record<string, number>> {
  const { rows } = await db.query<{ relname: string; dead: string }>(`SELECT relname, n_dead_tup AS dead FROM pg_stat_user_tables WHERE relname = ANY($1)`, [
    TABLES,
  ]);
  return Object.fromEntries(rows.map((row) => [row.relname, Number(row.dead)]));
}

async function runSize(server: string, accounts: number) {
  console.log(`\n${accounts.toLocaleString('en')} accounts`);
  const target = await startTarget({ WORKER_CONCURRENCY }, server);
  try {
    const tenant = await target.createTenant('balance-only');
    const fresh = await fullPush(target, tenant, accounts, 1);
    console.log(`  fresh push: ${fresh.itemsPerSecond.toLocaleString('en')} items/s; ${cpuLine(fresh.cpuMsPerBatch)}`);
    const afterFresh = await bytesPerAccount(target.db, accounts);
    const sync = await fullPush(target, tenant, accounts, 2);
    console.log(`  full sync: ${sync.itemsPerSecond.toLocaleString('en')} items/s; ${cpuLine(sync.cpuMsPerBatch)}`);
    const deadAfterSync = await deadTuples(target.db);
    // The same updates straight through the worker's statement: what Postgres alone does at this size.
    const ceilingBatches = Array.from({ length: CEILING_BATCHES }, (_, b) => JSON.parse(batchBody(b, accounts, 6, new Date().toISOString())) as BalanceItem[]);
    const ceiling = Math.round(await rawCeiling(target.databaseUrl, tenant.id, ceilingBatches, Number(WORKER_CONCURRENCY)));
    console.log(`  raw ceiling of the same updates: ${ceiling.toLocaleString('en')} items/s`);
    const accept20 = await acceptLatency(target, tenant, accounts, 20, 3);
    console.log(acceptLine(20, accept20));
    const accept50 = await acceptLatency(target, tenant, accounts, 50, 4);
    console.log(acceptLine(50, accept50));
    const secondSync = await fullPush(target, tenant, accounts, 5);
    console.log(`  second full sync: ${secondSync.itemsPerSecond.toLocaleString('en')} items/s; ${cpuLine(secondSync.cpuMsPerBatch)}`);
    const vacuumStarted = performance.now();
    await target.db.query(`VACUUM ${TABLES.join(', ')}`);
    const vacuumSeconds = +((performance.now() - vacuumStarted) / 1000).toFixed(1);
    const afterSecondSync = await bytesPerAccount(target.db, accounts);
    return {
      accounts,
      fresh,
      sync,
      ceiling,
      deadAfterSync,
      accept20,
      accept50,
      secondSync,
      vacuumSeconds,
      bytesPerAccount: { afterFresh, afterSecondSync },
    };
  } finally {
    await target.stop();
  }
}

const bin = findPostgresBin();
if (!bin) throw new Error('the bench starts a Postgres of its own: install Postgres (initdb and postgres)');
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'pf-bench-accounts-'));
chmodSync(dataDir, 0o755); // as root, the server runs as the postgres user, which must reach its folder
// BENCH_POSTGRES_CONF: another settings file, to measure what the shipped one changes (an empty file: Postgres's defaults).
const settings = postgresSettings(process.env.BENCH_POSTGRES_CONF);
const postgres = await startPrivatePostgres(bin, dataDir, await freePort(), 'postgres', settings);
console.log(
  `Postgres settings from ${process.env.BENCH_POSTGRES_CONF ?? 'deploy/postgresql.conf'}: ${settings.map(([name, value]) => `${name}=${value}`).join(' ')}`,
);
// Ctrl-C: the private Postgres and its data go too (the API and the worker stop with the process: bench/target.ts).
const abandon = () => void postgres.stop().finally(() => (rmSync(dataDir, { recursive: true, force: true }), process.exit(130)));
process.once('SIGINT', abandon).once('SIGTERM', abandon);
try {
  const results: Awaited<ReturnType<typeof runSize>>[] = [];
  for (const accounts of sizes) results.push(await runSize(postgres.url, accounts));
  const figures = (r: (typeof results)[number]): [string, number][] => [
    ['fresh push, items/s', r.fresh.itemsPerSecond],
    ['full sync of updates, items/s', r.sync.itemsPerSecond],
    ['raw ceiling of the same updates, items/s', r.ceiling],
    ['full sync / ceiling, %', +((100 * r.sync.itemsPerSecond) / r.ceiling).toFixed(1)],
    ['second full sync, items/s', r.secondSync.itemsPerSecond],
    ['accept p99 at 20 batches/s, ms', r.accept20.p99],
    ['accept p99 at 50 batches/s, ms', r.accept50.p99],
    ['WAL per item in the full sync, bytes', r.sync.walBytesPerItem],
    ['bytes per account after the fresh push', r.bytesPerAccount.afterFresh.total],
    ['bytes per account after 2 syncs + vacuum', r.bytesPerAccount.afterSecondSync.total],
  ];
  const table = results.map(figures);
  const width = Math.max(...table[0]!.map(([name]) => name.length));
  const header = `${''.padEnd(width)}  ${results.map((r) => r.accounts.toLocaleString('en').padStart(12)).join('  ')}${results.length > 1 ? '  growth' : ''}`;
  const lines = table[0]!.map(([name], row) => {
    const values = table.map((figuresOfSize) => figuresOfSize[row]![1]);
    const growth = values.length > 1 ? `  ${(values.at(-1)! / values[0]!).toFixed(2)}x` : '';
    return `${name.padEnd(width)}  ${values.map((v) => v.toLocaleString('en').padStart(12)).join('  ')}${growth}`;
  });
  console.log(`\n${header}\n${lines.join('\n')}`);
  const file = path.join(root, 'bench', 'results', `accounts-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify({ settings: Object.fromEntries(settings), results }, null, 2)}\n`);
  console.log(`every figure (waits, checkpoints, event-loop delay, refusals, bytes per table) in ${path.relative(root, file)}`);
} finally {
  await postgres.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
