import { type ConnectionOptions, Queue } from 'bullmq';
import { z } from 'zod';
import type { BatchKind } from '../db/batches.repository.ts';

/**
 * The contract between producers (API, recovery sweep) and the worker: queue
 * names, job names and payloads. Jobs carry only ids; Postgres holds the data.
 */
export const INGEST_QUEUE = 'ingest';

export const ingestJobName: Record<BatchKind, string> = {
  balances: 'BalanceAccountToAmountJob',
  transactions: 'PointTransactionsJob',
};

export const ingestJobData = z.object({ batchId: z.uuid() });
export type IngestJobData = z.output<typeof ingestJobData>;

export function createIngestQueue(connection: ConnectionOptions, prefix: string, attempts: number): Queue<IngestJobData> {
  return new Queue<IngestJobData>(INGEST_QUEUE, {
    connection,
    prefix,
    defaultJobOptions: {
      attempts,
      backoff: { type: 'exponential', delay: 1000 },
      // Postgres keeps the outcome; Redis keeps nothing once a job is done, so its memory stays flat.
      removeOnComplete: true,
      removeOnFail: true,
    },
  });
}

/** Queues a batch. The job id is the batch id, so queuing it again while it waits or runs is a no-op. */
export async function enqueueBatch(queue: Queue<IngestJobData>, kind: BatchKind, batchId: string): Promise<void> {
  await queue.add(ingestJobName[kind], { batchId }, { jobId: batchId });
}
