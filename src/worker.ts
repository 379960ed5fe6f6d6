import type { Server } from 'node:http';
import { loadConfigOrExit } from './config.ts';
import { closeDeps, createDeps } from './deps.ts';
import { startIngestWorker } from './jobs/ingest.worker.ts';
import { startLedgerMaintenance } from './jobs/ledger-maintenance.job.ts';
import { startRecoverySweep } from './jobs/recovery.ts';
import { createLogger } from './logger.ts';
import { startMetricsServer } from './metrics-server.ts';
import { onShutdownSignal } from './shutdown.ts';

const config = loadConfigOrExit();
const log = createLogger(config.logLevel, 'worker');
const deps = createDeps(config, log);

const ingest = startIngestWorker(deps);
const sweep = startRecoverySweep(deps);
const maintenance = startLedgerMaintenance(deps);
let metricsServer: Server | undefined;

onShutdownSignal(log, config.shutdownTimeoutMs, async () => {
  await sweep.stop();
  await maintenance.stop();
  await ingest.close(); // finishes in-flight jobs
  await closeDeps(deps);
  metricsServer?.close();
});

if (config.queue.metricsPort > 0) {
  metricsServer = await startMetricsServer(deps.metrics, config.http.host, config.queue.metricsPort, log);
}
// Announced only once the signal handlers are in place: a SIGTERM from here on is graceful.
log.info({ concurrency: config.queue.concurrency, prefix: config.queue.prefix }, 'worker started');
