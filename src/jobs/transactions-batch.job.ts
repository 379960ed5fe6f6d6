import type { StoredTransaction } from '../contracts/transactions.ts';
import { retryOnConflict } from '../db/pool.ts';
import type { ApplyResult } from '../domain/batches.ts';
import { accountKeys } from '../domain/ledger.ts';
import type { Runtime } from '../runtime.ts';

/**
 * PointTransactionsJob: appends the accepted rows of one stored batch to the
 * ledger in one transaction, or nothing (committed as the balance job's is).
 */
export async function pointTransactionsJob({ db, clock }: Pick<Runtime, 'db' | 'clock'>, batchId: string): Promise<ApplyResult> {
  const now = clock.now();
  return retryOnConflict(() =>
    db.transaction(
      async (tx): Promise<ApplyResult> => {
        const batch = await tx.batches.lockForApply<StoredTransaction>(batchId);
        if (!batch) return 'already-final';
        await tx.pointAccounts.ensure(batch.tenantId, accountKeys(batch.items), now);
        const applied = await tx.ledger.append(batch.tenantId, batchId, batch.items, now);
        // Only reachable if the batch row was reset by hand after it was applied.
        const skipped = batch.items
          .filter((item) => !applied.has(item.index))
          .map((item) => ({ message: `Row [${item.index}] skipped: already in the ledger` }));
        const status = await tx.batches.finish(batchId, { appliedCount: applied.size, skipped }, now);
        return { status, appliedCount: applied.size, skippedCount: skipped.length };
      },
      { asyncCommit: true },
    ),
  );
}
