import type { Server } from 'node:http';
import os from 'node:os';
import { loadConfigOrExit } from './config.ts';
import { closeDeps, createDeps } from './deps.ts';
import { startDeliverySweep } from './jobs/delivery-recovery.ts';
import { startIngestWorker } from './jobs/ingest.worker.ts';
import { startLedgerMaintenance } from './jobs/ledger-maintenance.job.ts';
import { startRecoverySweep } from './jobs/recovery.ts';
import { startWebhookWorker } from './jobs/webhook.worker.ts';
import { createLogger } from './logger.ts';
import { startMetricsServer } from './metrics-server.ts';
import { onShutdownSignal } from './shutdown.ts';

const config = loadConfigOrExit();
// Lowers the priority of the JavaScript thread, which does the worker's work
// (Linux keeps niceness per thread); only ever lowering needs no privileges.
if (os.getPriority() < config.queue.nice) os.setPriority(config.queue.nice);
const log = createLogger(config.logLevel, 'worker');
const deps = createDeps(config, log);

const ingest = startIngestWorker(deps);
const sweep = startRecoverySweep(deps);
const maintenance = startLedgerMaintenance(deps);
const webhooks = startWebhookWorker(deps);
const deliverySweep = startDeliverySweep(deps);
let metricsServer: Server | undefined;

onShutdownSignal(log, config.shutdownTimeoutMs, async () => {
  await Promise.all([sweep.stop(), deliverySweep.stop(), maintenance.stop()]);
  // Both finish their in-flight jobs; a webhook attempt may take up to WEBHOOK_TIMEOUT_MS, so they close side by side.
  await Promise.all([ingest.close(), webhooks.close()]);
  await closeDeps(deps);
  metricsServer?.close();
});

if (config.queue.metricsPort > 0) {
  metricsServer = await startMetricsServer(deps.metrics, config.http.host, config.queue.metricsPort, log);
}
// Announced only once the signal handlers are in place: a SIGTERM from here on is graceful.
log.info({ concurrency: config.queue.concurrency, nice: os.getPriority(), prefix: config.queue.prefix }, 'worker started');
