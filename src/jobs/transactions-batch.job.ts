import type { StoredTransaction } from '../contracts/transactions.ts';
import type { ApplyResult } from '../domain/batches.ts';
import type { QueuedDelivery } from '../domain/deliveries.ts';
import { accountKeys } from '../domain/ledger.ts';
import type { Runtime } from '../runtime.ts';
import { applyBatch } from './apply-batch.ts';

/**
 * PointTransactionsJob: appends the accepted rows of one stored batch to the
 * ledger, creating the accounts they need, and records the member level
 * changes of the contacts it touched, in the batch's one transaction. The
 * webhooks of those changes are queued once it has committed.
 */
export async function pointTransactionsJob({ db, clock, services }: Pick<Runtime, 'db' | 'clock' | 'services'>, batchId: string): Promise<ApplyResult> {
  const now = clock.now();
  let announce: QueuedDelivery[] = [];
  const result = await applyBatch<StoredTransaction>(db, batchId, now, async (tx, { tenantId, items }) => {
    await tx.pointAccounts.ensure(tenantId, accountKeys(items), now);
    const applied = await tx.ledger.append(tenantId, batchId, items, now);
    announce = await services.levels.recordInBatch(tx, tenantId, [...new Set(items.map((item) => item.contactId))], now);
    // Only reachable if the batch row was reset by hand after it was applied.
    const skipped = items.filter((item) => !applied.has(item.index)).map((item) => ({ message: `Row [${item.index}] skipped: already in the ledger` }));
    return { appliedCount: applied.size, skipped };
  });
  await services.levels.announce(announce);
  return result;
}
