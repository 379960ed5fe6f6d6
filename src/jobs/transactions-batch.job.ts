import type { StoredTransaction } from '../contracts/transactions.ts';
import type { ApplyResult } from '../domain/batches.ts';
import { accountKeys } from '../domain/ledger.ts';
import type { Runtime } from '../runtime.ts';
import { applyBatch } from './apply-batch.ts';

/**
 * PointTransactionsJob: appends the accepted rows of one stored batch to the
 * ledger, creating the accounts they need; once that has committed, records
 * the member level changes of the contacts it touched. Recording after the
 * commit sees every batch committed so far, so two batches landing together
 * for one contact cannot each record a level from half the entries. A worker
 * that stops in between leaves the change to the periodic pass
 * (ledger-maintenance.job.ts), which records it with the reason WindowMoved.
 */
export async function pointTransactionsJob(
  { db, clock, log, services }: Pick<Runtime, 'db' | 'clock' | 'log' | 'services'>,
  batchId: string,
): Promise<ApplyResult> {
  const now = clock.now();
  let touched: { tenantId: string; contactIds: string[] } | undefined;
  const result = await applyBatch<StoredTransaction>(db, batchId, now, async (tx, { tenantId, items }) => {
    touched = { tenantId, contactIds: [...new Set(items.map((item) => item.contactId))] };
    await tx.pointAccounts.ensure(tenantId, accountKeys(items), now);
    const applied = await tx.ledger.append(tenantId, batchId, items, now);
    // Only reachable if the batch row was reset by hand after it was applied.
    const skipped = items.filter((item) => !applied.has(item.index)).map((item) => ({ message: `Row [${item.index}] skipped: already in the ledger` }));
    return { appliedCount: applied.size, skipped };
  });
  // The batch is applied whatever happens here: a failure must not fail its job.
  if (result !== 'already-final' && touched) {
    const { tenantId, contactIds } = touched;
    await services.levels
      .recordAfterBatch(tenantId, contactIds)
      .catch((err: unknown) => log.warn({ err, batchId }, 'member levels not recorded after the batch; the periodic pass will'));
  }
  return result;
}
