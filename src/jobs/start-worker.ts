import type { Runtime } from '../runtime.ts';
import { prepareSecretsAtStart } from '../secrets-startup.ts';
import { startBalanceEventsWorker } from './balance-events.worker.ts';
import { startDeliverySweep } from './delivery-recovery.ts';
import { startIngestWorker } from './ingest.worker.ts';
import { startLedgerMaintenance } from './ledger-maintenance.job.ts';
import { startReconciliationWorker } from './reconciliation.worker.ts';
import { startRecoverySweep } from './recovery.ts';
import { startWebhookWorker } from './webhook.worker.ts';

export interface RunningWorker {
  /** Stops the sweeps, then lets the consumers finish their jobs in flight. */
  close(): Promise<void>;
}

/**
 * Everything the worker process runs: the integration secrets check (a key
 * problem rejects before anything starts), the ingest, webhook and
 * reconciliation consumers, the balance events consumer and its sweep, both recovery sweeps and the ledger maintenance.
 * Resolves once the consumers are connected: a worker closed while BullMQ still initialises its
 * connection leaves an unhandled rejection behind.
 */
export async function startWorker(runtime: Runtime): Promise<RunningWorker> {
  const secretsCheck = await prepareSecretsAtStart(runtime);
  const ingest = startIngestWorker(runtime);
  const webhooks = startWebhookWorker(runtime);
  const reconciliations = startReconciliationWorker(runtime);
  const events = startBalanceEventsWorker(runtime);
  const sweeps = [startRecoverySweep(runtime), startDeliverySweep(runtime), startLedgerMaintenance(runtime)];
  await Promise.all([
    ingest.worker.waitUntilReady(),
    webhooks.worker.waitUntilReady(),
    reconciliations.worker.waitUntilReady(),
    events.worker.waitUntilReady(),
  ]);
  return {
    async close() {
      await Promise.all([secretsCheck, ...sweeps].map((sweep) => sweep.stop()));
      // Each finishes its in-flight jobs; a webhook attempt may take up to WEBHOOK_TIMEOUT_MS, so they close side by side.
      await Promise.all([ingest.close(), webhooks.close(), reconciliations.close(), events.close()]);
    },
  };
}
