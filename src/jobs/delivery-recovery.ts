import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';
import { enqueueDelivery } from '../queue/queues.ts';
import { runPeriodically } from '../periodic.ts';
import type { WebhookQueueDeps } from './webhook-delivery.job.ts';

const SWEEP_LIMIT = 1000;

/** One pass: queues every delivery Postgres says should be sent by now. Jobs still in Redis stay as they are (same job id). */
export async function requeueSendableDeliveries(runtime: WebhookQueueDeps): Promise<number> {
  const deliveries = await runtime.db.deliveries.listSendable(runtime.clock.now(), SWEEP_LIMIT);
  for (const delivery of deliveries) await enqueueDelivery(runtime.webhookQueue, delivery);
  return deliveries.length;
}

/**
 * Redis may lose every job, delayed retries included; Postgres keeps each
 * delivery's state and next attempt time. The sweep runs at start and then
 * every RECOVERY_INTERVAL_MS, so a lost retry is sent at most one interval late.
 */
export function startDeliverySweep(runtime: WebhookQueueDeps & { config: Pick<Config, 'queue'>; log: Logger }): { stop(): Promise<void> } {
  return runPeriodically('delivery sweep', runtime.config.queue.recoveryIntervalMs, runtime.log, async () => {
    const count = await requeueSendableDeliveries(runtime);
    if (count > 0) runtime.log.debug({ count }, 'delivery sweep queued due webhooks');
  });
}
