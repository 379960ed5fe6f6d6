import type { Deps } from '../deps.ts';
import { runPeriodically } from './periodic.ts';
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
  return runPeriodically('recovery sweep', deps.config.queue.recoveryIntervalMs, deps.log, async () => {
    const count = await requeueUnfinishedBatches(deps);
    if (count > 0) deps.log.info({ count }, 'recovery sweep queued unfinished batches');
  });
}
