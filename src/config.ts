import { existsSync } from 'node:fs';
import ipaddr from 'ipaddr.js';
import { z } from 'zod';
import { parseRetrySchedule } from './domain/retry-schedule.ts';
import { parseSecretsKey } from './domain/secrets.ts';
import { QUEUE_NAMES, type QueueName } from './queue/queues.ts';

/** Admin tokens the project itself has printed as examples: known to anyone who reads it, so never accepted. */
const PUBLISHED_ADMIN_TOKENS: ReadonlySet<string> = new Set(['change-me-to-a-long-random-secret']);

const bool = z.enum(['true', 'false']).transform((v) => v === 'true');
const int = (min: number) => z.coerce.number().int().min(min);
/** An empty value (compose passes `${X:-}` through) counts as unset. */
const unsetWhenEmpty = (value: unknown) => (value === '' ? undefined : value);
/** Comma-separated base64 keys, each 32 bytes. */
const secretsKeys = z.string().transform((text, ctx) => {
  const keys: Buffer[] = [];
  for (const [index, part] of text.split(',').entries()) {
    if (part.trim() === '') continue;
    try {
      keys.push(parseSecretsKey(part));
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: `key ${index + 1}: ${(err as Error).message}` });
      return z.NEVER;
    }
  }
  return keys;
});

