import { type Job, Worker } from 'bullmq';
import { connectRedis } from '../redis.ts';
import type { Runtime } from '../runtime.ts';
import { consumerLock, WEBHOOK_QUEUE, type WebhookJobData, webhookJobData } from '../queue/queues.ts';
import { webhookDeliveryJob } from './webhook-delivery.job.ts';

/** Consumes the webhook queue. A job that throws is not retried by BullMQ: the outbox row is still due, so the sweep queues it again. */
export function startWebhookWorker(runtime: Runtime): { worker: Worker<WebhookJobData>; close(): Promise<void> } {
  const { config, log } = runtime;
  // Blocking reads need a connection of their own that retries forever.
  const connection = connectRedis(config, { maxRetriesPerRequest: null });
  const worker = new Worker<WebhookJobData>(WEBHOOK_QUEUE, (job: Job<WebhookJobData>) => webhookDeliveryJob(runtime, webhookJobData.parse(job.data)), {
    connection,
    prefix: config.queue.prefix,
    concurrency: config.webhooks.concurrency,
    ...consumerLock(config.queue.lockMs),
  });
  worker.on('failed', (job, err) => log.warn({ deliveryId: job?.data.deliveryId, err }, 'webhook job failed; the recovery sweep will queue it again'));
  worker.on('error', (err) => log.error({ err }, 'webhook worker error'));
  return {
    worker,
    async close() {
      await worker.close(); // waits for attempts in flight
      connection.disconnect();
    },
  };
}
