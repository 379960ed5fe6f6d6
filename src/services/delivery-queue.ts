import type { Queue } from 'bullmq';
import type { QueuedDelivery } from '../db/deliveries.repository.ts';
import { enqueueDelivery, type WebhookJobData } from '../jobs/queues.ts';
import type { Logger } from '../logger.ts';

const ENQUEUE_TIMEOUT_MS = 1000;

export type QueueDeliveries = (deliveries: readonly QueuedDelivery[]) => Promise<void>;

/**
 * Queues deliveries that Postgres already holds as sendable. Best effort: when
 * Redis is slow or away the caller still succeeds, and the worker's recovery
 * sweep queues them from Postgres.
 */
export function queueDeliveriesBestEffort(queue: Queue<WebhookJobData>, log: Logger): QueueDeliveries {
  return async (deliveries) => {
    if (deliveries.length === 0) return;
    const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('enqueue timed out')), ENQUEUE_TIMEOUT_MS).unref());
    await Promise.race([Promise.all(deliveries.map((delivery) => enqueueDelivery(queue, delivery))), timeout]).catch((err: Error) =>
      log.warn({ count: deliveries.length, err: err.message }, 'deliveries stored but not queued; the recovery sweep will queue them'),
    );
  };
}
