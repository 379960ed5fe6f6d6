// npm run bench [-- --scale 0.1]
// Starts the API and the worker as deployed (separate processes, production
// settings) against the local Postgres and Redis, and measures in one run:
// end-to-end balance ingest, accept latency under an open-model load, and the
// raw ceiling of the same SQL straight through pg, and a Full reconciliation
// of a million accounts (bench/reconciliation.ts). Prints a table and writes
// bench/results/<time>.json.
//
// npm run bench -- --digest [accounts=1000000]
// Instead: a comparison of that many accounts by digest against a Full
// upload of the same accounts (bench/digest.ts, which prints its own figures).
//
// npm run bench -- --events [changes=200000]
// Instead: point.balance.updated to a subscriber in batch mode on 127.0.0.1
// (bench/events.ts, which prints its own figures).
//
// npm run bench -- --accounts [accounts=10000000]
// Instead: the nightly full sync of a large retailer on a private Postgres
// with deploy/postgresql.conf, at 1,000,000 accounts and at that many
// (bench/accounts.ts, which prints the growth table).
//
// npm run bench -- --commit-latency [seconds=20]
// Instead: the accept's commit latency beside steady WAL, on fresh private
// Postgres servers with wal_init_zero on (the default, as shipped) and off
// (bench/commit-latency.ts, which prints its own figures).
//
// npm run bench -- --ledger [entries=1000000] [--mix history|open]
// Instead: the account read of one account with that many ledger entries,
// scanning every entry and then with the account's checkpoint
// (bench/ledger-read.ts, which prints its own figures and plans).
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { request } from 'undici';
import { INGEST_QUEUE } from '../src/queue/queues.ts';
import { parseArgv } from '../src/cli/context.ts';
import { machineCpu, percentile, sampleAcceptWaits } from './observe.ts';
import { rawCeiling } from './ceiling.ts';
import { reconciliationBench } from './reconciliation.ts';
import { type BenchTarget, startTarget } from './target.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const { values: flags } = parseArgv(process.argv.slice(2));
if (flags.ledger !== undefined) {
  const entries = flags.ledger === true ? '1000000' : String(flags.ledger);
  const mix = typeof flags.mix === 'string' ? flags.mix : 'history';
  execFileSync(process.execPath, ['--import', 'tsx', 'bench/ledger-read.ts', entries, '300', mix], { cwd: root, stdio: 'inherit' });
  process.exit(0);
}
if (flags.events !== undefined) {
  const changes = flags.events === true ? '200000' : String(flags.events);
  execFileSync(process.execPath, ['--import', 'tsx', 'bench/events.ts', changes], { cwd: root, stdio: 'inherit' });
  process.exit(0);
}
if (flags.accounts !== undefined) {
  const accounts = flags.accounts === true ? '10000000' : String(flags.accounts);
  execFileSync(process.execPath, ['--import', 'tsx', 'bench/accounts.ts', accounts], { cwd: root, stdio: 'inherit' });
  process.exit(0);
}
if (flags['commit-latency'] !== undefined) {
  const seconds = flags['commit-latency'] === true ? '20' : String(flags['commit-latency']);
  execFileSync(process.execPath, ['--import', 'tsx', 'bench/commit-latency.ts', seconds], { cwd: root, stdio: 'inherit' });
  process.exit(0);
}
if (flags.digest !== undefined) {
  const accounts = flags.digest === true ? '1000000' : String(flags.digest);
  // The master's books, and what reconciling builds from them, are held in memory: at 10,000,000 accounts they
  // outgrew Node's default heap (about 4 GB, so more than 0.4 KB an account), so the heap may grow to 1 KB an account.
  const heapMb = Math.max(4096, Math.ceil(Number(accounts) / 1000) + 1024);
  execFileSync(process.execPath, [`--max-old-space-size=${heapMb}`, '--import', 'tsx', 'bench/digest.ts', accounts], { cwd: root, stdio: 'inherit' });
  process.exit(0);
}
const scale = Number(flags.scale ?? 1);
if (!(scale > 0 && scale <= 10)) throw new Error('--scale must be in (0, 10]');

