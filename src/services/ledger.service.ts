import type { Database } from '../db/database.ts';
import type { Clock } from '../domain/clock.ts';
import type { Metrics } from '../metrics/metrics.ts';
import { requireTenant } from './guards.ts';
import { answerBeforeCommit } from './answer-check.ts';
import type { PageRequest } from '../db/pages.ts';

const figures = (balance: number, pendingPoints: number, balanceExpires: Date | null) => ({
  balance,
  pendingPoints,
  ...(balanceExpires ? { balanceExpires: balanceExpires.toISOString() } : {}),
});

/** What operators ask of a tenant's ledger: the accounts the move to lots changed, and the self-audit of its checkpoints. */
export function ledgerService(deps: { db: Database; clock: Clock; metrics: Pick<Metrics, 'ledgerSplits'> }) {
  const { db, clock, metrics } = deps;
  return {
    /** The accounts whose figures the move to lots changed (migration ledger_lots), before and after. */
    async ruleChanges(tenantId: string, page: PageRequest) {
      await requireTenant(db.tenants, tenantId);
      const { items, totalCount } = await db.ledger.ruleChanges(tenantId, page);
      return {
        items: items.map((row) => ({
          accountId: row.accountId,
          contactId: row.contactId,
          definitionId: row.definitionId,
          recordedAt: row.recordedAt.toISOString(),
          before: figures(row.balanceBefore, row.pendingBefore, row.expiresBefore),
          after: figures(row.balanceAfter, row.pendingAfter, row.expiresAfter),
        })),
        totalCount,
        ...page,
      };
    },

    /**
     * Checks every account's checkpoint (what reads, charts, levels and
     * reconciliations start from) against a replay of its ledger from the
     * first entry, and with `mend` replays the accounts that split, so the
     * figure served is the ledger's again. The ledger is the truth: a split
     * means the checkpoint was written wrong or an entry was changed by hand.
     */
    async audit(tenantId: string, options: { mend: boolean }) {
      await requireTenant(db.tenants, tenantId);
      const checkedAt = clock.now();
      const splits = await db.ledger.audit(tenantId, checkedAt);
      metrics.ledgerSplits.inc(splits.length);
      const answer = {
        checkedAt: checkedAt.toISOString(),
        splits: splits.map((split) => ({
          accountId: split.accountId,
          contactId: split.contactId,
          definitionId: split.definitionId,
          served: figures(split.served.balance, split.served.pendingPoints, split.served.balanceExpires),
          ledger: figures(split.ledger.balance, split.ledger.pendingPoints, split.ledger.balanceExpires),
        })),
        mended: options.mend ? splits.length : 0,
      };
      if (options.mend && splits.length > 0) {
        await db.transaction(async (tx) => {
          await tx.ledger.rebuild(
            tenantId,
            splits.map((split) => split.accountId),
            checkedAt,
          );
          await answerBeforeCommit(tx, answer);
        });
      }
      return answer;
    },
  };
}

export type LedgerService = ReturnType<typeof ledgerService>;
