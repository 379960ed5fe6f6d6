import { applyTransactionBatch } from '../db/ledger.repository.ts';
import type { Deps } from '../deps.ts';

/** PointTransactionsJob: appends the accepted rows of one stored batch to the ledger. */
export async function pointTransactionsJob(deps: Deps, batchId: string) {
  const result = await applyTransactionBatch(deps.pool, batchId, deps.clock.now());
  deps.log.info({ batchId, result }, 'transactions batch applied');
  deps.metrics.recordBatch('transactions', result);
  return result;
}
