import type { Server } from 'node:http';
import os from 'node:os';
import { loadConfigOrExit } from './config.ts';
import { SecretsKeyError } from './domain/secrets.ts';
import { startWorker } from './jobs/start-worker.ts';
import { listenFailure } from './listen-failure.ts';
import { createProcessLogger } from './logger.ts';
import { startMetricsServer } from './metrics-server.ts';
import { closeRuntime, createRuntime } from './runtime.ts';
import { onShutdownSignal } from './shutdown.ts';

const config = loadConfigOrExit();
// Lowers the priority of the JavaScript thread, which does the worker's work
// (Linux keeps niceness per thread); only ever lowering needs no privileges.
if (os.getPriority() < config.queue.nice) os.setPriority(config.queue.nice);
const log = createProcessLogger(config.logLevel, 'worker', config.logFormat);
const runtime = createRuntime(config, log);
let metricsServer: Server | undefined;

const worker = startWorker(runtime).catch(async (err: unknown) => {
  if (!(err instanceof SecretsKeyError)) throw err;
  // Integration secrets no configured key opens: refuse to start, naming the key id.
  log.fatal(err.message);
  await closeRuntime(runtime);
  process.exit(1);
});
onShutdownSignal(log, config.shutdownTimeoutMs, async () => {
  await (await worker).close();
  await closeRuntime(runtime);
  metricsServer?.close();
});

await worker;
if (config.queue.metricsPort > 0) {
  metricsServer = await startMetricsServer(runtime.metrics, config.http.host, config.queue.metricsPort, log).catch(async (err: unknown) => {
    const reason = listenFailure(err, config.http.host, config.queue.metricsPort, 'WORKER_METRICS_PORT');
    if (reason === undefined) throw err;
    log.fatal(reason);
    await (await worker).close();
    await closeRuntime(runtime);
    process.exit(1);
  });
}
// Announced only once the signal handlers are in place: a SIGTERM from here on is graceful.
log.info({ queues: config.queue.workerQueues, concurrency: config.queue.concurrency, nice: os.getPriority(), prefix: config.queue.prefix }, 'worker started');
