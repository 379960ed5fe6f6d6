import type { BalanceItem } from '../contracts/balances.ts';
import { retryOnConflict } from '../db/pool.ts';
import { planBalanceBatch, staleSkip } from '../domain/balances.ts';
import type { ApplyResult } from '../domain/batches.ts';
import type { Runtime } from '../runtime.ts';

/**
 * BalanceAccountToAmountJob: sets the balances of one stored batch in one
 * transaction, or nothing. Its commit does not wait for the disk: the batch's
 * finished status is in the same transaction, so an apply lost in a Postgres
 * crash leaves the batch unfinished and the recovery sweep runs it again.
 */
export async function balanceAccountToAmountJob({ db, clock }: Pick<Runtime, 'db' | 'clock'>, batchId: string): Promise<ApplyResult> {
  const now = clock.now();
  return retryOnConflict(() =>
    db.transaction(
      async (tx): Promise<ApplyResult> => {
        const batch = await tx.batches.lockForApply<BalanceItem>(batchId);
        if (!batch) return 'already-final';
        const definitions = await tx.definitions.known(batch.tenantId, [...new Set(batch.items.map((item) => item.definitionId))]);
        const plan = planBalanceBatch(batch.items, definitions);

        const refused = await tx.pointAccounts.setBalances(batch.tenantId, batchId, plan.winners);
        const stale = plan.winners.filter((winner) => refused.has(winner.index));
        const appliedAt = await tx.pointAccounts.balanceTimes(batch.tenantId, stale);
        const skipped = [...plan.skipped, ...stale.map((winner) => staleSkip(winner, appliedAt.get(winner.index) ?? null))].sort((a, b) => a.index - b.index);

        const appliedCount = plan.winners.length - stale.length;
        const status = await tx.batches.finish(batchId, { appliedCount, skipped }, now);
        return { status, appliedCount, skippedCount: skipped.length };
      },
      { asyncCommit: true },
    ),
  );
}