const BATCH = 1000;
const roundToBatches = (n: number) => Math.max(BATCH, Math.round((n * scale) / BATCH) * BATCH);
const sizes = {
  balanceItems: roundToBatches(200_000),
  transactionRows: roundToBatches(100_000),
  acceptRate: 50, // batches per second, offered whatever the answers do
  acceptSeconds: Math.max(2, Math.round(10 * scale)),
  /** The overload phase offers twice what the balances phase applied, for this long, to an API with this backlog limit. */
  overloadSeconds: Math.max(4, Math.round(8 * scale)),
  overloadBacklogLimit: roundToBatches(100_000),
  posters: 8,
  reconciledAccounts: roundToBatches(1_000_000),
};

type BalanceItem = { contactId: string; amount: number; definitionId: number; timeStamp: string };

function balanceBatches(items: number): BalanceItem[][] {
  const timeStamp = new Date().toISOString();
  return Array.from({ length: items / BATCH }, () =>
    Array.from({ length: BATCH }, (_, i) => ({ contactId: randomUUID(), amount: ((i * 7919) % 500_000) / 100, definitionId: 1, timeStamp })),
  );
}

type TransactionRow = {
  contactId: string;
  amount: number;
  definitionId: number;
  source: string;
  description: string;
  validFrom?: string;
  validTo?: string;
  externalId?: string;
  sequence?: number;
};

/**
 * A day of a store's traffic: purchases that count at once (with two decimal
 * places), purchases pending for two weeks, campaign points that expire (some
 * already lapsed), and returns; about five rows per contact. `identified`:
 * every row also carries an externalId and its sequence, as a master using
 * sync assurance sends them
 * (the posters send batches side by side, so sequences arrive out of order
 * and gaps open and close as they would).
 */
function transactionBatches(rows: number, identified = false): TransactionRow[][] {
  const contacts = Array.from({ length: Math.max(1, rows / 5) }, () => randomUUID());
  const day = 86_400_000;
  const at = (offsetDays: number) => new Date(Date.now() + offsetDays * day).toISOString();
  const row = (i: number): TransactionRow => {
    const contactId = contacts[i % contacts.length]!;
    switch (i % 20) {
      case 0:
      case 1:
      case 2:
        return { contactId, amount: 40, definitionId: 1, source: 'Purchase', description: 'Pending purchase', validFrom: at(14) };
      case 3:
        return { contactId, amount: 25, definitionId: 1, source: 'Automation', description: 'Campaign', validFrom: at(-60), validTo: at(-1) };
      case 4:
        return { contactId, amount: 25, definitionId: 1, source: 'Automation', description: 'Campaign', validTo: at(365) };
      case 5:
        return { contactId, amount: -15, definitionId: 1, source: 'Return', description: 'Returned item' };
      default:
        return { contactId, amount: (1000 + ((i * 7919) % 9000)) / 100, definitionId: 1, source: 'Purchase', description: `Receipt ${i}` };
    }
  };
  const identify = (r: TransactionRow, n: number): TransactionRow => (identified ? { ...r, externalId: `receipt-${n + 1}`, sequence: n + 1 } : r);
  return Array.from({ length: rows / BATCH }, (_, b) => Array.from({ length: BATCH }, (_, i) => identify(row(b * BATCH + i), b * BATCH + i)));
}

/** POSTs a batch already serialized, so the load generator spends no CPU on JSON while the system is measured. */
async function post(target: BenchTarget, key: string, body: string, endpoint: 'balances' | 'transactions' = 'balances'): Promise<string> {
  const response = await request(`${target.url}/api/v2/point-accounts/${endpoint}`, {
    method: 'POST',
    headers: { apikey: key, 'content-type': 'application/json' },
    body,
  });
  const answer = (await response.body.json()) as { id: string };
  if (response.statusCode !== 202) throw new Error(`POST answered ${response.statusCode}: ${JSON.stringify(answer)}`);
  return answer.id;
}

