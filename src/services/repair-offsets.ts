import type { Database } from '../db/database.ts';
import type { Arrival, RepairRecord } from '../db/ledger.repository.ts';
import { subtractFigures } from '../domain/amounts.ts';
import { offsetDescription, repairCounts } from '../domain/reconciliations.ts';

/**
 * A repair never counts a row twice (DESIGN 2.6). A reconciliation's repair
 * holds its account's balance as of its asOf at the master's figure. When
 * entries that take effect at or before that instant arrive after it (rows
 * the repair stood in for, re-sent; or a repair of an earlier asOf), the
 * repair counts only what is still missing, and an offset entry says so.
 *
 * In the caller's transaction, with the accounts locked (the apply holds
 * them; a repair locks them in its fold). The accounts' repairs are re-held
 * in asOf order, each against the balance as of its asOf replayed with the
 * earlier ones as they now count: a lot that expires between two repairs'
 * asOfs moves the later one as well. The balance as of an instant moves by
 * exactly what a repair dated then counts (a never-expiring lot turning
 * active, or a deduction, at that instant), so the balance without it is the
 * balance minus what it counts. Of repairs dated at the same instant, each
 * is held without the ones written after it, as each was found without them.
 * An account whose repairs changed is replayed from its first entry, so its
 * checkpoint and Expiry entries follow. Answers how many repairs changed.
 *
 * `writing`: the reconciliation whose repairs are the arrivals (none for a
 * batch of rows); an account with no other repair is left alone.
 */
export async function holdRepairs(
  tx: Pick<Database, 'ledger'>,
  tenantId: string,
  arrivals: readonly Arrival[],
  writing: string | null,
  now: Date,
): Promise<number> {
  const repairs = await tx.ledger.repairsReached(tenantId, arrivals, writing);
  if (repairs.length === 0) return 0;
  const counts = new Map(repairs.map((r) => [r.entryId, subtractFigures(r.amount, r.netted)]));
  const changedAccounts = new Set<number>();
  let changed = 0;
  let lastChanged: RepairRecord | null = null;
  for (const [index, repair] of repairs.entries()) {
    if (index > 0 && repairs[index - 1]!.accountId !== repair.accountId) lastChanged = null;
    // what arrived after this repair and takes effect at or before its asOf
    const causes = arrivals.filter((a) => a.accountId === repair.accountId && a.entryId > repair.entryId && a.validFrom <= repair.asOf);
    if (causes.length === 0 && lastChanged === null) continue;
    const counted = counts.get(repair.entryId)!;
    let sameInstantLater = 0;
    for (const other of repairs) {
      if (other.accountId === repair.accountId && other.asOf.getTime() === repair.asOf.getTime() && other.entryId > repair.entryId) {
        sameInstantLater = subtractFigures(sameInstantLater, -counts.get(other.entryId)!);
      }
    }
    const balance = await tx.ledger.replayedBalanceAt(tenantId, repair.accountId, repair.asOf);
    const without = subtractFigures(subtractFigures(balance, counted), sameInstantLater);
    const counting = repairCounts(repair, without);
    if (counting === counted) continue;
    const cause =
      causes.length === 0
        ? { repair: lastChanged!.entryId, how: 'offset' as const }
        : writing === null
          ? { transactions: causes.map((a) => a.entryId) }
          : { repair: causes[0]!.entryId, how: 'written' as const };
    await tx.ledger.offsetRepair(
      tenantId,
      repair,
      subtractFigures(repair.amount, counting),
      subtractFigures(counting, counted),
      offsetDescription(repair, cause),
      now,
    );
    counts.set(repair.entryId, counting);
    changedAccounts.add(repair.accountId);
    lastChanged = repair;
    changed += 1;
  }
  if (changedAccounts.size > 0)
    await tx.ledger.rebuild(
      tenantId,
      [...changedAccounts].sort((a, b) => a - b),
      now,
    );
  return changed;
}
