import type { Deps } from '../deps.ts';
import { enqueueBatch } from './queues.ts';

const SWEEP_LIMIT = 1000;

/** One pass: queues every batch Postgres holds as unfinished. Jobs still in Redis are left as they are (same job id). */
export async function requeueUnfinishedBatches(deps: Deps): Promise<number> {
  const { config, clock } = deps;
  const batches = await deps.batches.listUnfinished(clock.now(), config.queue.recoveryGraceMs, SWEEP_LIMIT);
  for (const batch of batches) await enqueueBatch(deps.ingestQueue, batch.kind, batch.id);
  return batches.length;
}

/**
 * Redis may lose every job (restart without persistence, FLUSHALL); Postgres
 * does not. The sweep runs at start and then every RECOVERY_INTERVAL_MS.
 */
export function startRecoverySweep(deps: Deps): { stop(): Promise<void> } {
  let running: Promise<void> = Promise.resolve();
  const sweep = () => {
    running = requeueUnfinishedBatches(deps).then(
      (count) => {
        if (count > 0) deps.log.info({ count }, 'recovery sweep queued unfinished batches');
      },
      (err: unknown) => deps.log.warn({ err }, 'recovery sweep failed; retrying next interval'),
    );
  };
  sweep();
  const timer = setInterval(sweep, deps.config.queue.recoveryIntervalMs);
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
