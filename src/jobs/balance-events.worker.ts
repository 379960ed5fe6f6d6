import type { Config } from '../config.ts';
import type { QueueConsumer } from '../queue/queue-worker.ts';
import { EVENTS_QUEUE, type EventsJobData, eventsJobData } from '../queue/queues.ts';
import { type BalanceEventsDeps, balanceEventsJob, requeueDueEvents } from './balance-events.job.ts';
import { runPeriodically } from '../periodic.ts';

/**
 * Consumes the events queue, beside (not inside) the webhook consumer. A job
 * that throws is not retried by BullMQ; its rows are still due and the sweep
 * queues them again.
 */
export function balanceEventsConsumer(deps: BalanceEventsDeps): QueueConsumer<EventsJobData> {
  return {
    queue: EVENTS_QUEUE,
    concurrency: deps.config.webhooks.concurrency,
    process: (job) => balanceEventsJob(deps, eventsJobData.parse(job.data)),
    onFailed: (job, err) =>
      deps.log.warn({ subscriptionId: job?.data.subscriptionId, err }, 'balance events job failed; the recovery sweep will queue it again'),
  };
}

/** Redis may lose every job, Postgres keeps what is due: the sweep queues every subscription with events due, at start and every RECOVERY_INTERVAL_MS. */
export function startEventsSweep(deps: BalanceEventsDeps & { config: Pick<Config, 'queue'> }): { stop(): Promise<void> } {
  return runPeriodically('balance events sweep', deps.config.queue.recoveryIntervalMs, deps.log, async () => {
    const count = await requeueDueEvents(deps);
    if (count > 0) deps.log.debug({ count }, 'balance events sweep queued subscriptions');
  });
}
