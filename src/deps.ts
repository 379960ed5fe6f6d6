import type { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import type { Config } from './config.ts';
import { batchesRepository } from './db/batches.repository.ts';
import { createPool, type Pool } from './db/pool.ts';
import { createPrisma, type PrismaClient } from './db/prisma.ts';
import { tenantsRepository } from './db/tenants.repository.ts';
import { type Clock, systemClock } from './domain/clock.ts';
import { createIngestQueue, type IngestJobData } from './jobs/queues.ts';
import type { Logger } from './logger.ts';
import { createMetrics, type Metrics } from './metrics.ts';
import { withTimeout } from './timeout.ts';

/** Everything the API and the worker talk to, built once per process and passed down. */
export interface Deps {
  config: Config;
  log: Logger;
  clock: Clock;
  metrics: Metrics;
  pool: Pool;
  prisma: PrismaClient;
  redis: Redis;
  ingestQueue: Queue<IngestJobData>;
  tenants: ReturnType<typeof tenantsRepository>;
  batches: ReturnType<typeof batchesRepository>;
}

export function createDeps(config: Config, log: Logger, clock: Clock = systemClock): Deps {
  const pool = createPool(config.databaseUrl, config.db.poolSize, log);
  const prisma = createPrisma(pool);
  // Producers fail fast when Redis is away: the batch is already durable and the sweep queues it later.
  const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: 1, connectTimeout: 2000 });
  redis.on('error', (err) => log.warn({ err: err.message }, 'redis connection error'));
  return {
    config,
    log,
    clock,
    metrics: createMetrics(),
    pool,
    prisma,
    redis,
    ingestQueue: createIngestQueue(redis, config.queue.prefix, config.queue.attempts),
    tenants: tenantsRepository(prisma),
    batches: batchesRepository(pool),
  };
}

const CLOSE_TIMEOUT_MS = 3000;

export async function closeDeps(deps: Deps): Promise<void> {
  // With Redis unreachable, closing the queue would wait for it forever; Postgres must still close.
  await withTimeout(deps.ingestQueue.close(), CLOSE_TIMEOUT_MS, 'queue close timed out').catch((err: Error) =>
    deps.log.warn({ err: err.message }, 'closing the queue failed'),
  );
  deps.redis.disconnect();
  await deps.prisma.$disconnect();
  await deps.pool.end();
}
