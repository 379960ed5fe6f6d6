import { buildApp } from './app.ts';
import { loadConfigOrExit } from './config.ts';
import { closeDeps, createDeps } from './deps.ts';
import { createLogger } from './logger.ts';
import { onShutdownSignal } from './shutdown.ts';

const config = loadConfigOrExit();
const log = createLogger(config.logLevel, 'api');
const deps = createDeps(config, log);
const app = await buildApp(deps);

onShutdownSignal(log, config.shutdownTimeoutMs, async () => {
  await app.close(); // stops accepting, answers in-flight requests
  await closeDeps(deps);
});

await app.listen({ host: config.http.host, port: config.http.port });
