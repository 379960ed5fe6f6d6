import { isDatabaseUnavailable } from './db/pool.ts';
import { SecretsKeyError } from './domain/secrets.ts';
import { runPeriodically } from './periodic.ts';
import type { Runtime } from './runtime.ts';

const RETRY_MS = 2000;

/**
 * The start-up step of the API and the worker for integration secrets
 * (services/secrets.service.ts `prepare`). A key problem rejects, so the
 * process refuses to start. Postgres unreachable does not: the process starts
 * as it always has (the API answers 503 until Postgres is back) and the check
 * runs again every 2 s until it has run once; a key problem found then stops
 * the process (exit code 1).
 */
export async function prepareSecretsAtStart(runtime: Runtime): Promise<{ stop(): Promise<void> }> {
  const { log, services } = runtime;
  try {
    await services.secrets.prepare();
    return { stop: async () => undefined };
  } catch (err) {
    if (!isDatabaseUnavailable(err)) throw err;
    log.warn({ err }, 'Postgres is unreachable at start-up: integration secrets are checked once it answers');
  }
  let checked = false;
  return runPeriodically('integration secrets check', RETRY_MS, log, async () => {
    if (checked) return;
    try {
      await services.secrets.prepare();
      checked = true;
    } catch (err) {
      if (!(err instanceof SecretsKeyError)) throw err;
      checked = true;
      log.fatal(err.message);
      process.exit(1);
    }
  });
}
