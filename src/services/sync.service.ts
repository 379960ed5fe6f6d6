import { toReconciliation } from '../contracts/reconciliations.ts';
import type { SyncStatus } from '../contracts/sync.ts';
import type { Database } from '../db/database.ts';
import type { Clock } from '../domain/clock.ts';
import { gapAlerting } from '../domain/sync.ts';
import type { TenantRecord } from '../domain/tenants.ts';
import { requireTenant } from './guards.ts';

const GAPS_SHOWN = 100;

/** Where a tenant's stream of sequenced transactions stands, for the master (/sync), operators and metrics. */
export function syncService(deps: { db: Database; clock: Clock; gapAlertSeconds: number }) {
  const { db, clock, gapAlertSeconds } = deps;

  async function status(tenantId: string): Promise<SyncStatus> {
    const [state, newest] = await Promise.all([db.sync.read(tenantId, GAPS_SHOWN), db.reconciliations.list(tenantId, { offset: 0, count: 1 })]);
    const now = clock.now();
    const lastReconciliation = newest.items[0];
    return {
      contiguousThrough: state.contiguousThrough,
      highestSequence: state.highestSequence,
      missingCount: state.missingCount,
      gaps: state.gaps.map((gap) => ({ from: gap.from, to: gap.to, since: gap.since.toISOString() })),
      ...(state.lastReceivedAt ? { lastReceivedAt: state.lastReceivedAt.toISOString() } : {}),
      gapAlertSeconds,
      alerting: state.oldestGapSince !== null && gapAlerting(state.oldestGapSince, now, gapAlertSeconds),
      ...(lastReconciliation ? { lastReconciliation: toReconciliation(lastReconciliation) } : {}),
    };
  }

  return {
    gapAlertSeconds,
    /** The tenant API's answer. */
    forTenant: (tenant: TenantRecord) => status(tenant.id),
    /** The same for an operator, by tenant id (404 when unknown). */
    async forOperator(tenantId: string): Promise<SyncStatus> {
      await requireTenant(db.tenants, tenantId);
      return status(tenantId);
    },
    /** Every tenant's at once, for the operator overview. */
    async overview(tenantIds: readonly string[]): Promise<Map<string, SyncStatus>> {
      const states = await Promise.all(tenantIds.map(async (id) => [id, await status(id)] as const));
      return new Map(states);
    },
    /** Over every tenant (metrics carry no tenant ids): missing sequences, the oldest gap's age, the gaps past the alert age. */
    async totals() {
      const now = clock.now();
      const totals = await db.sync.totals(new Date(now.getTime() - gapAlertSeconds * 1000));
      return {
        missing: totals.missing,
        oldestGapAgeSeconds: totals.oldest ? Math.max(0, (now.getTime() - totals.oldest.getTime()) / 1000) : 0,
        alertingGaps: totals.alerting,
      };
    },
  };
}

export type SyncService = ReturnType<typeof syncService>;
