import type { Job } from 'bullmq';
import type { Config } from '../config.ts';
import type { ApplyResult, BatchKind } from '../domain/batches.ts';
import type { Logger } from '../logger.ts';
import type { Metrics } from '../metrics/metrics.ts';
import type { QueueConsumer } from '../queue/queue-worker.ts';
import { INGEST_QUEUE, type IngestJobData, ingestJobData, ingestJobName } from '../queue/queues.ts';
import { balanceAccountToAmountJob } from './balance-batch.job.ts';
import { pointTransactionsJob, type PointTransactionsDeps } from './point-transactions.job.ts';

/** What the ingest consumer uses: what the batch jobs use, and the log, counters and concurrency of the worker. */
interface IngestDeps extends PointTransactionsDeps {
  config: Pick<Config, 'queue'>;
  log: Logger;
  metrics: Pick<Metrics, 'recordBatch' | 'batchesFinished'>;
}

const processors: Record<BatchKind, (deps: IngestDeps, tenantId: string, batchId: string) => Promise<ApplyResult>> = {
  balances: balanceAccountToAmountJob,
  transactions: pointTransactionsJob,
};

/**
 * The tenant of the job's batch: the job says it, except a job queued before
 * jobs carried their tenant (a rolling upgrade), whose unfinished batch is
 * looked up by id; null when that batch is already final.
 */
async function tenantOfJob(deps: IngestDeps, data: IngestJobData): Promise<string | null> {
  return data.tenantId ?? (await deps.db.batches.tenantOfBatch(data.batchId));
}

async function markJobFailed(deps: IngestDeps, job: IngestJobData, message: string): Promise<void> {
  const data = ingestJobData.parse(job);
  const tenantId = await tenantOfJob(deps, data);
  if (tenantId) await deps.db.batches.markFailed(tenantId, data.batchId, message, deps.clock.now());
}

async function processIngestJob(deps: IngestDeps, job: Job<IngestJobData>): Promise<ApplyResult> {
  const { db, clock, log, metrics } = deps;
  const data = ingestJobData.parse(job.data);
  const { batchId } = data;
  const tenantId = await tenantOfJob(deps, data);
  if (!tenantId) return 'already-final';
  // Committed on its own so the status endpoint shows Processing, without waiting for the disk: a claim lost
  // in a crash leaves the batch Queued, and the sweep queues it again. Waiting cost a second WAL flush per
  // batch, queued behind the flushes of accepts.
  const claimed = await db.transaction((tx) => tx.batches.markProcessing(tenantId, batchId, clock.now()), { asyncCommit: true });
  if (!claimed) return 'already-final'; // delivered twice, or re-queued by the sweep after it finished
  const result = await processors[claimed.kind](deps, tenantId, batchId);
  log.info({ tenantId, batchId, kind: claimed.kind, result }, 'batch applied');
  metrics.recordBatch(claimed.kind, result);
  return result;
}

/** Consumes the ingest queue. Each batch is applied in one transaction, so a retry after any failure is safe. */
export function ingestConsumer(deps: IngestDeps): QueueConsumer<IngestJobData> {
  const { config, log, metrics } = deps;
  return {
    queue: INGEST_QUEUE,
    concurrency: config.queue.concurrency,
    process: (job) => processIngestJob(deps, job),
    onFailed(job, err, final) {
      if (!job) return;
      log[final ? 'error' : 'warn']({ batchId: job.data.batchId, attempt: job.attemptsMade, err }, 'ingest job failed');
      if (!final) return;
      const message = `Processing failed after ${job.attemptsMade} attempts: ${err.message}`;
      // If even this write fails, the batch stays unfinished and the recovery sweep tries again later.
      markJobFailed(deps, job.data, message).then(
        () => metrics.batchesFinished.inc({ kind: job.name === ingestJobName.balances ? 'balances' : 'transactions', status: 'Failed' }),
        (e: unknown) => log.error({ err: e }, 'could not mark batch failed'),
      );
    },
  };
}
