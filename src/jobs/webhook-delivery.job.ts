import { type WebhookEvent, webhookRequest } from '../domain/adjustments.ts';
import { outcomeOfAttempt } from '../domain/deliveries.ts';
import { openSecret } from '../domain/secrets.ts';
import { postWebhook } from '../integrations/webhook.client.ts';
import type { Queue } from 'bullmq';
import type { Dispatcher } from 'undici';
import type { Config } from '../config.ts';
import type { SecretsKeyring } from '../domain/secrets.ts';
import type { Logger } from '../logger.ts';
import type { Metrics } from '../metrics/metrics.ts';
import { enqueueDelivery, type WebhookJobData } from '../queue/queues.ts';
import type { StoreDeps } from './job-deps.ts';

/** Where the delivery sweep and an attempt queue the next attempt. */
export interface WebhookQueueDeps extends StoreDeps {
  webhookQueue: Queue<WebhookJobData>;
}

/** What one attempt uses: the outbox, the keys that open the tenant's webhook secrets, the HTTP agent, and the queue of the next attempt. */
export interface WebhookDeliveryDeps extends WebhookQueueDeps {
  config: Pick<Config, 'webhooks'>;
  log: Logger;
  secrets: SecretsKeyring;
  outbound: Dispatcher;
  metrics: Pick<Metrics, 'webhookAttempts'>;
}

/** The lease outlives the HTTP call and its bookkeeping; only a worker that died mid-send lets it run out. */
const LEASE_MARGIN_MS = 30_000;

export type DeliveryJobResult = 'not-sendable' | 'parked' | 'lease-lost' | 'Delivered' | 'Retrying' | 'Failed';

/**
 * WebhookDeliveryJob: one attempt of one outbox row (an adjustment or a member level change). Claims the row (so no
 * other worker sends it at the same time), sends it, records the outcome and
 * queues the next attempt when one is due later.
 */
export async function webhookDeliveryJob(runtime: WebhookDeliveryDeps, job: WebhookJobData): Promise<DeliveryJobResult> {
  const { config, clock, log } = runtime;
  const { deliveryId } = job;
  // A job queued before jobs carried their tenant (a rolling upgrade) has its tenant looked up, only while the delivery is on its way.
  const tenantId = job.tenantId ?? (await runtime.db.deliveries.tenantOfDelivery(deliveryId));
  if (!tenantId) return 'not-sendable';
  const claim = await runtime.db.deliveries.claim(tenantId, deliveryId, clock.now(), config.webhooks.timeoutMs + LEASE_MARGIN_MS);
  if (!claim) return 'not-sendable'; // not due, already done, or another worker has it
  if (!claim.webhook) {
    await runtime.db.deliveries.park(claim, clock.now());
    return 'parked';
  }

  // A value no configured key opens throws here: the job fails and the lease runs out, so the delivery waits (logged) until the key is back.
  const encryptionKey = openSecret(runtime.secrets, claim.webhook.encryptionKey, { tenantId, column: 'webhook_encryption_key' });
  const signingSecret = openSecret(runtime.secrets, claim.webhook.signingSecret, { tenantId, column: 'webhook_signing_secret' });
  const attemptedAt = clock.now();
  const event: WebhookEvent = 'levelChange' in claim ? { levelChange: claim.levelChange } : { adjustment: claim.adjustment };
  const request = webhookRequest({
    eventId: claim.id,
    ...event,
    tenantName: claim.tenantName,
    encryptionKey,
    signingSecret,
    sentAt: attemptedAt,
  });
  const result = await postWebhook(runtime.outbound, { url: claim.webhook.url, ...request }, config.webhooks.timeoutMs);
  const outcome = outcomeOfAttempt(result, claim.failures, config.webhooks.retryScheduleMs, clock.now());

  const recorded = await runtime.db.deliveries.recordAttempt(claim, outcome, attemptedAt, clock.now());
  if (!recorded) {
    log.warn({ deliveryId }, 'webhook lease expired before the attempt was recorded; the delivery will be sent again');
    return 'lease-lost';
  }
  runtime.metrics.webhookAttempts.inc({ outcome: outcome.state });
  const level = outcome.state === 'Delivered' ? 'info' : outcome.state === 'Retrying' ? 'warn' : 'error';
  log[level]({ deliveryId, attempt: recorded.attempts, state: outcome.state, status: outcome.lastStatus, error: outcome.lastError }, 'webhook attempt');

  if (outcome.nextAttemptAt) {
    const delayMs = outcome.nextAttemptAt.getTime() - clock.now().getTime();
    // Postgres already holds the next attempt time; if Redis is away now, the recovery sweep queues it when due.
    await enqueueDelivery(runtime.webhookQueue, recorded, delayMs).catch((err: unknown) =>
      log.warn({ deliveryId, err }, 'next webhook attempt not queued; the recovery sweep will queue it'),
    );
  }
  return outcome.state;
}
