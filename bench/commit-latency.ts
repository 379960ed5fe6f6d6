// npm run bench -- --commit-latency [seconds=20]
// What creating WAL segments costs a synchronous commit. Fresh private
// Postgres servers with deploy/postgresql.conf, where wal_init_zero is on (the
// default: a new 16 MB segment is filled with zeros and flushed inside the
// commit that first needs it), and the same with it off, twice each,
// alternated: one connection writes WAL steadily with asynchronous commits,
// as the worker's applies do at 20 batches/s (about 12 MB/s); another stores
// a batch-sized row every 50 ms with a synchronous commit, as the accept
// does. Prints the commit latencies of the second.
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { findPostgresBin, freePort, postgresSettings, sleep, startPrivatePostgres } from '../scripts/up/local-servers.ts';
import { percentile } from './observe.ts';

const seconds = Number(process.argv[2] ?? 20);
if (!(seconds > 0)) throw new Error('seconds must be a positive number');
/** Rows of about 600 bytes of WAL each (what a balance update and its history row write), 20 batches of 1000 a second. */
const APPLY_ROWS_PER_SECOND = 20_000;
const ACCEPT_EVERY_MS = 50;
/** A batch of 1000 balances as the API stores it: about 100 KB of JSON. */
const BATCH_JSON = JSON.stringify(
  Array.from({ length: 1000 }, (_, i) => ({
    contactId: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    amount: i,
    definitionId: 1,
    timeStamp: new Date(i).toISOString(),
  })),
);

async function measure(walInitZero: 'on' | 'off') {
  const bin = findPostgresBin();
  if (!bin) throw new Error('the bench starts a Postgres of its own: install Postgres (initdb and postgres)');
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'pf-bench-commit-'));
  chmodSync(dataDir, 0o755);
  const settings = postgresSettings().filter(([name]) => name !== 'wal_init_zero');
  const server = await startPrivatePostgres(bin, dataDir, await freePort(), 'postgres', [...settings, ['wal_init_zero', walInitZero]]);
  const apply = new pg.Client({ connectionString: server.url });
  const accept = new pg.Client({ connectionString: server.url });
  try {
    await Promise.all([apply.connect(), accept.connect()]);
    await apply.query(`CREATE TABLE applied (id bigserial PRIMARY KEY, payload text); CREATE TABLE accepted (id bigserial PRIMARY KEY, payload json)`);
    await apply.query('SET synchronous_commit = off');
    const until = performance.now() + seconds * 1000;
    const applying = (async () => {
      const started = performance.now();
      for (let sent = 0; performance.now() < until; sent += 1000) {
        const due = started + (sent / APPLY_ROWS_PER_SECOND) * 1000;
        if (due > performance.now()) await sleep(due - performance.now());
        await apply.query(`INSERT INTO applied (payload) SELECT md5(g::text) || repeat('x', 500) FROM generate_series(1, 1000) g`);
      }
    })();
    const latencies: number[] = [];
    while (performance.now() < until) {
      const started = performance.now();
      await accept.query('BEGIN');
      await accept.query('INSERT INTO accepted (payload) VALUES ($1)', [BATCH_JSON]);
      const committing = performance.now();
      await accept.query('COMMIT');
      latencies.push(performance.now() - committing);
      await sleep(Math.max(0, ACCEPT_EVERY_MS - (performance.now() - started)));
    }
    await applying;
    const { rows } = await apply.query<{ wal: string }>(`SELECT pg_size_pretty(wal_bytes) AS wal FROM pg_stat_wal`);
    latencies.sort((a, b) => a - b);
    const at = (p: number) => percentile(latencies, p).toFixed(1);
    return { commits: latencies.length, p50: at(50), p99: at(99), max: at(100), over30ms: latencies.filter((ms) => ms > 30).length, wal: rows[0]!.wal };
  } finally {
    await Promise.allSettled([apply.end(), accept.end()]);
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

console.log(
  `commit latency of a ${Math.round(BATCH_JSON.length / 1024)} KB row every ${ACCEPT_EVERY_MS} ms, beside ${APPLY_ROWS_PER_SECOND} rows/s of asynchronous commits, ${seconds} s per run`,
);
for (const walInitZero of ['on', 'off', 'on', 'off'] as const) {
  const r = await measure(walInitZero);
  console.log(
    `wal_init_zero = ${walInitZero.padEnd(3)}  commits ${r.commits}  p50 ${r.p50} ms  p99 ${r.p99} ms  max ${r.max} ms  over 30 ms: ${r.over30ms}  WAL written ${r.wal}`,
  );
}
