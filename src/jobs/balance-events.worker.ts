import { type Job, Worker } from 'bullmq';
import { connectRedis } from '../redis.ts';
import type { Runtime } from '../runtime.ts';
import { balanceEventsJob, requeueDueEvents } from './balance-events.job.ts';
import { runPeriodically } from './periodic.ts';
import { consumerLock, EVENTS_QUEUE, type EventsJobData, eventsJobData } from '../queue/queues.ts';

/**
 * Consumes the events queue, beside (not inside) the webhook consumer, and
 * sweeps: Redis may lose every job, Postgres keeps what is due. A job that
 * throws is not retried by BullMQ; its rows are still due and the sweep queues them again.
 */
export function startBalanceEventsWorker(runtime: Runtime): { worker: Worker<EventsJobData>; close(): Promise<void> } {
  const { config, log } = runtime;
  const connection = connectRedis(config, { maxRetriesPerRequest: null });
  const worker = new Worker<EventsJobData>(EVENTS_QUEUE, (job: Job<EventsJobData>) => balanceEventsJob(runtime, eventsJobData.parse(job.data)), {
    connection,
    prefix: config.queue.prefix,
    concurrency: config.webhooks.concurrency,
    ...consumerLock(config.queue.lockMs),
  });
  worker.on('failed', (job, err) =>
    log.warn({ subscriptionId: job?.data.subscriptionId, err }, 'balance events job failed; the recovery sweep will queue it again'),
  );
  worker.on('error', (err) => log.error({ err }, 'balance events worker error'));
  const sweep = runPeriodically('balance events sweep', config.queue.recoveryIntervalMs, log, async () => {
    const count = await requeueDueEvents(runtime);
    if (count > 0) log.debug({ count }, 'balance events sweep queued subscriptions');
  });
  return {
    worker,
    async close() {
      await sweep.stop();
      await worker.close();
      connection.disconnect();
    },
  };
}
