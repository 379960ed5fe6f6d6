import { type BalanceItem, planBalanceBatch, staleSkip } from '../domain/balances.ts';
import type { ApplyResult } from '../domain/batches.ts';
import { applyBatch } from './apply-batch.ts';
import type { AnnouncingDeps } from './job-deps.ts';

/**
 * BalanceAccountToAmountJob: sets the balances of one stored batch. Per
 * account the newest item wins; the upsert refuses items older than the
 * balance applied, which are then reported with that balance's time. The
 * batch's balance events go to the outbox in its transaction.
 */
export async function balanceAccountToAmountJob({ db, clock, services }: AnnouncingDeps, tenantId: string, batchId: string): Promise<ApplyResult> {
  const now = clock.now();
  let subscribers: string[] = [];
  const result = await applyBatch<BalanceItem>(db, tenantId, batchId, now, async (tx, { items }) => {
    const definitions = await tx.definitions.known(tenantId, [...new Set(items.map((item) => item.definitionId))]);
    const plan = planBalanceBatch(items, definitions);

    const refused = await tx.pointAccounts.setBalances(tenantId, batchId, plan.winners);
    const stale = plan.winners.filter((winner) => refused.has(winner.index));
    const appliedAt = await tx.pointAccounts.balanceTimes(tenantId, stale);
    const skipped = [...plan.skipped, ...stale.map((winner) => staleSkip(winner, appliedAt.get(winner.index) ?? null))];
    // One event per account whose balance this batch changed, written with the change.
    subscribers = await tx.balanceEvents.record(tenantId, { keys: plan.winners }, now);
    return { appliedCount: plan.winners.length - stale.length, skipped: skipped.sort((a, b) => a.index - b.index) };
  });
  await services.subscriptions.announce(tenantId, subscribers);
  return result;
}
