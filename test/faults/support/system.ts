import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import {
  freePort,
  type PrivatePgBouncer,
  type PrivatePostgres,
  type PrivateRedis,
  sleep,
  startPrivatePgBouncer,
  startPrivatePostgres,
  startPrivateRedis,
} from './services.ts';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const ADMIN_TOKEN = randomBytes(24).toString('base64url');

/** One API or worker process, started as operators start it (the TypeScript sources through tsx). */
interface ServiceProcess {
  child: ChildProcess;
  output(): string;
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Resolves with the exit code (null when a signal ended it). */
  exited: Promise<number | null>;
}

function startProcess(script: string, env: NodeJS.ProcessEnv): ServiceProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const listeners = new Set<() => void>();
  const collect = (chunk: Buffer) => {
    // Keep the start and the end: enough to explain a failure without holding every log line.
    output = output.length > 400_000 ? output.slice(0, 100_000) + output.slice(-200_000) + chunk.toString() : output + chunk.toString();
    for (const listener of listeners) listener();
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    output: () => output,
    exited,
    waitFor: (pattern, timeoutMs = 30_000) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${script}: no ${pattern} within ${timeoutMs} ms:\n${output.slice(-5000)}`)), timeoutMs);
        const check = () => {
          const match = output.match(pattern);
          if (!match) return;
          listeners.delete(check);
          clearTimeout(timer);
          resolve(match);
        };
        listeners.add(check);
        void exited.then(() => {
          if (!output.match(pattern)) {
            clearTimeout(timer);
            reject(new Error(`${script} exited before ${pattern}:\n${output.slice(-5000)}`));
          }
        });
        check();
      }),
  };
}

/** tsx compiles each process at start: 13 s for an API on a busy machine, 20 s for one started while others run a load. */
const START_TIMEOUT_MS = 90_000;

interface Tenant {
  id: string;
  key: string;
}

export interface FaultSystem {
  postgres: PrivatePostgres;
  /** The PgBouncer the API and worker processes reach Postgres through, when the case asked for one. */
  pgbouncer: PrivatePgBouncer | undefined;
  redis: PrivateRedis;
  /** The first API's address; `apiUrls` lists every API's. */
  apiUrl: string;
  apiUrls: string[];
  /** A pool on the private database, for checking what Postgres holds. */
  db: pg.Pool;
  /** The first API process; `apis` holds one per address of `apiUrls`. */
  api: ServiceProcess;
  apis: ServiceProcess[];
  workers: ServiceProcess[];
  /** (Re)starts the API at `apiUrls[index]`. */
  startApi(index?: number): Promise<ServiceProcess>;
  startWorker(): Promise<ServiceProcess>;
  /** SIGKILLs a worker (no shutdown at all) and waits until it is gone. */
  killWorker(worker: ServiceProcess): Promise<void>;
  /** An admin API call with the admin token; throws unless the answer is 2xx. */
  admin(method: 'POST' | 'PUT', path: string, body: unknown): Promise<Record<string, string>>;
  createTenant(mode: 'balance-only' | 'all-transaction'): Promise<Tenant>;
  destroy(): Promise<void>;
}

/**
 * A private Postgres and Redis, the database migrated with the operators'
 * command, the real API and `workers` real worker processes over them. With
 * `pooler`, the processes reach Postgres through a PgBouncer in transaction
 * pooling mode with that many server connections; the migration and the
 * test's own checks connect directly, as docs/scaling.md tells operators to.
 */
export async function startFaultSystem(
  options: { apis?: number; workers?: number; concurrency?: number; env?: Record<string, string>; pooler?: { serverConnections: number } } = {},
): Promise<FaultSystem> {
  const [postgres, redis] = await Promise.all([startPrivatePostgres(), startPrivateRedis()]);
  const databaseUrl = postgres.url('point_follower');
  execFileSync('npm', ['run', '-s', 'db:migrate'], { cwd: root, env: { ...process.env, DATABASE_URL: databaseUrl }, stdio: ['ignore', 'ignore', 'inherit'] });
  const pgbouncer = options.pooler
    ? await startPrivatePgBouncer(postgres.port, options.pooler.serverConnections).catch(async (err: unknown) => {
        await Promise.all([postgres.destroy(), redis.destroy()]);
        throw err;
      })
    : undefined;
  const ports: number[] = [];
  for (let i = 0; i < (options.apis ?? 1); i++) ports.push(await freePort());
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'production',
    DATABASE_URL: pgbouncer?.url('point_follower') ?? databaseUrl,
    REDIS_URL: redis.url,
    ADMIN_TOKEN,
    SECRETS_KEY: randomBytes(32).toString('base64'),
    HOST: '127.0.0.1',
    QUEUE_PREFIX: 'pf',
    WORKER_CONCURRENCY: String(options.concurrency ?? 2),
    WORKER_METRICS_PORT: '0',
    RECOVERY_INTERVAL_MS: '300',
    RECOVERY_GRACE_MS: '200',
    // The drivers send as fast as they can; the per-key limit is tested elsewhere.
    RATE_LIMIT_PER_SECOND: '0',
    SHUTDOWN_TIMEOUT_MS: '20000',
    LOG_LEVEL: 'info',
    ...options.env,
  };
  const db = new pg.Pool({ connectionString: databaseUrl, max: 2, application_name: 'fault-checks' });
  db.on('error', () => undefined); // idle clients die with a restarted Postgres; the next query reconnects

  const system: FaultSystem = {
    postgres,
    pgbouncer,
    redis,
    apiUrl: `http://127.0.0.1:${ports[0]}`,
    apiUrls: ports.map((port) => `http://127.0.0.1:${port}`),
    db,
    api: undefined as unknown as ServiceProcess,
    apis: [],
    workers: [],
    async startApi(index = 0) {
      const api = startProcess('src/server.ts', { ...env, PORT: String(ports[index]) });
      await api.waitFor(/Server listening at/, START_TIMEOUT_MS);
      system.apis[index] = api;
      if (index === 0) system.api = api;
      return api;
    },
    async startWorker() {
      const worker = startProcess('src/worker.ts', env);
      await worker.waitFor(/worker started/, START_TIMEOUT_MS);
      system.workers.push(worker);
      return worker;
    },
    async killWorker(worker) {
      worker.child.kill('SIGKILL');
      await worker.exited;
      system.workers = system.workers.filter((w) => w !== worker);
    },
    async admin(method, path, body) {
      const response = await fetch(`${system.apiUrl}/admin/v1${path}`, {
        method,
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      const json = (await response.json()) as Record<string, string>;
      if (response.status >= 300) throw new Error(`admin ${method} ${path} answered ${response.status}: ${JSON.stringify(json)}`);
      return json;
    },
    async createTenant(mode) {
      const tenant = await system.admin('POST', '/tenants', { name: `faults-${randomBytes(4).toString('hex')}`, mode });
      await system.admin('POST', `/tenants/${tenant.id}/definitions`, { id: 1, name: 'Points' });
      const { key } = await system.admin('POST', `/tenants/${tenant.id}/api-keys`, { name: 'master' });
      return { id: tenant.id!, key: key! };
    },
    async destroy() {
      for (const child of [...system.apis, ...system.workers].filter(Boolean)) {
        if (child.child.exitCode === null && child.child.signalCode === null) child.child.kill('SIGKILL');
        await child.exited;
      }
      await db.end().catch(() => undefined);
      await pgbouncer?.destroy();
      await Promise.all([postgres.destroy(), redis.destroy()]);
    },
  };
  try {
    for (let i = 0; i < ports.length; i++) await system.startApi(i);
    for (let i = 0; i < (options.workers ?? 1); i++) await system.startWorker();
  } catch (err) {
    await system.destroy();
    throw err;
  }
  return system;
}

export { sleep };
