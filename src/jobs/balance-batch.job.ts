import { applyBalanceBatch } from '../db/balances.repository.ts';
import type { Deps } from '../deps.ts';

/** BalanceAccountToAmountJob: sets the balances of one stored batch. */
export async function balanceAccountToAmountJob(deps: Deps, batchId: string) {
  const result = await applyBalanceBatch(deps.pool, batchId, deps.clock.now());
  deps.log.info({ batchId, result }, 'balance batch applied');
  deps.metrics.recordBatch('balances', result);
  return result;
}
