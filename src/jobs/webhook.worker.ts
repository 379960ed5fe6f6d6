import type { QueueConsumer } from '../queue/queue-worker.ts';
import { WEBHOOK_QUEUE, type WebhookJobData, webhookJobData } from '../queue/queues.ts';
import { type WebhookDeliveryDeps, webhookDeliveryJob } from './webhook-delivery.job.ts';

/** Consumes the webhook queue. A job that throws is not retried by BullMQ: the outbox row is still due, so the sweep queues it again. */
export function webhookConsumer(deps: WebhookDeliveryDeps): QueueConsumer<WebhookJobData> {
  return {
    queue: WEBHOOK_QUEUE,
    concurrency: deps.config.webhooks.concurrency,
    process: (job) => webhookDeliveryJob(deps, webhookJobData.parse(job.data)),
    onFailed: (job, err) => deps.log.warn({ deliveryId: job?.data.deliveryId, err }, 'webhook job failed; the recovery sweep will queue it again'),
  };
}
