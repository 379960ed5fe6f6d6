import { balanceEventRequests, MAX_EVENTS_PER_REQUEST, SINGLE_EVENTS_IN_FLIGHT } from '../domain/balance-events.ts';
import { outcomeOfAttempt } from '../domain/deliveries.ts';
import { postWebhook } from '../integrations/webhook.client.ts';
import type { Queue } from 'bullmq';
import type { Dispatcher } from 'undici';
import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';
import type { Metrics } from '../metrics/metrics.ts';
import { enqueueEvents, type EventsJobData } from '../queue/queues.ts';
import type { SubscriptionsService } from '../services/subscriptions.service.ts';
import type { StoreDeps } from './job-deps.ts';

/** Where the events sweep queues a pass. */
interface EventsQueueDeps extends StoreDeps {
  eventsQueue: Queue<EventsJobData>;
}

/** What a pass uses: the outbox, the subscription's keys and address, the HTTP agent of every outbound call, and the queue of its next pass. */
export interface BalanceEventsDeps extends EventsQueueDeps {
  config: Pick<Config, 'webhooks'>;
  log: Logger;
  outbound: Dispatcher;
  services: { subscriptions: Pick<SubscriptionsService, 'forSending'> };
  metrics: Pick<Metrics, 'balanceEventAttempts'>;
}

/** The lease outlives the HTTP calls of one round and their bookkeeping. */
const LEASE_MARGIN_MS = 30_000;
/** A pass gives the queue back after this long, so one busy subscription cannot hold a consumer for ever; it queues its own next pass. */
const PASS_MS = 10_000;

export interface EventsPassResult {
  sent: number;
  delivered: number;
}

/**
 * BalanceEventDeliveryJob: sends a subscription's due point.balance.updated
 * events, round after round until none is due: each round leases up to 1000
 * outbox rows (batch mode: one request; otherwise one request per event, a
 * few dozen at a time), records every outcome by the master's retry rule,
 * and queues a pass for the earliest retry.
 */
export async function balanceEventsJob(runtime: BalanceEventsDeps, job: EventsJobData): Promise<EventsPassResult> {
  const { db, clock, config, log } = runtime;
  const subscription = await runtime.services.subscriptions.forSending(job.tenantId, job.subscriptionId);
  if (!subscription) return { sent: 0, delivered: 0 };
  const started = Date.now();
  const result: EventsPassResult = { sent: 0, delivered: 0 };
  const limit = subscription.batch ? MAX_EVENTS_PER_REQUEST : SINGLE_EVENTS_IN_FLIGHT;
  for (;;) {
    const { lease, rows } = await db.balanceEvents.claim(job.tenantId, subscription.id, clock.now(), limit, config.webhooks.timeoutMs + LEASE_MARGIN_MS);
    if (rows.length === 0) break;
    const attemptedAt = clock.now();
    const requests = balanceEventRequests(rows, subscription, attemptedAt);
    const answers = await Promise.all(
      requests.map(async (request) => ({
        request,
        result: await postWebhook(runtime.outbound, { url: subscription.url, ...request }, config.webhooks.timeoutMs),
      })),
    );
    const now = clock.now();
    const outcomes = answers.flatMap(({ request, result }) =>
      request.rows.map((row) => ({ row, outcome: outcomeOfAttempt(result, row.failures, config.webhooks.retryScheduleMs, now) })),
    );
    await db.balanceEvents.recordOutcomes(job.tenantId, subscription.id, lease, outcomes, attemptedAt, clock.now());
    for (const { outcome } of outcomes) runtime.metrics.balanceEventAttempts.inc({ outcome: outcome.state });
    const failed = outcomes.filter((o) => o.outcome.state !== 'Delivered');
    result.sent += outcomes.length;
    result.delivered += outcomes.length - failed.length;
    if (failed.length > 0)
      log.warn({ subscriptionId: subscription.id, failed: failed.length, error: failed[0]?.outcome.lastError }, 'balance events not delivered');
    if (Date.now() - started > PASS_MS) {
      await enqueueEvents(runtime.eventsQueue, job);
      return result;
    }
  }
  const next = await db.balanceEvents.nextRetryAt(job.tenantId, subscription.id);
  if (next) {
    // Postgres holds the time; if Redis is away now, the recovery sweep queues it when due.
    await enqueueEvents(runtime.eventsQueue, job, next.getTime() - clock.now().getTime()).catch((err: unknown) =>
      log.warn({ subscriptionId: subscription.id, err }, 'next balance event pass not queued; the recovery sweep will queue it'),
    );
  }
  return result;
}

/** One pass of the recovery sweep: queues every subscription Postgres says has events due. */
export async function requeueDueEvents(runtime: EventsQueueDeps): Promise<number> {
  const due = await runtime.db.balanceEvents.subscriptionsDue(runtime.clock.now());
  for (const subscription of due) await enqueueEvents(runtime.eventsQueue, subscription);
  return due.length;
}
