import { type Job, Worker } from 'bullmq';
import { connectRedis } from '../redis.ts';
import type { Runtime } from '../runtime.ts';
import { reconciliationCompareJob } from './reconciliation.job.ts';
import { consumerLock, RECONCILIATION_QUEUE, type ReconciliationJobData, reconciliationJobData } from '../queue/queues.ts';

/**
 * Consumes the reconciliation queue, one compare at a time per process: a
 * compare is a few large statements over a tenant's whole account set, and
 * running several at once would only make them share the same cores.
 */
export function startReconciliationWorker(runtime: Runtime): { worker: Worker<ReconciliationJobData>; close(): Promise<void> } {
  const { config, log, db, clock, metrics } = runtime;
  // Blocking reads need a connection of their own that retries forever.
  const connection = connectRedis(config, { maxRetriesPerRequest: null });
  const worker = new Worker<ReconciliationJobData>(
    RECONCILIATION_QUEUE,
    async (job: Job<ReconciliationJobData>) => {
      const { tenantId, reconciliationId } = reconciliationJobData.parse(job.data);
      const result = await reconciliationCompareJob(runtime, tenantId, reconciliationId);
      log.info({ reconciliationId, result }, 'reconciliation compared');
      metrics.recordReconciliation(result);
      return result;
    },
    { connection, prefix: config.queue.prefix, concurrency: 1, ...consumerLock(config.queue.lockMs) },
  );

  worker.on('failed', (job, err) => {
    if (!job) return;
    const final = job.attemptsMade >= (job.opts.attempts ?? 1);
    log[final ? 'error' : 'warn']({ reconciliationId: job.data.reconciliationId, attempt: job.attemptsMade, err }, 'reconciliation job failed');
    if (!final) return;
    // If even this write fails, the reconciliation stays Comparing and the recovery sweep tries again later.
    db.reconciliations
      .markFailed(job.data.tenantId, job.data.reconciliationId, `Compare failed after ${job.attemptsMade} attempts: ${err.message}`, clock.now())
      .then(
        (marked) => {
          if (marked) metrics.reconciliations.inc({ outcome: 'Failed' });
        },
        (e: unknown) => log.error({ err: e }, 'could not mark reconciliation failed'),
      );
  });
  worker.on('error', (err) => log.error({ err }, 'reconciliation worker error'));
  return {
    worker,
    async close() {
      await worker.close();
      connection.disconnect();
    },
  };
}
