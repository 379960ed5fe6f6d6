import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { expect } from 'vitest';
import { buildApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import type { Clock } from '../../src/domain/clock.ts';
import { type RunningWorker, startWorker } from '../../src/jobs/start-worker.ts';
import { createLogger } from '../../src/logger.ts';
import { closeRuntime, createRuntime, type Runtime } from '../../src/runtime.ts';
import { prepareSecretsAtStart } from '../../src/secrets-startup.ts';
import { withTimeout } from '../../src/timeout.ts';
import { createTestDatabase } from './database.ts';
import { TEST_REDIS_URL } from './env.ts';

/** A fresh admin token per test process: the service refuses one printed in the project's files. */
export const ADMIN_TOKEN = randomBytes(24).toString('base64url');
/** The SECRETS_KEY every test system runs with unless a test gives its own (32 bytes, base64). */
const TEST_SECRETS_KEY = Buffer.from('test-secrets-key-of-32-bytes-000').toString('base64');
/** The scrypt cost (log2 N) of the passwords test systems store: the lowest the app reads, instead of production's 15. */
export const TEST_SCRYPT_LOG_N = 10;

export interface TestSystem {
  app: FastifyInstance;
  runtime: Runtime;
  /** Starts a worker (the consumers and sweeps of the queues WORKER_QUEUES names, all by default) over the same database and queue prefix. */
  startWorker(): Promise<void>;
  stopWorker(): Promise<void>;
  /** Deletes every Redis key of this system's queue prefix: what FLUSHALL does to it, without touching other test files. */
  loseRedisJobs(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The real API (and, on demand, the real worker) over a database and queue
 * prefix of the test's own. API and worker share `clock` (the system clock
 * unless given), so a test can move time for both. Given a DATABASE_URL, the
 * system shares that database (another system's) instead of making its own.
 */
export async function startSystem(env: Record<string, string> = {}, options: { clock?: Clock; logLines?: string[] } = {}): Promise<TestSystem> {
  const database = env.DATABASE_URL ? undefined : await createTestDatabase();
  const prefix = `pftest-${randomBytes(4).toString('hex')}`;
  const config = loadConfig({
    DATABASE_URL: database?.url,
    REDIS_URL: TEST_REDIS_URL,
    ADMIN_TOKEN,
    SECRETS_KEY: TEST_SECRETS_KEY,
    QUEUE_PREFIX: prefix,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    RECOVERY_INTERVAL_MS: '200',
    RECOVERY_GRACE_MS: '0',
    DB_POOL_SIZE: '5',
    TEST_ONLY_SCRYPT_LOG_N: String(TEST_SCRYPT_LOG_N),
    ...env,
  });
  // With `logLines`, every log line is kept there (as JSON text) for the test to search.
  const lines = options.logLines;
  const sink = lines
    ? new Writable({
        write(chunk, _encoding, done) {
          lines.push(...String(chunk).split('\n').filter(Boolean));
          done();
        },
      })
    : undefined;
  const log = createLogger(config.logLevel, 'test', sink);
  const runtime = createRuntime(config, log, options.clock);
  // As server.ts does: a key problem with the stored integration secrets refuses the start.
  let secretsCheck: Awaited<ReturnType<typeof prepareSecretsAtStart>>;
  try {
    secretsCheck = await prepareSecretsAtStart(runtime);
  } catch (err) {
    await closeRuntime(runtime);
    await database?.drop();
    throw err;
  }
  const app = await buildApp(runtime);
  await app.ready();

  let worker: RunningWorker | undefined;
  const stopWorker = async () => {
    await worker?.close();
    worker = undefined;
  };

  return {
    app,
    runtime,
    async startWorker() {
      worker ??= await startWorker(runtime);
    },
    stopWorker,
    async loseRedisJobs() {
      const redis = new Redis(TEST_REDIS_URL);
      try {
        const keys = await redis.keys(`${prefix}:*`);
        if (keys.length > 0) await redis.del(...keys);
      } finally {
        redis.disconnect();
      }
    },
    async close() {
      await stopWorker();
      await app.close();
      await secretsCheck.stop();
      for (const queue of [runtime.ingestQueue, runtime.webhookQueue, runtime.reconciliationQueue, runtime.eventsQueue]) {
        await withTimeout(queue.obliterate({ force: true }), 2000, 'obliterate timed out').catch(() => undefined);
      }
      await closeRuntime(runtime);
      await database?.drop();
    },
  };
}

const adminHeaders = { authorization: `Bearer ${ADMIN_TOKEN}` };

export async function adminPost(app: FastifyInstance, url: string, payload: unknown) {
  const response = await app.inject({ method: 'POST', url: `/admin/v1${url}`, headers: adminHeaders, payload: payload as object });
  expect(response.statusCode, response.body).toBe(201);
  return response.json();
}

/** A tenant with the given definitions and an API key, made through the admin API. */
export async function createTenant(
  app: FastifyInstance,
  options: { mode?: 'balance-only' | 'all-transaction'; definitions?: number[]; requireKnownContacts?: boolean } = {},
): Promise<{ id: string; name: string; key: string; headers: { apikey: string } }> {
  const tenant = await adminPost(app, '/tenants', {
    name: `t-${randomBytes(5).toString('hex')}`,
    mode: options.mode ?? 'balance-only',
    requireKnownContacts: options.requireKnownContacts ?? false,
  });
  for (const id of options.definitions ?? [1]) {
    await adminPost(app, `/tenants/${tenant.id}/definitions`, { id, name: `Definition ${id}` });
  }
  const { key } = await adminPost(app, `/tenants/${tenant.id}/api-keys`, { name: 'master' });
  return { id: tenant.id, name: tenant.name, key, headers: { apikey: key } };
}

/**
 * Polls a batch until it reaches a final status, and answers it. A final
 * status never changes, so reading the batch once more after the poll is safe.
 */
export async function waitForBatch(app: FastifyInstance, headers: Record<string, string>, id: string, timeoutMs = 20_000) {
  const read = async () => (await app.inject({ url: `/api/v2/point-accounts/balances/status/${id}`, headers })).json();
  await expect
    .poll(async () => (await read()).status, { timeout: timeoutMs, message: `batch ${id} to finish` })
    .toBeOneOf(['Completed', 'CompletedWithErrors', 'Failed']);
  return read();
}

/** The environment a CLI or server process needs to work on this system's database and queues. */
export function processEnv(system: TestSystem): NodeJS.ProcessEnv {
  const { config } = system.runtime;
  return {
    ...process.env,
    DATABASE_URL: config.databaseUrl,
    REDIS_URL: config.redisUrl,
    ADMIN_TOKEN: config.adminToken,
    SECRETS_KEY: config.secrets.key?.toString('base64') ?? '',
    SECRETS_KEY_PREVIOUS: config.secrets.previousKeys.map((key) => key.toString('base64')).join(','),
    QUEUE_PREFIX: config.queue.prefix,
    TEST_ONLY_SCRYPT_LOG_N: config.ui.testOnlyScryptLogN?.toString() ?? '',
  };
}
