import { type Job, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import type { BatchKind } from '../db/batches.repository.ts';
import type { Deps } from '../deps.ts';
import { balanceAccountToAmountJob } from './balance-batch.job.ts';
import { INGEST_QUEUE, type IngestJobData, ingestJobData, ingestJobName } from './queues.ts';
import { pointTransactionsJob } from './transactions-batch.job.ts';

const processors: Record<BatchKind, (deps: Deps, batchId: string) => Promise<unknown>> = {
  balances: balanceAccountToAmountJob,
  transactions: pointTransactionsJob,
};

async function processIngestJob(deps: Deps, job: Job<IngestJobData>) {
  const { batchId } = ingestJobData.parse(job.data);
  const claimed = await deps.batches.markProcessing(batchId, deps.clock.now());
  if (!claimed) return 'already-final'; // delivered twice, or re-queued by the sweep after it finished
  return processors[claimed.kind](deps, batchId);
}

/** Consumes the ingest queue. Each batch is applied in one transaction, so a retry after any failure is safe. */
export function startIngestWorker(deps: Deps): { worker: Worker<IngestJobData>; close(): Promise<void> } {
  const { config, log } = deps;
  // Blocking reads need a connection of their own that retries forever.
  const connection = new Redis(config.redisUrl, { maxRetriesPerRequest: null });
  const worker = new Worker<IngestJobData>(INGEST_QUEUE, (job) => processIngestJob(deps, job), {
    connection,
    prefix: config.queue.prefix,
    concurrency: config.queue.concurrency,
  });

  worker.on('failed', (job, err) => {
    if (!job) return;
    const final = job.attemptsMade >= (job.opts.attempts ?? 1);
    log[final ? 'error' : 'warn']({ batchId: job.data.batchId, attempt: job.attemptsMade, err }, 'ingest job failed');
    if (final) {
      const message = `Processing failed after ${job.attemptsMade} attempts: ${err.message}`;
      // If even this write fails, the batch stays unfinished and the recovery sweep tries again later.
      deps.batches.markFailed(job.data.batchId, message, deps.clock.now()).then(
        () => deps.metrics.batchesFinished.inc({ kind: job.name === ingestJobName.balances ? 'balances' : 'transactions', status: 'Failed' }),
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
