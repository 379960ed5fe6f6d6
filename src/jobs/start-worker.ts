import { EVENTS_QUEUE, INGEST_QUEUE, type QueueName, RECONCILIATION_QUEUE, WEBHOOK_QUEUE } from '../queue/queues.ts';
import { type RunningQueueWorker, startQueueWorker } from '../queue/queue-worker.ts';
import type { Runtime } from '../runtime.ts';
import { prepareSecretsAtStart } from '../secrets-startup.ts';
import { balanceEventsConsumer, startEventsSweep } from './balance-events.worker.ts';
import { startDeliverySweep } from './delivery-recovery.ts';
import { ingestConsumer } from './ingest.worker.ts';
import { startLedgerMaintenance } from './ledger-maintenance.job.ts';
import { reconciliationConsumer } from './reconciliation.worker.ts';
import { startBatchRecoverySweep, startReconciliationRecoverySweep } from './recovery.ts';
import { webhookConsumer } from './webhook.worker.ts';

export interface RunningWorker {
  /** Stops the sweeps, then lets the consumers finish their jobs in flight. */
  close(): Promise<void>;
}

interface Stoppable {
  stop(): Promise<void>;
}

/**
 * Each queue's consumer and the sweeps that go with it: a sweep runs where its
 * queue is consumed (the ledger maintenance with the ingest, which writes the
 * ledger), so a process that consumes one queue runs that queue's sweeps only.
 */
const parts: Record<QueueName, (runtime: Runtime) => { consumer: RunningQueueWorker; sweeps: Stoppable[] }> = {
  [INGEST_QUEUE]: (runtime) => ({
    consumer: startQueueWorker(runtime, ingestConsumer(runtime)),
    sweeps: [startBatchRecoverySweep(runtime), startLedgerMaintenance(runtime)],
  }),
  [WEBHOOK_QUEUE]: (runtime) => ({ consumer: startQueueWorker(runtime, webhookConsumer(runtime)), sweeps: [startDeliverySweep(runtime)] }),
  [RECONCILIATION_QUEUE]: (runtime) => ({
    consumer: startQueueWorker(runtime, reconciliationConsumer(runtime)),
    sweeps: [startReconciliationRecoverySweep(runtime)],
  }),
  [EVENTS_QUEUE]: (runtime) => ({ consumer: startQueueWorker(runtime, balanceEventsConsumer(runtime)), sweeps: [startEventsSweep(runtime)] }),
};

/**
 * Everything a worker process runs: the integration secrets check (a key
 * problem rejects before anything starts), then, for each queue WORKER_QUEUES
 * names (all by default), its consumer and its sweeps.
 * Resolves once the consumers are connected: a worker closed while BullMQ still initialises its
 * connection leaves an unhandled rejection behind.
 */
export async function startWorker(runtime: Runtime): Promise<RunningWorker> {
  const secretsCheck = await prepareSecretsAtStart(runtime);
  const started = runtime.config.queue.workerQueues.map((queue) => parts[queue](runtime));
  await Promise.all(started.map(({ consumer }) => consumer.worker.waitUntilReady()));
  return {
    async close() {
      await Promise.all([secretsCheck, ...started.flatMap(({ sweeps }) => sweeps)].map((sweep) => sweep.stop()));
      // Each finishes its in-flight jobs; a webhook attempt may take up to WEBHOOK_TIMEOUT_MS, so they close side by side.
      await Promise.all(started.map(({ consumer }) => consumer.close()));
    },
  };
}