/** Waits until every batch of the tenant is final; returns when the last one finished (Postgres' own clock). */
async function lastFinish(target: BenchTarget, tenantId: string, expected: number): Promise<Date> {
  for (;;) {
    const { rows } = await target.db.query<{ done: number; bad: number; last: Date }>(
      `SELECT count(*) FILTER (WHERE finished_at IS NOT NULL) AS done, count(*) FILTER (WHERE status <> 'Completed' AND finished_at IS NOT NULL) AS bad, max(finished_at) AS last
         FROM ingest_batch WHERE tenant_id = $1`,
      [tenantId],
    );
    const row = rows[0]!;
    if (Number(row.bad) > 0) throw new Error(`${row.bad} batches did not complete cleanly`);
    if (Number(row.done) >= expected) return row.last;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/**
 * Items per second from the first POST until the last batch is final, with
 * `posters` concurrent clients, and the CPU the API and the worker spent on
 * each batch meanwhile (accepting it, applying it).
 */
async function endToEnd(target: BenchTarget, batches: unknown[][], endpoint: 'balances' | 'transactions') {
  const tenant = await target.createTenant(endpoint === 'balances' ? 'balance-only' : 'all-transaction');
  const queue = batches.map((batch) => JSON.stringify(batch));
  const { rows } = await target.db.query<{ t: Date }>('SELECT now() AS t');
  const started = rows[0]!.t;
  const cpuBefore = target.cpuSeconds();
  await Promise.all(
    Array.from({ length: sizes.posters }, async () => {
      for (let batch = queue.shift(); batch; batch = queue.shift()) await post(target, tenant.key, batch, endpoint);
    }),
  );
  const finished = await lastFinish(target, tenant.id, batches.length);
  const cpuAfter = target.cpuSeconds();
  const msPerBatch = (seconds: number) => +((seconds * 1000) / batches.length).toFixed(1);
  return {
    perSecond: (batches.length * BATCH) / ((finished.getTime() - started.getTime()) / 1000),
    cpuMsPerBatch: { api: msPerBatch(cpuAfter.api - cpuBefore.api), worker: msPerBatch(cpuAfter.worker - cpuBefore.worker) },
  };
}

/**
 * Open model: a request is sent every 1/rate seconds whether or not earlier ones
 * answered, and latency counts from the moment it was due, so a stall shows up
 * in the figures instead of slowing the offered load. With `workerPaused` the
 * ingest queue is paused while the requests arrive, which separates the cost
 * of accepting from the cost of applying on the same cores.
 */
async function acceptLatency(target: BenchTarget, batches: BalanceItem[][], workerPaused: boolean) {
  const tenant = await target.createTenant();
  const connection = new Redis(target.redisUrl);
  const queue = new Queue(INGEST_QUEUE, { connection, prefix: target.queuePrefix });
  if (workerPaused) await queue.pause();
  const bodies = batches.map((batch) => JSON.stringify(batch));
  const interval = 1000 / sizes.acceptRate;
  const cpuBusy = machineCpu();
  const waits = sampleAcceptWaits(target.db);
  const start = performance.now();
  const latencies: number[] = [];
  const inflight: Promise<void>[] = [];
  for (let i = 0; i < bodies.length; i++) {
    const due = start + i * interval;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    inflight.push(post(target, tenant.key, bodies[i]!).then(() => void latencies.push(performance.now() - due)));
  }
  await Promise.all(inflight);
  const machineCpuPercent = cpuBusy();
  const insertWaits = await waits();
  await queue.resume();
  await queue.close();
  connection.disconnect();
  await lastFinish(target, tenant.id, batches.length);
  latencies.sort((a, b) => a - b);
  const ms = (value: number) => +value.toFixed(1);
  return {
    p50: ms(percentile(latencies, 50)),
    p99: ms(percentile(latencies, 99)),
    max: ms(latencies.at(-1) ?? NaN),
    machineCpuPercent,
    insertWaits,
  };
}

/**
 * Twice the measured apply rate offered (open model) to an API whose
 * per-tenant backlog limit is set: what it accepts, what it refuses with 429,
 * how high the backlog of unapplied items climbs against the limit, and how
 * fast it answers meanwhile.
 */
async function overload(target: BenchTarget, applyPerSecond: number) {
  const url = await target.startExtraApi({ INGEST_BACKLOG_LIMIT: String(sizes.overloadBacklogLimit), INGEST_BACKLOG_LIMIT_TOTAL: '0' });
  const tenant = await target.createTenant();
  const offeredPerSecond = (2 * applyPerSecond) / BATCH;
  const bodies = balanceBatches(Math.max(BATCH, Math.round(offeredPerSecond * sizes.overloadSeconds) * BATCH)).map((batch) => JSON.stringify(batch));
  let maxBacklog = 0;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const { rows } = await target.db.query<{ n: number }>(
        `SELECT coalesce(sum(item_count), 0)::float8 AS n FROM ingest_batch WHERE tenant_id = $1 AND status IN ('Queued', 'Processing')`,
        [tenant.id],
      );
      maxBacklog = Math.max(maxBacklog, rows[0]!.n);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  })();
  const answers: { status: number; ms: number }[] = [];
  const start = performance.now();
  const inflight: Promise<void>[] = [];
  for (let i = 0; i < bodies.length; i++) {
    const due = start + (i * 1000) / offeredPerSecond;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    inflight.push(
      request(`${url}/api/v2/point-accounts/balances`, {
        method: 'POST',
        headers: { apikey: tenant.key, 'content-type': 'application/json' },
        body: bodies[i],
      }).then(async (response) => {
        await response.body.dump();
        answers.push({ status: response.statusCode, ms: performance.now() - due });
      }),
    );
  }
  await Promise.all(inflight);
  const seconds = (performance.now() - start) / 1000;
  const accepted = answers.filter((a) => a.status === 202).length;
  const others = answers.filter((a) => a.status !== 202 && a.status !== 429);
  if (others.length > 0) throw new Error(`overload: answers other than 202 and 429: ${JSON.stringify(others.slice(0, 5))}`);
  await lastFinish(target, tenant.id, accepted);
  sampling = false;
  await sampler;
  const latencies = answers.map((a) => a.ms).sort((a, b) => a - b);
  return {
    offeredItemsPerSecond: Math.round((bodies.length * BATCH) / seconds),
    acceptedItemsPerSecond: Math.round((accepted * BATCH) / seconds),
    refusedShare: +((answers.length - accepted) / answers.length).toFixed(3),
    maxBacklog,
    backlogLimit: sizes.overloadBacklogLimit,
    p50: +percentile(latencies, 50).toFixed(1),
    p99: +percentile(latencies, 99).toFixed(1),
  };
}

