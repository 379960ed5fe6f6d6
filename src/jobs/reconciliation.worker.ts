import type { Logger } from '../logger.ts';
import type { Metrics } from '../metrics/metrics.ts';
import type { QueueConsumer } from '../queue/queue-worker.ts';
import { RECONCILIATION_QUEUE, type ReconciliationJobData, reconciliationJobData } from '../queue/queues.ts';
import type { AnnouncingDeps } from './job-deps.ts';
import { reconciliationCompareJob } from './reconciliation.job.ts';

/**
 * Consumes the reconciliation queue, one compare at a time per process: a
 * compare is a few large statements over a tenant's whole account set, and
 * running several at once would only make them share the same cores.
 */
export function reconciliationConsumer(
  deps: AnnouncingDeps & { log: Logger; metrics: Pick<Metrics, 'recordReconciliation' | 'reconciliations'> },
): QueueConsumer<ReconciliationJobData> {
  const { log, db, clock, metrics } = deps;
  return {
    queue: RECONCILIATION_QUEUE,
    concurrency: 1,
    async process(job) {
      const { tenantId, reconciliationId } = reconciliationJobData.parse(job.data);
      const result = await reconciliationCompareJob(deps, tenantId, reconciliationId);
      log.info({ reconciliationId, result }, 'reconciliation compared');
      metrics.recordReconciliation(result);
      return result;
    },
    onFailed(job, err, final) {
      if (!job) return;
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
    },
  };
}
