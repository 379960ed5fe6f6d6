// The system under measurement: a fresh database, and the API and worker as
// separate processes with production settings, sampled for memory.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import pg from 'pg';
import { freePort } from '../scripts/up/local-servers.ts';
import { processStat } from './observe.ts';
import { request } from 'undici';

const root = fileURLToPath(new URL('..', import.meta.url));
const ADMIN_TOKEN = randomBytes(24).toString('base64url');
/** Advisory lock key that one bench run holds on its Postgres server. */
const BENCH_LOCK = 7_310_412;

export interface BenchTarget {
  url: string;
  databaseUrl: string;
  redisUrl: string;
  queuePrefix: string;
  workerConcurrency: number;
  db: pg.Pool;
  createTenant(mode?: 'balance-only' | 'all-transaction'): Promise<{ id: string; key: string }>;
  peakRss(): { api: number; worker: number };
  /** Starts the peaks afresh, for a figure of one phase alone. */
  resetPeakRss(): void;
  cpuSeconds(): { api: number; worker: number };
  /** An admin POST; answers the JSON of its 201. */
  adminPost(pathname: string, body: unknown): Promise<Record<string, string>>;
  /** One more API process on the same database and queues, with some settings of its own; stopped with the target. */
  startExtraApi(settings: Record<string, string>): Promise<string>;
  stop(): Promise<void>;
}

function rss(pid: number | undefined): number {
  try {
    const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return Number(kb ?? 0) * 1024;
  } catch {
    return 0;
  }
}

/** CPU seconds (user and system) a process has used so far; /proc counts them in USER_HZ, 100 a second on Linux. */
function cpuSecondsOf(pid: number | undefined): number {
  const fields = pid === undefined ? null : processStat(pid);
  return fields ? (Number(fields[11]) + Number(fields[12])) / 100 : 0;
}

async function admin(url: string, pathname: string, body: unknown) {
  const response = await request(`${url}/admin/v1${pathname}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const json = (await response.body.json()) as Record<string, string>;
  if (response.statusCode !== 201) throw new Error(`admin ${pathname} answered ${response.statusCode}: ${JSON.stringify(json)}`);
  return json;
}

/** Deletes every key the run left under its queue prefix, so runs do not pile up in Redis. */
async function removeQueueKeys(redisUrl: string, prefix: string): Promise<void> {
  const redis = new Redis(redisUrl);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

/**
 * `extraEnv`: environment both processes get on top of the bench's (the events
 * phase lets them reach a receiver on 127.0.0.1). `server`: the Postgres the
 * bench database is made on.
 */
export async function startTarget(
  extraEnv: Record<string, string> = {},
  server = process.env.BENCH_POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres',
): Promise<BenchTarget> {
  const redisUrl = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
  const databaseUrl = Object.assign(new URL(server), { pathname: '/pf_bench' }).toString();
  // Held for the whole run: a second run would drop pf_bench under this one.
  const maintenance = new pg.Client({ connectionString: server });
  await maintenance.connect();
  const { rows } = await maintenance.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [BENCH_LOCK]);
  if (!rows[0]!.locked) {
    await maintenance.end();
    throw new Error('another bench run is using pf_bench on this Postgres; wait for it to finish');
  }
  await maintenance.query('DROP DATABASE IF EXISTS pf_bench WITH (FORCE)');
  execFileSync('npm', ['run', '-s', 'db:migrate'], { cwd: root, env: { ...process.env, DATABASE_URL: databaseUrl }, stdio: 'ignore' });
  execFileSync('npm', ['run', '-s', 'build'], { cwd: root, stdio: 'inherit' }); // the service as deployed: compiled JS

  const port = await freePort();
  const queuePrefix = `pfbench-${randomBytes(3).toString('hex')}`;
  const workerConcurrency = Number(process.env.BENCH_WORKER_CONCURRENCY ?? os.cpus().length);
  const env = {
    ...process.env,
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    DATABASE_URL: databaseUrl,
    REDIS_URL: redisUrl,
    ADMIN_TOKEN,
    SECRETS_KEY: randomBytes(32).toString('base64'),
    HOST: '127.0.0.1',
    PORT: String(port),
    QUEUE_PREFIX: queuePrefix,
    WORKER_CONCURRENCY: String(workerConcurrency),
    WORKER_METRICS_PORT: '0',
    ...extraEnv,
  };
  // BENCH_PROFILE=1 writes V8 CPU profiles of both processes to bench/profiles (open them in Chrome DevTools).
  const profile = process.env.BENCH_PROFILE === '1' ? ['--cpu-prof', '--cpu-prof-dir', 'bench/profiles'] : [];
  const children: ChildProcess[] = [];
  const start = (settings: Record<string, string>, ...args: string[]): ChildProcess => {
    const child = spawn(process.execPath, [...profile, ...args], { cwd: root, env: { ...env, ...settings }, stdio: ['ignore', 'inherit', 'inherit'] });
    children.push(child);
    return child;
  };
  const api = start({}, ...(process.env.BENCH_API_FLAGS ?? '').split(' ').filter(Boolean), 'dist/server.js');
  const worker = start({}, 'dist/worker.js');
  // If the bench dies before stop(), its API and worker must not live on.
  const killChildren = () => children.forEach((child) => child.kill('SIGTERM'));
  process.once('exit', killChildren);

  const whenReady = async (url: string) => {
    for (let tries = 0; ; tries++) {
      const ready = await request(`${url}/ready`).then(
        (r) => r.body.dump().then(() => r.statusCode === 200),
        () => false,
      );
      if (ready) return;
      if (tries > 200) throw new Error(`the API at ${url} did not become ready`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
  const url = `http://127.0.0.1:${port}`;
  await whenReady(url);

  const peak = { api: 0, worker: 0 };
  const sampler = setInterval(() => {
    peak.api = Math.max(peak.api, rss(api.pid));
    peak.worker = Math.max(peak.worker, rss(worker.pid));
  }, 100);

  const db = new pg.Pool({ connectionString: databaseUrl, max: 2 });
  return {
    url,
    databaseUrl,
    redisUrl,
    queuePrefix,
    workerConcurrency,
    db,
    async createTenant(mode = 'balance-only') {
      const tenant = await admin(url, '/tenants', { name: `bench-${randomBytes(4).toString('hex')}`, mode });
      await admin(url, `/tenants/${tenant.id}/definitions`, { id: 1, name: 'Points' });
      const { key } = await admin(url, `/tenants/${tenant.id}/api-keys`, { name: 'bench' });
      return { id: tenant.id!, key: key! };
    },
    adminPost: (pathname, body) => admin(url, pathname, body),
    peakRss: () => ({ ...peak }),
    resetPeakRss() {
      peak.api = rss(api.pid);
      peak.worker = rss(worker.pid);
    },
    cpuSeconds: () => ({ api: cpuSecondsOf(api.pid), worker: cpuSecondsOf(worker.pid) }),
    async startExtraApi(settings) {
      const extraPort = await freePort();
      start({ ...settings, PORT: String(extraPort) }, 'dist/server.js');
      await whenReady(`http://127.0.0.1:${extraPort}`);
      return `http://127.0.0.1:${extraPort}`;
    },
    async stop() {
      clearInterval(sampler);
      await db.end();
      const exited = children.map((child) => new Promise((resolve) => child.once('exit', resolve)));
      killChildren();
      await Promise.all(exited);
      process.off('exit', killChildren);
      await removeQueueKeys(redisUrl, queuePrefix);
      await maintenance.end();
    },
  };
}
