import { type ConnectionOptions, Queue } from 'bullmq';
import { z } from 'zod';
import type { BatchKind } from '../domain/batches.ts';
import type { QueuedDelivery } from '../domain/deliveries.ts';

/**
 * The contract between producers (API, recovery sweep) and the worker: queue
 * names, job names and payloads. Jobs carry only ids, each with its tenant
 * (every row a job names is keyed by tenant); Postgres holds the data.
 */
export const INGEST_QUEUE = 'ingest';

export const ingestJobName: Record<BatchKind, string> = {
  balances: 'BalanceAccountToAmountJob',
  transactions: 'PointTransactionsJob',
};

/** BullMQ's event stream is only for dashboards; a short one keeps Redis memory small (the default keeps 10,000 events). */
const EVENTS_MAX_LEN = 1000;

/**
 * tenantId is optional only for jobs queued before jobs carried it; the worker then looks the tenant up
 * (jobs/ingest.worker.ts). It can go one release after the one that added it: by then every such job has run, and the
 * recovery sweep re-queues any unfinished batch with its tenant.
 */
export const ingestJobData = z.object({ tenantId: z.uuid().optional(), batchId: z.uuid() });
export type IngestJobData = z.output<typeof ingestJobData>;

/**
 * A queue with a short event stream whose jobs Redis forgets once done:
 * Postgres keeps every outcome, so Redis memory stays flat.
 */
function queueOf<Data>(name: string, connection: ConnectionOptions, prefix: string, tries: { attempts: number; backoffMs?: number }): Queue<Data> {
  return new Queue<Data>(name, {
    connection,
    prefix,
    streams: { events: { maxLen: EVENTS_MAX_LEN } },
    defaultJobOptions: {
      attempts: tries.attempts,
      ...(tries.backoffMs !== undefined && { backoff: { type: 'exponential', delay: tries.backoffMs } }),
      removeOnComplete: true,
      removeOnFail: true,
    },
  });
}

export function createIngestQueue(connection: ConnectionOptions, prefix: string, attempts: number): Queue<IngestJobData> {
  return queueOf(INGEST_QUEUE, connection, prefix, { attempts, backoffMs: 1000 });
}

/** Queues a batch. The job id is the batch id, so queuing it again while it waits or runs is a no-op. */
export async function enqueueBatch(queue: Queue<IngestJobData>, kind: BatchKind, batch: { tenantId: string; id: string }): Promise<void> {
  await queue.add(ingestJobName[kind], { tenantId: batch.tenantId, batchId: batch.id }, { jobId: batch.id });
}

/**
 * How every consumer holds its jobs. BullMQ's defaults (a 30 s lock, a stalled
 * check every 30 s) let a killed worker's jobs wait about a minute; a lock of
 * `lockMs`, renewed every half of it, and a stalled check every half of it hand
 * them on within 1.5 * lockMs. A job whose holder only paused past its lock (a
 * long GC) runs twice, which every job here makes harmless.
 */
export const consumerLock = (lockMs: number) => ({ lockDuration: lockMs, stalledInterval: Math.ceil(lockMs / 2) });

/** Webhook deliveries to point masters. The outbox row in Postgres holds the state; a job only says "try this one now". */
export const WEBHOOK_QUEUE = 'webhooks';
const WEBHOOK_JOB = 'WebhookDeliveryJob';

/**
 * tenantId is optional only for jobs queued before jobs carried it; the job then looks the tenant up
 * (jobs/webhook-delivery.job.ts). It can go one release after the one that added it: a delivery's job is queued anew (with
 * its tenant) at every retry and by the delivery sweep, so no older job outlives that release.
 */
export const webhookJobData = z.object({ tenantId: z.uuid().optional(), deliveryId: z.uuid() });
export type WebhookJobData = z.output<typeof webhookJobData>;

export function createWebhookQueue(connection: ConnectionOptions, prefix: string): Queue<WebhookJobData> {
  // One BullMQ attempt per job: retries follow WEBHOOK_RETRY_SCHEDULE from Postgres, not BullMQ's backoff.
  return queueOf(WEBHOOK_QUEUE, connection, prefix, { attempts: 1 });
}