async function redisMemory(url: string): Promise<number> {
  const redis = new Redis(url);
  const info = await redis.info('memory');
  redis.disconnect();
  return Number(/used_memory:(\d+)/.exec(info)?.[1]);
}

const commit = (() => {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root }).toString().trim();
  } catch {
    return 'unknown';
  }
})();

const target = await startTarget();
try {
  const redisBefore = await redisMemory(target.redisUrl);
  const data = balanceBatches(sizes.balanceItems);
  console.log(
    `balances: ${sizes.balanceItems} items; transactions: ${sizes.transactionRows} rows; accept: ${sizes.acceptRate} batches/s for ${sizes.acceptSeconds} s`,
  );

  const ceiling = await rawCeiling(target.databaseUrl, (await target.createTenant()).id, data, target.workerConcurrency);
  const balances = await endToEnd(target, data, 'balances');
  const transactions = await endToEnd(target, transactionBatches(sizes.transactionRows), 'transactions');
  const identified = await endToEnd(target, transactionBatches(sizes.transactionRows, true), 'transactions');
  const acceptBatches = () => balanceBatches(sizes.acceptRate * sizes.acceptSeconds * BATCH);
  const accept = await acceptLatency(target, acceptBatches(), false);
  const acceptAlone = await acceptLatency(target, acceptBatches(), true);
  const overloaded = await overload(target, balances.perSecond);
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const redisAfter = await redisMemory(target.redisUrl);
  // Last: it resets the peak RSS figures to measure its own, after they have been read for the phases above.
  const peakRssBefore = target.peakRss();
  const reconciliation = await reconciliationBench(target, sizes.reconciledAccounts);

  const result = {
    time: new Date().toISOString(),
    commit,
    cores: os.cpus().length,
    node: process.version,
    scale,
    balances: {
      items: sizes.balanceItems,
      endToEndPerSecond: Math.round(balances.perSecond),
      ceilingPerSecond: Math.round(ceiling),
      ratio: +(balances.perSecond / ceiling).toFixed(3),
      cpuMsPerBatch: balances.cpuMsPerBatch,
    },
    transactions: { rows: sizes.transactionRows, endToEndPerSecond: Math.round(transactions.perSecond), cpuMsPerBatch: transactions.cpuMsPerBatch },
    transactionsIdentified: {
      rows: sizes.transactionRows,
      endToEndPerSecond: Math.round(identified.perSecond),
      cpuMsPerBatch: identified.cpuMsPerBatch,
      ratioToPlain: +(identified.perSecond / transactions.perSecond).toFixed(3),
    },
    acceptLatencyMs: { offeredBatchesPerSecond: sizes.acceptRate, whileApplying: accept, workerPaused: acceptAlone },
    overload: overloaded,
    peakRssMb: { api: Math.round(peakRssBefore.api / 1048576), worker: Math.round(peakRssBefore.worker / 1048576) },
    reconciliation,
    redisUsedMemoryMb: { before: +(redisBefore / 1048576).toFixed(2), after: +(redisAfter / 1048576).toFixed(2) },
  };

  const acceptContext = (phase: typeof accept): [string, string][] => [
    ['    machine CPU busy', phase.machineCpuPercent === null ? 'unknown' : `${phase.machineCpuPercent} %`],
    ['    accept INSERT in Postgres', `CPU ${phase.insertWaits.cpu} %, WAL flush ${phase.insertWaits.walFlush} %, other ${phase.insertWaits.other} %`],
  ];
  const rows: [string, string][] = [
    ['balances end to end', `${result.balances.endToEndPerSecond.toLocaleString('en')} items/s`],
    ['balances raw ceiling (pg, same SQL)', `${result.balances.ceilingPerSecond.toLocaleString('en')} items/s`],
    ['ratio end to end / ceiling', `${(result.balances.ratio * 100).toFixed(1)} %`],
    ['  CPU per 1000-item batch', `api ${balances.cpuMsPerBatch.api} ms, worker ${balances.cpuMsPerBatch.worker} ms`],
    ['transactions end to end', `${result.transactions.endToEndPerSecond.toLocaleString('en')} rows/s`],
    ['  CPU per 1000-row batch', `api ${transactions.cpuMsPerBatch.api} ms, worker ${transactions.cpuMsPerBatch.worker} ms`],
    ['transactions with externalId + sequence', `${result.transactionsIdentified.endToEndPerSecond.toLocaleString('en')} rows/s`],
    ['  CPU per 1000-row batch', `api ${identified.cpuMsPerBatch.api} ms, worker ${identified.cpuMsPerBatch.worker} ms`],
    ['  ratio to plain transactions', `${(result.transactionsIdentified.ratioToPlain * 100).toFixed(1)} % (goal: at least 80 %)`],
    [`accept latency at ${sizes.acceptRate} batches/s`, `p50 ${accept.p50} ms, p99 ${accept.p99} ms, max ${accept.max} ms`],
    ...acceptContext(accept),
    ['  the same, worker paused', `p50 ${acceptAlone.p50} ms, p99 ${acceptAlone.p99} ms, max ${acceptAlone.max} ms`],
    ...acceptContext(acceptAlone),
    [
      'overload: 2x apply rate offered',
      `${overloaded.offeredItemsPerSecond.toLocaleString('en')} items/s offered, ${overloaded.acceptedItemsPerSecond.toLocaleString('en')} accepted, ${(overloaded.refusedShare * 100).toFixed(1)} % of pushes refused (429)`,
    ],
    [
      '  backlog, answers',
      `max ${overloaded.maxBacklog.toLocaleString('en')} items (limit ${overloaded.backlogLimit.toLocaleString('en')}); p50 ${overloaded.p50} ms, p99 ${overloaded.p99} ms`,
    ],
    ['peak RSS', `api ${result.peakRssMb.api} MB, worker ${result.peakRssMb.worker} MB`],
    [
      `Full reconciliation, ${reconciliation.accounts.toLocaleString('en')} accounts`,
      `${reconciliation.perSecond.toLocaleString('en')} accounts/s end to end (upload ${reconciliation.uploadSeconds} s, compare ${reconciliation.compareSeconds} s)`,
    ],
    ['  peak RSS while reconciling', `api ${reconciliation.peakRssMb.api} MB, worker ${reconciliation.peakRssMb.worker} MB`],
    ['Redis used memory', `before ${result.redisUsedMemoryMb.before} MB, after ${result.redisUsedMemoryMb.after} MB`],
    ['machine', `${result.cores} cores, node ${result.node}, commit ${commit}`],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  console.log(rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n'));

  const dir = path.join(root, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${result.time.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  console.log(`written to ${path.relative(root, file)}`);
} finally {
  await target.stop();
}
