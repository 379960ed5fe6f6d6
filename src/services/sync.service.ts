import { toReconciliation } from '../contracts/reconciliations.ts';
import type { SyncStatus } from '../contracts/sync.ts';
import type { Database } from '../db/database.ts';
import type { SyncStateRecord } from '../db/sync.repository.ts';
import type { Clock } from '../domain/clock.ts';
import { gapAlerting } from '../domain/sync.ts';
import type { TenantRecord } from '../domain/tenants.ts';
import { requireTenant } from './guards.ts';

const GAPS_SHOWN = 100;

/** A tenant's stream position as the answers show it, without its last reconciliation. */
export type StreamPosition = Omit<SyncStatus, 'lastReconciliation'>;

/** Where a tenant's stream of sequenced transactions stands, for the master (/sync), operators and metrics. */
export function syncService(deps: { db: Database; clock: Clock; gapAlertSeconds: number }) {
  const { db, clock, gapAlertSeconds } = deps;

  /** What a stream position says, as of `now`: everything of the answer but the last reconciliation. */
  const position = (state: SyncStateRecord, now: Date): StreamPosition => ({
    contiguousThrough: state.contiguousThrough,
    highestSequence: state.highestSequence,
    missingCount: state.missingCount,
    gaps: state.gaps.map((gap) => ({ from: gap.from, to: gap.to, since: gap.since.toISOString() })),
    ...(state.lastReceivedAt ? { lastReceivedAt: state.lastReceivedAt.toISOString() } : {}),
    gapAlertSeconds,
    alerting: state.oldestGapSince !== null && gapAlerting(state.oldestGapSince, now, gapAlertSeconds),
  });

  async function status(tenantId: string): Promise<SyncStatus> {
    const [[state], newest] = await Promise.all([db.sync.readMany([tenantId], GAPS_SHOWN), db.reconciliations.list(tenantId, { offset: 0, count: 1 })]);
    const lastReconciliation = newest.items[0];
    return { ...position(state!, clock.now()), ...(lastReconciliation ? { lastReconciliation: toReconciliation(lastReconciliation) } : {}) };
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
    /** Every tenant's position at once, in one statement, for the operator overview (which lists reconciliations apart). */
    async overview(tenantIds: readonly string[]): Promise<Map<string, StreamPosition>> {
      const states = await db.sync.readMany(tenantIds, GAPS_SHOWN);
      const now = clock.now();
      return new Map(states.map((state) => [state.tenantId, position(state, now)]));
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
