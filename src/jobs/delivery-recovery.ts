import type { Deps } from '../deps.ts';
import { runPeriodically } from './periodic.ts';
import { enqueueDelivery } from './queues.ts';

const SWEEP_LIMIT = 1000;

/** One pass: queues every delivery Postgres says should be sent by now. Jobs still in Redis stay as they are (same job id). */
export async function requeueSendableDeliveries(deps: Deps): Promise<number> {
  const deliveries = await deps.deliveries.listSendable(deps.clock.now(), SWEEP_LIMIT);
  for (const delivery of deliveries) await enqueueDelivery(deps.webhookQueue, delivery);
  return deliveries.length;
}

/**
 * Redis may lose every job, delayed retries included; Postgres keeps each
 * delivery's state and next attempt time. The sweep runs at start and then
 * every RECOVERY_INTERVAL_MS, so a lost retry is sent at most one interval late.
 */
export function startDeliverySweep(deps: Deps): { stop(): Promise<void> } {
  return runPeriodically('delivery sweep', deps.config.queue.recoveryIntervalMs, deps.log, async () => {
    const count = await requeueSendableDeliveries(deps);
    if (count > 0) deps.log.debug({ count }, 'delivery sweep queued due webhooks');
  });
}
