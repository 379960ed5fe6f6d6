import type { Queue } from 'bullmq';
import type { BatchKind } from '../domain/batches.ts';
import type { QueuedDelivery } from '../domain/deliveries.ts';
import {
  enqueueBatch,
  enqueueDelivery,
  enqueueEvents,
  enqueueReconciliation,
  type EventsJobData,
  type IngestJobData,
  type ReconciliationJobData,
  type WebhookJobData,
} from '../queue/queues.ts';
import type { Logger } from '../logger.ts';
import { withTimeout } from '../timeout.ts';

const ENQUEUE_TIMEOUT_MS = 1000;

export type QueueBatch = (kind: BatchKind, batch: { tenantId: string; id: string }) => Promise<void>;
export type QueueDeliveries = (deliveries: readonly QueuedDelivery[]) => Promise<void>;

/**
 * Queues a batch Postgres already holds. Best effort: when Redis is slow or
 * away the batch is still accepted, and the worker's recovery sweep queues it
 * from Postgres.
 */
export function queueBatchBestEffort(queue: Queue<IngestJobData>, log: Logger): QueueBatch {
  return (kind, batch) =>
    withTimeout(enqueueBatch(queue, kind, batch), ENQUEUE_TIMEOUT_MS, 'enqueue timed out').catch((err: unknown) =>
      log.warn({ batchId: batch.id, err }, 'batch stored but not queued; the recovery sweep will queue it'),
    );
}

/** Queues deliveries that Postgres already holds as sendable; best effort as above, the delivery sweep being the fallback. */
export function queueDeliveriesBestEffort(queue: Queue<WebhookJobData>, log: Logger): QueueDeliveries {
  return async (deliveries) => {
    if (deliveries.length === 0) return;
    await withTimeout(Promise.all(deliveries.map((delivery) => enqueueDelivery(queue, delivery))), ENQUEUE_TIMEOUT_MS, 'enqueue timed out').catch(
      (err: unknown) => log.warn({ count: deliveries.length, err }, 'deliveries stored but not queued; the recovery sweep will queue them'),
    );
  };
}

export type QueueReconciliation = (data: ReconciliationJobData) => Promise<void>;

/** Queues the compare of a reconciliation Postgres already holds as Comparing; best effort, the recovery sweep being the fallback. */
export function queueReconciliationBestEffort(queue: Queue<ReconciliationJobData>, log: Logger): QueueReconciliation {
  return (data) =>
    withTimeout(enqueueReconciliation(queue, data), ENQUEUE_TIMEOUT_MS, 'enqueue timed out').catch((err: unknown) =>
      log.warn({ reconciliationId: data.reconciliationId, err }, 'reconciliation stored but not queued; the recovery sweep will queue it'),
    );
}

/** Queues a pass over each subscription's due balance events, which Postgres already holds; best effort, the events sweep being the fallback. */
export function queueEventsBestEffort(queue: Queue<EventsJobData>, log: Logger): (events: readonly EventsJobData[]) => Promise<void> {
  return async (events) => {
    if (events.length === 0) return;
    await withTimeout(Promise.all(events.map((data) => enqueueEvents(queue, data))), ENQUEUE_TIMEOUT_MS, 'enqueue timed out').catch((err: unknown) =>
      log.warn({ count: events.length, err }, 'balance events stored but not queued; the recovery sweep will queue them'),
    );
  };
}