/** The environment, parsed once at start-up. Nothing else reads process.env. */
const envObject = z.object({
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }),
  REDIS_URL: z.url({ protocol: /^rediss?$/ }),
  /**
   * Set for a Redis Cluster: comma-separated host:port of some of its nodes
   * (the client finds the rest). REDIS_URL's user, password and TLS apply to
   * every node, and its host is one more start-up node.
   */
  REDIS_CLUSTER_NODES: z
    .string()
    .optional()
    .transform((text, ctx) => {
      if (text === undefined || text.trim() === '') return [];
      const entries = text.split(',').map((entry) => entry.trim());
      const nodes = entries.map((entry) => {
        const match = /^(?:\[(?<v6>[0-9a-fA-F:.]+)\]|(?<host>[^\s:,[\]]+)):(?<port>\d{1,5})$/.exec(entry)?.groups;
        const port = Number(match?.port);
        return match && port >= 1 && port <= 65535 ? { host: match.v6 ?? match.host!, port } : undefined;
      });
      const bad = entries.filter((_, i) => !nodes[i]);
      if (bad.length > 0) {
        ctx.addIssue({ code: 'custom', message: `expected host:port entries separated by commas; not one: ${bad.join(', ')}` });
        return z.NEVER;
      }
      return nodes.filter((node) => node !== undefined);
    }),
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: int(0).max(65535).default(3000),
  ADMIN_TOKEN: z
    .string()
    .min(32, 'must be at least 32 characters; make one with: openssl rand -base64 32')
    .refine(
      (token) => !PUBLISHED_ADMIN_TOKENS.has(token),
      "is the example value printed in the project's own files; make a random one with: openssl rand -base64 32",
    ),
  /**
   * Seals integration secrets at rest (AES-256-GCM): 32 bytes, base64. Unset,
   * they are stored in plain text and every start-up says so.
   */
  SECRETS_KEY: z.preprocess(unsetWhenEmpty, secretsKeys.optional()),
  /** Earlier keys, comma-separated: they still open values sealed before a rotation, and never seal. */
  SECRETS_KEY_PREVIOUS: z.preprocess(unsetWhenEmpty, secretsKeys.optional()),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /**
   * `json` (pino's lines, for log collectors) or `human` (time, level, message, key=value). Unset: human lines on a
   * terminal, JSON otherwise; `npm run up` shows human lines unless this says json.
   */
  LOG_FORMAT: z.preprocess(unsetWhenEmpty, z.enum(['json', 'human']).optional()),
  /** Prefix of every BullMQ key; lets several deployments (or test files) share one Redis. */
  QUEUE_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_{}-]+$/)
    .default('pf'),
  WORKER_CONCURRENCY: int(1).default(4),
  /**
   * The queues a worker process consumes, comma-separated, each with its
   * sweeps (docs/scaling.md): ingest, webhooks, reconciliations, events.
   * Unset or empty: all of them.
   */
  WORKER_QUEUES: z.preprocess(
    unsetWhenEmpty,
    z
      .string()
      .optional()
      .transform((text, ctx): QueueName[] => {
        const names = [...new Set((text ?? '').split(',').map((name) => name.trim()))].filter((name) => name !== '');
        const unknown = names.filter((name) => !(QUEUE_NAMES as readonly string[]).includes(name));
        if (unknown.length > 0) {
          ctx.addIssue({ code: 'custom', message: `unknown queue ${unknown.join(', ')}; the queues are ${QUEUE_NAMES.join(', ')}` });
          return z.NEVER;
        }
        return names.length > 0 ? QUEUE_NAMES.filter((name) => names.includes(name)) : [...QUEUE_NAMES];
      }),
  ),
  /**
   * Niceness the worker process gives itself (0-19). Where API and worker share
   * cores, accepting a batch then goes before applying one: applies slow down
   * while requests arrive and catch up when they stop.
   */
  WORKER_NICE: int(0).max(19).default(10),
  /** Port of the worker's Prometheus endpoint (GET /metrics on HOST); 0 switches it off. */
  WORKER_METRICS_PORT: int(0).max(65535).default(9464),
  /** How often the worker re-queues batches that Postgres says are unfinished. */
  RECOVERY_INTERVAL_MS: int(100).default(5000),
  /** A batch must be this old before the sweep re-queues it (the API enqueues it itself first). */
  RECOVERY_GRACE_MS: int(0).default(2000),
  JOB_ATTEMPTS: int(1).default(8),
  /**
   * How long a worker's hold on a job lasts unless renewed (it renews every half of it). A killed worker's jobs
   * go to another worker, or to itself restarted, at most this plus half of it after its death.
   */
  JOB_LOCK_MS: int(1000).default(4000),
  /** How often the worker records Expiry entries, forgets Idempotency-Keys past their 24 h and batches past their retention. Balances never wait for it. */
  LEDGER_MAINTENANCE_INTERVAL_MS: int(100).default(60000),
  /**
   * How long a pushed batch's status answers after the batch was accepted; the
   * ledger maintenance then deletes it (its items are dropped as soon as it is
   * applied: nothing reads them again).
   */
  BATCH_RETENTION_DAYS: int(1).default(30),
  MAX_BATCH_ITEMS: int(1).max(10000).default(1000),
  /**
   * Items accepted but not yet applied that one tenant may have waiting; above
   * it balance and transaction pushes get 429 with Retry-After. 0 switches it off.
   */
  INGEST_BACKLOG_LIMIT: int(0).default(1_000_000),
  /** The same over all tenants together. */
  INGEST_BACKLOG_LIMIT_TOTAL: int(0).default(5_000_000),
  /** Requests per second per API key on /api/v2; 0 switches the limit off. */
  RATE_LIMIT_PER_SECOND: int(0).default(200),
  /** Failed authentications (API key or admin token) one client address may make per window before it gets 429; 0 switches it off. */
  AUTH_FAILURE_LIMIT: int(0).default(20),
  AUTH_FAILURE_WINDOW_SECONDS: int(1).default(60),
  BODY_LIMIT_BYTES: int(1024).default(2 * 1024 * 1024),
  /** A request, body included, must arrive within this long, or the connection gets 408 and is closed; 0 switches it off. */
  HTTP_REQUEST_TIMEOUT_MS: int(0).default(30000),
  /** The request line and headers must arrive within this long (at most HTTP_REQUEST_TIMEOUT_MS). */
  HTTP_HEADERS_TIMEOUT_MS: int(1).default(10000),
  /** An idle keep-alive connection is closed after this long; keep it above the idle timeout of a proxy in front. */
  HTTP_KEEP_ALIVE_TIMEOUT_MS: int(1).default(5000),
  DB_POOL_SIZE: int(1).default(10),
  SHUTDOWN_TIMEOUT_MS: int(1000).default(25000),
  /**
   * The proxies whose X-Forwarded-For (and -Proto, -Host) are believed:
   * addresses or CIDRs, comma-separated; `false` (the default) believes none.
   * `true` (every sender) is refused: anyone could then choose the address
   * that the sign-in and authentication limits count.
   */
  TRUST_PROXY: z
    .string()
    .default('false')
    .transform((text, ctx) => {
      if (text.trim() === 'false' || text.trim() === '') return [];
      if (text.trim() === 'true') {
        ctx.addIssue({ code: 'custom', message: 'true would believe X-Forwarded-For from anyone; list the addresses or CIDRs of your proxies' });
        return z.NEVER;
      }
      const entries = text.split(',').map((entry) => entry.trim());
      const valid = (entry: string) =>
        entry.includes('/')
          ? ipaddr.IPv4.isValidCIDRFourPartDecimal(entry) || ipaddr.IPv6.isValidCIDR(entry)
          : ipaddr.IPv4.isValidFourPartDecimal(entry) || ipaddr.IPv6.isValid(entry);
      const bad = entries.filter((entry) => !valid(entry));
      if (bad.length > 0) {
        ctx.addIssue({ code: 'custom', message: `expected addresses or CIDRs separated by commas; not one: ${bad.join(', ')}` });
        return z.NEVER;
      }
      return entries;
    }),
  /** Lists the operator API (/admin/v1) in /documentation; off, the public page shows only the tenant API and health. */
  DOCS_INCLUDE_ADMIN: bool.default(false),
  /** Lets calls to point masters reach loopback and private addresses: for tests and local demos only. */
  OUTBOUND_ALLOW_PRIVATE: bool.default(false),
  /** Waits before each webhook retry; after the last one the delivery is Failed. */
  WEBHOOK_RETRY_SCHEDULE: z
    .string()
    .default('5s,5m,30m,2h,5h,10h,10h')
    .transform((text, ctx) => {
      try {
        return parseRetrySchedule(text);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message });
        return z.NEVER;
      }
    }),
  WEBHOOK_TIMEOUT_MS: int(1).default(15000),
  /** Webhook deliveries wait on the network, so they run more at once than CPU-bound batches. */
  WEBHOOK_CONCURRENCY: int(1).default(16),
  POINTS_LOG_TIMEOUT_MS: int(1).default(5000),
  /** A gap in a master's stream of sequenced transactions older than this is an alert (metric, operator pages). */
  SYNC_GAP_ALERT_SECONDS: int(1).default(300),
  /** A contact card session ends after this long without a request... */
  UI_SESSION_IDLE_MINUTES: int(1).default(60),
  /** ...and this long after sign-in in any case. */
  UI_SESSION_MAX_HOURS: int(1).default(12),
  /**
   * Test-only: the scrypt cost (log2 N) of new contact card passwords, for
   * test suites. Unset in production, where the cost is 15; below that a
   * stolen hash is cheaper to guess.
   */
  TEST_ONLY_SCRYPT_LOG_N: z.preprocess(unsetWhenEmpty, int(10).max(20).optional()),
});

