import { type Job, Worker } from 'bullmq';
import type { ApplyResult, BatchKind } from '../domain/batches.ts';
import { connectRedis } from '../redis.ts';
import type { Runtime } from '../runtime.ts';
import { balanceAccountToAmountJob } from './balance-batch.job.ts';
import { consumerLock, INGEST_QUEUE, type IngestJobData, ingestJobData, ingestJobName } from '../queue/queues.ts';
import { pointTransactionsJob } from './point-transactions.job.ts';

const processors: Record<BatchKind, (runtime: Runtime, tenantId: string, batchId: string) => Promise<ApplyResult>> = {
  balances: balanceAccountToAmountJob,
  transactions: pointTransactionsJob,
};

/**
 * The tenant of the job's batch: the job says it, except a job queued before
 * jobs carried their tenant (a rolling upgrade), whose unfinished batch is
 * looked up by id; null when that batch is already final.
 */
async function tenantOfJob(runtime: Runtime, data: IngestJobData): Promise<string | null> {
  return data.tenantId ?? (await runtime.db.batches.tenantOfBatch(data.batchId));
}

async function markJobFailed(runtime: Runtime, job: IngestJobData, message: string): Promise<void> {
  const data = ingestJobData.parse(job);
  const tenantId = await tenantOfJob(runtime, data);
  if (tenantId) await runtime.db.batches.markFailed(tenantId, data.batchId, message, runtime.clock.now());
}

async function processIngestJob(runtime: Runtime, job: Job<IngestJobData>): Promise<ApplyResult> {
  const { db, clock, log, metrics } = runtime;
  const data = ingestJobData.parse(job.data);
  const { batchId } = data;
  const tenantId = await tenantOfJob(runtime, data);
  if (!tenantId) return 'already-final';
  // Committed on its own so the status endpoint shows Processing, without waiting for the disk: a claim lost
  // in a crash leaves the batch Queued, and the sweep queues it again. Waiting cost a second WAL flush per
  // batch, queued behind the flushes of accepts.
  const claimed = await db.transaction((tx) => tx.batches.markProcessing(tenantId, batchId, clock.now()), { asyncCommit: true });
  if (!claimed) return 'already-final'; // delivered twice, or re-queued by the sweep after it finished
  const result = await processors[claimed.kind](runtime, tenantId, batchId);
  log.info({ tenantId, batchId, kind: claimed.kind, result }, 'batch applied');
  metrics.recordBatch(claimed.kind, result);
  return result;
}

/** Consumes the ingest queue. Each batch is applied in one transaction, so a retry after any failure is safe. */
export function startIngestWorker(runtime: Runtime): { worker: Worker<IngestJobData>; close(): Promise<void> } {
  const { config, log, metrics } = runtime;
  // Blocking reads need a connection of their own that retries forever.
  const connection = connectRedis(config, { maxRetriesPerRequest: null });
  const worker = new Worker<IngestJobData>(INGEST_QUEUE, (job) => processIngestJob(runtime, job), {
    connection,
    prefix: config.queue.prefix,
    concurrency: config.queue.concurrency,
    ...consumerLock(config.queue.lockMs),
  });

  worker.on('failed', (job, err) => {
    if (!job) return;
    const final = job.attemptsMade >= (job.opts.attempts ?? 1);
    log[final ? 'error' : 'warn']({ batchId: job.data.batchId, attempt: job.attemptsMade, err }, 'ingest job failed');
    if (final) {
      const message = `Processing failed after ${job.attemptsMade} attempts: ${err.message}`;
      // If even this write fails, the batch stays unfinished and the recovery sweep tries again later.
      markJobFailed(runtime, job.data, message).then(
        () => metrics.batchesFinished.inc({ kind: job.name === ingestJobName.balances ? 'balances' : 'transactions', status: 'Failed' }),
        (e: unknown) => log.error({ err: e }, 'could not mark batch failed'),
      );
    }
  });
  worker.on('error', (err) => log.error({ err }, 'ingest worker error'));
  return {
    worker,
    async close() {
      await worker.close(); // waits for active jobs
      connection.disconnect();
    },
  };
}
