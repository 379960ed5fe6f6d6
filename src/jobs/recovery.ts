import type { Queue } from 'bullmq';
import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';
import { enqueueBatch, enqueueReconciliation, type IngestJobData, type ReconciliationJobData } from '../queue/queues.ts';
import type { RedisClient } from '../redis.ts';
import type { StoreDeps } from './job-deps.ts';
import { runPeriodically } from '../periodic.ts';

/** What the sweep reads (Postgres, and Redis for the jobs it still holds) and where it queues. */
interface RecoveryDeps extends StoreDeps {
  config: Pick<Config, 'queue'>;
  log: Logger;
  redis: RedisClient;
  ingestQueue: Queue<IngestJobData>;
  reconciliationQueue: Queue<ReconciliationJobData>;
}

const SWEEP_LIMIT = 1000;

/**
 * One pass: queues every batch Postgres holds as unfinished whose job Redis no
 * longer has. While a backlog waits, every batch in it is unfinished; asking
 * Redis about all of them in one round trip, rather than adding each again,
 * keeps the sweep from loading Redis every few seconds while it is busiest.
 */
export async function requeueUnfinishedBatches(runtime: Omit<RecoveryDeps, 'log' | 'reconciliationQueue'>): Promise<number> {
  const { config, clock, ingestQueue } = runtime;
  const batches = await runtime.db.batches.listUnfinished(clock.now(), config.queue.recoveryGraceMs, SWEEP_LIMIT);
  if (batches.length === 0) return 0;
  const pipeline = runtime.redis.pipeline();
  for (const batch of batches) pipeline.exists(ingestQueue.toKey(batch.id));
  const known = (await pipeline.exec()) ?? [];
  const lost = batches.filter((_, i) => known[i]?.[1] !== 1);
  for (const batch of lost) await enqueueBatch(ingestQueue, batch.kind, batch);
  return lost.length;
}

/**
 * The same for reconciliations Postgres holds as Comparing: the compare's job
 * is queued again when Redis no longer has it (a worker that died mid-compare
 * rolled its transaction back, so running it again is safe).
 */
async function requeueUnfinishedReconciliations(runtime: Omit<RecoveryDeps, 'log' | 'ingestQueue'>): Promise<number> {
  const { config, clock, reconciliationQueue } = runtime;
  const unfinished = await runtime.db.reconciliations.listUnfinished(clock.now(), config.queue.recoveryGraceMs, SWEEP_LIMIT);
  if (unfinished.length === 0) return 0;
  const pipeline = runtime.redis.pipeline();
  for (const item of unfinished) pipeline.exists(reconciliationQueue.toKey(item.id));
  const known = (await pipeline.exec()) ?? [];
  const lost = unfinished.filter((_, i) => known[i]?.[1] !== 1);
  for (const item of lost) await enqueueReconciliation(reconciliationQueue, { tenantId: item.tenantId, reconciliationId: item.id });
  return lost.length;
}

/**
 * Redis may lose every job (restart without persistence, FLUSHALL); Postgres
 * does not. Each sweep runs at start and then every RECOVERY_INTERVAL_MS, in
 * the processes that consume its queue.
 */
export function startBatchRecoverySweep(runtime: Omit<RecoveryDeps, 'reconciliationQueue'>): { stop(): Promise<void> } {
  return runPeriodically('recovery sweep', runtime.config.queue.recoveryIntervalMs, runtime.log, async () => {
    const count = await requeueUnfinishedBatches(runtime);
    if (count > 0) runtime.log.info({ count }, 'recovery sweep queued unfinished batches');
  });
}

export function startReconciliationRecoverySweep(runtime: Omit<RecoveryDeps, 'ingestQueue'>): { stop(): Promise<void> } {
  return runPeriodically('reconciliation recovery sweep', runtime.config.queue.recoveryIntervalMs, runtime.log, async () => {
    const count = await requeueUnfinishedReconciliations(runtime);
    if (count > 0) runtime.log.info({ count }, 'recovery sweep queued unfinished reconciliations');
  });
}
