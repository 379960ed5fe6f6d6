import type { DuplicateRow } from '../domain/transactions.ts';
import type { Database } from '../db/database.ts';
import { retryOnConflict } from '../db/pool.ts';
import type { ApplyResult } from '../domain/batches.ts';

/** What a batch's own steps did: how many items they applied, why the others were skipped, and which were already applied. */
export interface BatchOutcome {
  appliedCount: number;
  skipped: { message: string }[];
  duplicates?: DuplicateRow[];
}

/**
 * The frame of every batch job: lock the batch, run the job's steps, record
 * the outcome, all in one transaction, or nothing ('already-final' when a job
 * delivered twice finds the batch done). Its commit does not wait for the
 * disk: the finished status is in the same transaction, so an apply lost in a
 * Postgres crash leaves the batch unfinished and the recovery sweep runs it
 * again. A deadlock victim is run again at once.
 */
export function applyBatch<Item>(
  db: Database,
  tenantId: string,
  batchId: string,
  now: Date,
  steps: (tx: Database, batch: { tenantId: string; items: Item[] }) => Promise<BatchOutcome>,
): Promise<ApplyResult> {
  return retryOnConflict(() =>
    db.transaction(
      async (tx) => {
        const batch = await tx.batches.lockForApply<Item>(tenantId, batchId);
        if (!batch) return 'already-final';
        const outcome = await steps(tx, { tenantId, items: batch.items });
        const status = await tx.batches.finish(tenantId, batchId, outcome, now);
        return { status, appliedCount: outcome.appliedCount, skippedCount: outcome.skipped.length };
      },
      { asyncCommit: true },
    ),
  );
}