/**
 * The job id of one attempt: the delivery, its attempt count and the time it is
 * due. Queuing the same attempt again (the recovery sweep) is a no-op; the next
 * attempt can be queued before the job of the current one has finished; and a
 * replay, which makes the delivery due now, gets a job of its own instead of
 * being dropped as a duplicate of the retry job delayed for hours.
 */
const deliveryJobId = (delivery: QueuedDelivery) => `${delivery.id}_${delivery.attempts}_${delivery.dueAt?.getTime() ?? 'unset'}`;

/**
 * Queues one attempt of a delivery, delayed until it is due. A job whose
 * attempt was overtaken (by a replay) is harmless: when it runs, the claim
 * finds the delivery done, leased or not yet due and sends nothing.
 */
export async function enqueueDelivery(queue: Queue<WebhookJobData>, delivery: QueuedDelivery, delayMs = 0): Promise<void> {
  await queue.add(WEBHOOK_JOB, { tenantId: delivery.tenantId, deliveryId: delivery.id }, { jobId: deliveryJobId(delivery), delay: Math.max(0, delayMs) });
}

/** Reconciliation compares. A job names one reconciliation; Postgres holds its lines, status and outcome. */
export const RECONCILIATION_QUEUE = 'reconciliations';
const RECONCILIATION_JOB = 'ReconciliationCompareJob';

export const reconciliationJobData = z.object({ tenantId: z.uuid(), reconciliationId: z.uuid() });
export type ReconciliationJobData = z.output<typeof reconciliationJobData>;

export function createReconciliationQueue(connection: ConnectionOptions, prefix: string, attempts: number): Queue<ReconciliationJobData> {
  return queueOf(RECONCILIATION_QUEUE, connection, prefix, { attempts, backoffMs: 1000 });
}

/** Queues a compare. The job id is the reconciliation id, so queuing it again while it waits or runs is a no-op. */
export async function enqueueReconciliation(queue: Queue<ReconciliationJobData>, data: ReconciliationJobData): Promise<void> {
  await queue.add(RECONCILIATION_JOB, data, { jobId: data.reconciliationId });
}

/**
 * Deliveries of point.balance.updated to subscribers, apart from the master's
 * webhooks so a flood of balance events never holds those back. A job names a
 * subscription; its outbox rows in Postgres say what is due.
 */
export const EVENTS_QUEUE = 'events';
const EVENTS_JOB = 'BalanceEventDeliveryJob';

export const eventsJobData = z.object({ tenantId: z.uuid(), subscriptionId: z.uuid() });
export type EventsJobData = z.output<typeof eventsJobData>;

export function createEventsQueue(connection: ConnectionOptions, prefix: string): Queue<EventsJobData> {
  // Retries follow WEBHOOK_RETRY_SCHEDULE from Postgres, as for the master's webhooks.
  return queueOf(EVENTS_QUEUE, connection, prefix, { attempts: 1 });
}

/**
 * Queues a pass over a subscription's due events, `delayMs` from now. The job
 * id names the subscription and the moment it is due, so the many change sets
 * of one moment queue one pass; a pass that finds nothing due costs one query.
 */
export async function enqueueEvents(queue: Queue<EventsJobData>, data: EventsJobData, delayMs = 0): Promise<void> {
  const dueAt = Date.now() + Math.max(0, delayMs);
  await queue.add(EVENTS_JOB, data, { jobId: `${data.subscriptionId}_${Math.ceil(dueAt / 100)}`, delay: Math.max(0, delayMs) });
}

/** Every queue a worker process can consume; WORKER_QUEUES picks some (src/config.ts). */
export const QUEUE_NAMES = [INGEST_QUEUE, WEBHOOK_QUEUE, RECONCILIATION_QUEUE, EVENTS_QUEUE] as const;
export type QueueName = (typeof QUEUE_NAMES)[number];
