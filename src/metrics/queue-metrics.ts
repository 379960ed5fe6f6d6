import type { Queue } from 'bullmq';
import type { Metrics } from './metrics.ts';
import { withTimeout } from '../timeout.ts';

const STATES = ['waiting', 'prioritized', 'active', 'delayed', 'failed'] as const;
const SCRAPE_TIMEOUT_MS = 2000;

/**
 * Queue depth by state and the age of the oldest waiting job, read from Redis
 * at scrape time; and the items Postgres holds accepted but not applied.
 */
export function registerQueueMetrics(metrics: Metrics, queues: Queue[], now: () => Date, backlog: () => Promise<number>) {
  metrics.gauge('pf_ingest_backlog_items', 'Balance items and transaction rows accepted and not yet applied, all tenants', [], async (gauge) => {
    gauge.set(await backlog());
  });
  metrics.gauge('pf_queue_jobs', 'Jobs in each queue by state', ['queue', 'state'], async (gauge) => {
    gauge.reset();
    for (const queue of queues) {
      const counts = await withTimeout(queue.getJobCounts(...STATES), SCRAPE_TIMEOUT_MS, 'queue scrape timed out').catch(() => null);
      for (const state of STATES) if (counts) gauge.set({ queue: queue.name, state }, counts[state] ?? 0);
    }
  });
  metrics.gauge('pf_queue_oldest_job_age_seconds', 'Age of the oldest job waiting in each queue (0 when none)', ['queue'], async (gauge) => {
    gauge.reset();
    for (const queue of queues) {
      const [oldest] = await withTimeout(queue.getJobs(['waiting', 'prioritized'], 0, 0, true), SCRAPE_TIMEOUT_MS, 'queue scrape timed out').catch(() => [
        undefined,
      ]);
      gauge.set({ queue: queue.name }, oldest ? Math.max(0, (now().getTime() - oldest.timestamp) / 1000) : 0);
    }
  });
}
