import { loadConfigOrExit } from './config.ts';
import { closeDeps, createDeps } from './deps.ts';
import { startIngestWorker } from './jobs/ingest.worker.ts';
import { startLedgerMaintenance } from './jobs/ledger-maintenance.job.ts';
import { startRecoverySweep } from './jobs/recovery.ts';
import { createLogger } from './logger.ts';
import { onShutdownSignal } from './shutdown.ts';

const config = loadConfigOrExit();
const log = createLogger(config.logLevel, 'worker');
const deps = createDeps(config, log);

const ingest = startIngestWorker(deps);
const sweep = startRecoverySweep(deps);
const maintenance = startLedgerMaintenance(deps);
log.info({ concurrency: config.queue.concurrency, prefix: config.queue.prefix }, 'worker started');

onShutdownSignal(log, config.shutdownTimeoutMs, async () => {
  await sweep.stop();
  await maintenance.stop();
  await ingest.close(); // finishes in-flight jobs
  await closeDeps(deps);
});
