import type { StoredTransaction } from '../contracts/transactions.ts';
import type { ApplyResult } from '../domain/batches.ts';
import { accountKeys } from '../domain/ledger.ts';
import type { Runtime } from '../runtime.ts';
import { applyBatch } from './apply-batch.ts';

/** PointTransactionsJob: appends the accepted rows of one stored batch to the ledger, creating the accounts they need. */
export function pointTransactionsJob({ db, clock }: Pick<Runtime, 'db' | 'clock'>, batchId: string): Promise<ApplyResult> {
  const now = clock.now();
  return applyBatch<StoredTransaction>(db, batchId, now, async (tx, { tenantId, items }) => {
    await tx.pointAccounts.ensure(tenantId, accountKeys(items), now);
    const applied = await tx.ledger.append(tenantId, batchId, items, now);
    // Only reachable if the batch row was reset by hand after it was applied.
    const skipped = items.filter((item) => !applied.has(item.index)).map((item) => ({ message: `Row [${item.index}] skipped: already in the ledger` }));
    return { appliedCount: applied.size, skipped };
  });
}