const envSchema = envObject
  .refine((e) => e.SECRETS_KEY === undefined || e.SECRETS_KEY.length === 1, {
    path: ['SECRETS_KEY'],
    message: 'must be one key (earlier ones go in SECRETS_KEY_PREVIOUS)',
  })
  .refine((e) => e.SECRETS_KEY !== undefined || e.SECRETS_KEY_PREVIOUS === undefined || e.SECRETS_KEY_PREVIOUS.length === 0, {
    path: ['SECRETS_KEY_PREVIOUS'],
    message: 'needs SECRETS_KEY (the key that seals from now on)',
  })
  .refine((e) => e.HTTP_REQUEST_TIMEOUT_MS === 0 || e.HTTP_HEADERS_TIMEOUT_MS <= e.HTTP_REQUEST_TIMEOUT_MS, {
    path: ['HTTP_HEADERS_TIMEOUT_MS'],
    message: 'must not be longer than HTTP_REQUEST_TIMEOUT_MS',
  });

export function loadConfig(env: Record<string, string | undefined> = process.env) {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  return {
    databaseUrl: e.DATABASE_URL,
    redisUrl: e.REDIS_URL,
    redisClusterNodes: e.REDIS_CLUSTER_NODES,
    http: {
      host: e.HOST,
      port: e.PORT,
      bodyLimit: e.BODY_LIMIT_BYTES,
      /** Addresses and CIDRs of trusted proxies (Fastify's trustProxy takes the list as it is); empty: none. */
      trustProxy: e.TRUST_PROXY,
      requestTimeoutMs: e.HTTP_REQUEST_TIMEOUT_MS,
      headersTimeoutMs: e.HTTP_HEADERS_TIMEOUT_MS,
      keepAliveTimeoutMs: e.HTTP_KEEP_ALIVE_TIMEOUT_MS,
    },
    adminToken: e.ADMIN_TOKEN,
    secrets: { key: e.SECRETS_KEY?.[0] ?? null, previousKeys: e.SECRETS_KEY_PREVIOUS ?? [] },
    logLevel: e.LOG_LEVEL,
    logFormat: e.LOG_FORMAT,
    db: { poolSize: e.DB_POOL_SIZE },
    queue: {
      // On a cluster every key of a queue must hash to one slot: a prefix without a {hash tag} gets one.
      prefix: e.REDIS_CLUSTER_NODES.length > 0 && !/\{[^}]+\}/.test(e.QUEUE_PREFIX) ? `{${e.QUEUE_PREFIX}}` : e.QUEUE_PREFIX,
      concurrency: e.WORKER_CONCURRENCY,
      workerQueues: e.WORKER_QUEUES,
      nice: e.WORKER_NICE,
      metricsPort: e.WORKER_METRICS_PORT,
      attempts: e.JOB_ATTEMPTS,
      lockMs: e.JOB_LOCK_MS,
      recoveryIntervalMs: e.RECOVERY_INTERVAL_MS,
      recoveryGraceMs: e.RECOVERY_GRACE_MS,
      ledgerMaintenanceIntervalMs: e.LEDGER_MAINTENANCE_INTERVAL_MS,
      batchRetentionMs: e.BATCH_RETENTION_DAYS * 86_400_000,
    },
    limits: {
      maxBatchItems: e.MAX_BATCH_ITEMS,
      backlog: { perTenant: e.INGEST_BACKLOG_LIMIT, total: e.INGEST_BACKLOG_LIMIT_TOTAL },
      ratePerSecond: e.RATE_LIMIT_PER_SECOND,
      authFailures: { limit: e.AUTH_FAILURE_LIMIT, windowMs: e.AUTH_FAILURE_WINDOW_SECONDS * 1000 },
      // Counters carry no hash tag, so on a cluster they spread over every primary instead of joining the queues' slot.
      keyPrefix: e.QUEUE_PREFIX.replace(/[{}]/g, ''),
    },
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    docs: { includeAdmin: e.DOCS_INCLUDE_ADMIN },
    outbound: { allowPrivate: e.OUTBOUND_ALLOW_PRIVATE },
    webhooks: { retryScheduleMs: e.WEBHOOK_RETRY_SCHEDULE, timeoutMs: e.WEBHOOK_TIMEOUT_MS, concurrency: e.WEBHOOK_CONCURRENCY },
    pointsLog: { timeoutMs: e.POINTS_LOG_TIMEOUT_MS },
    sync: { gapAlertSeconds: e.SYNC_GAP_ALERT_SECONDS },
    ui: {
      sessionIdleMs: e.UI_SESSION_IDLE_MINUTES * 60_000,
      sessionMaxAgeMs: e.UI_SESSION_MAX_HOURS * 3_600_000,
      testOnlyScryptLogN: e.TEST_ONLY_SCRYPT_LOG_N ?? null,
    },
  };
}

export type Config = ReturnType<typeof loadConfig>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * Reads `.env` from the working directory into the environment when the file
 * exists (Node's own parser). A variable already set in the environment wins
 * over the file, as with `node --env-file`.
 */
export function readEnvFile(file = '.env'): void {
  if (existsSync(file)) process.loadEnvFile(file);
}

/** For entry points: reads `.env`, then a bad environment stops the process with a message naming each bad variable. */
export function loadConfigOrExit(): Config {
  try {
    readEnvFile();
    return loadConfig();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    console.error(err.message);
    process.exit(1);
  }
}
