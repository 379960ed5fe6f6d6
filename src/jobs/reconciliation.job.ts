import { retryOnConflict } from '../db/pool.ts';
import { type CompareResult, REPAIRABLE, repairDescription } from '../domain/reconciliations.ts';
import { holdRepairs } from '../services/repair-offsets.ts';
import type { AnnouncingDeps } from './job-deps.ts';

/** The sequence gaps a reconciliation records (the first ones, lowest first); their total is recorded beside them. */
const GAPS_RECORDED = 100;

/**
 * ReconciliationCompareJob: compares a Comparing reconciliation and, when it
 * asks for repair, repairs every drifted account; then marks it Completed.
 * All of it is one transaction that holds the reconciliation row, so a job
 * that dies half-way leaves nothing behind (the reconciliation stays
 * Comparing and a retry, or the recovery sweep, runs it again), and a job
 * delivered twice finds it Completed and does nothing: Completed is final,
 * so no repair is ever written twice. The repair's ledger entries carry a
 * unique (reconciliation, drift) key besides. It records the tenant's
 * sequence gaps as they stand (rows in them may be what a drift stands for),
 * and a repair of an earlier asOf than an existing one offsets that one
 * (services/repair-offsets.ts).
 */
export async function reconciliationCompareJob({ db, clock, services }: AnnouncingDeps, tenantId: string, reconciliationId: string): Promise<CompareResult> {
  await db.reconciliations.markAttempt(tenantId, reconciliationId, clock.now());
  let subscribers: string[] = [];
  const result = await retryOnConflict(() =>
    db.transaction(async (tx) => {
      const reconciliation = await tx.reconciliations.lockForCompare(tenantId, reconciliationId);
      if (!reconciliation) return 'already-final';
      const tenant = await tx.tenants.find(tenantId);
      if (!tenant) return 'already-final';
      const now = clock.now();
      const outcome = await tx.reconciliations.compare(reconciliation, tenant.mode);
      const sequences = await tx.sync.missing(tenantId, GAPS_RECORDED);
      let repaired = 0;
      if (reconciliation.repair) {
        if (tenant.mode === 'all-transaction') {
          await tx.pointAccounts.ensureForDrifts(tenantId, reconciliationId, now);
          const repairs = await tx.ledger.appendReconciliation(
            tenantId,
            reconciliationId,
            { asOf: reconciliation.asOf, description: repairDescription(reconciliationId), range: REPAIRABLE },
            now,
          );
          await holdRepairs(tx, tenantId, repairs, reconciliationId, now);
          repaired = repairs.length;
        } else {
          repaired = await tx.pointAccounts.repairBalances(tenantId, reconciliationId, reconciliation.asOf, now);
        }
        // The repaired accounts' balance events, with the repair.
        if (repaired > 0) subscribers = await tx.balanceEvents.record(tenantId, { reconciliationId }, now);
      }
      await tx.reconciliations.finish(tenantId, reconciliationId, { ...outcome, repaired, sequences }, now);
      return { drifted: outcome.byKind, repaired };
    }),
  );
  await services.subscriptions.announce(tenantId, subscribers);
  return result;
}
