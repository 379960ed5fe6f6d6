import { type Job, Worker } from 'bullmq';
import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';
import { connectRedis } from '../redis.ts';
import { consumerLock, type QueueName } from './queues.ts';

/** What one queue's consumer does: run a job, how many at once, and what a failed job leaves behind. */
export interface QueueConsumer<Data> {
  queue: QueueName;
  concurrency: number;
  process(job: Job<Data>): Promise<unknown>;
  /** Every failed attempt; `final` when BullMQ tries the job no more. */
  onFailed(job: Job<Data> | undefined, err: Error, final: boolean): void;
}

export interface RunningQueueWorker {
  worker: Worker;
  /** Lets the jobs in flight finish, then drops the connection. */
  close(): Promise<void>;
}

/**
 * The one bootstrap of every queue consumer: a connection of its own (blocking
 * reads need one that retries forever), the Worker with the shared lock
 * settings, failure and error logging, and an orderly close.
 */
export function startQueueWorker<Data>(
  { config, log }: { config: Pick<Config, 'redisUrl' | 'redisClusterNodes' | 'queue'>; log: Logger },
  consumer: QueueConsumer<Data>,
): RunningQueueWorker {
  const connection = connectRedis(config, { maxRetriesPerRequest: null });
  const worker = new Worker<Data>(consumer.queue, (job) => consumer.process(job), {
    connection,
    prefix: config.queue.prefix,
    concurrency: consumer.concurrency,
    ...consumerLock(config.queue.lockMs),
  });
  worker.on('failed', (job, err) => consumer.onFailed(job, err, job !== undefined && job.attemptsMade >= (job.opts.attempts ?? 1)));
  worker.on('error', (err) => log.error({ err, queue: consumer.queue }, `${consumer.queue} worker error`));
  return {
    worker,
    async close() {
      await worker.close(); // waits for the jobs in flight
      connection.disconnect();
    },
  };
}
