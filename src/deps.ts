import type { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import type { Dispatcher } from 'undici';
import type { Config } from './config.ts';
import { adjustmentsRepository } from './db/adjustments.repository.ts';
import { batchesRepository } from './db/batches.repository.ts';
import { deliveriesRepository } from './db/deliveries.repository.ts';
import { integrationsRepository } from './db/integrations.repository.ts';
import { createPool, type Pool } from './db/pool.ts';
import { createPrisma, type PrismaClient } from './db/prisma.ts';
import { tenantsRepository } from './db/tenants.repository.ts';
import { type Clock, systemClock } from './domain/clock.ts';
import { createOutboundAgent } from './integrations/outbound.ts';
import { createIngestQueue, createWebhookQueue, type IngestJobData, type WebhookJobData } from './jobs/queues.ts';
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
  webhookQueue: Queue<WebhookJobData>;
  /** Every call to a point master goes through this: it enforces the outbound address rules. */
  outbound: Dispatcher;
  integrations: ReturnType<typeof integrationsRepository>;
  adjustments: ReturnType<typeof adjustmentsRepository>;
  deliveries: ReturnType<typeof deliveriesRepository>;
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
    tenants: tenantsRepository(prisma, pool),
    batches: batchesRepository(pool),
    webhookQueue: createWebhookQueue(redis, config.queue.prefix),
    outbound: createOutboundAgent({ allowPrivate: config.outbound.allowPrivate }),
    integrations: integrationsRepository(pool),
    adjustments: adjustmentsRepository(pool),
    deliveries: deliveriesRepository(pool),
  };
}

const CLOSE_TIMEOUT_MS = 3000;

export async function closeDeps(deps: Deps): Promise<void> {
  // With Redis unreachable, closing a queue would wait for it forever; Postgres must still close.
  for (const queue of [deps.ingestQueue, deps.webhookQueue]) {
    await withTimeout(queue.close(), CLOSE_TIMEOUT_MS, 'queue close timed out').catch((err: Error) =>
      deps.log.warn({ err: err.message, queue: queue.name }, 'closing the queue failed'),
    );
  }
  await deps.outbound.close();
  deps.redis.disconnect();
  await deps.prisma.$disconnect();
  await deps.pool.end();
}
