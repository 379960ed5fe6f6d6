import { loadConfigOrExit } from './config.ts';
import { closeDeps, createDeps } from './deps.ts';
import { startDeliverySweep } from './jobs/delivery-recovery.ts';
import { startIngestWorker } from './jobs/ingest.worker.ts';
import { startRecoverySweep } from './jobs/recovery.ts';
import { startWebhookWorker } from './jobs/webhook.worker.ts';
import { createLogger } from './logger.ts';
import { onShutdownSignal } from './shutdown.ts';

const config = loadConfigOrExit();
const log = createLogger(config.logLevel, 'worker');
const deps = createDeps(config, log);

const ingest = startIngestWorker(deps);
const sweep = startRecoverySweep(deps);
const webhooks = startWebhookWorker(deps);
const deliverySweep = startDeliverySweep(deps);
log.info({ concurrency: config.queue.concurrency, prefix: config.queue.prefix }, 'worker started');

onShutdownSignal(log, config.shutdownTimeoutMs, async () => {
  await sweep.stop();
  await deliverySweep.stop();
  // Both finish their in-flight jobs; a webhook attempt may take up to WEBHOOK_TIMEOUT_MS, so they close side by side.
  await Promise.all([ingest.close(), webhooks.close()]);
  await closeDeps(deps);
});
