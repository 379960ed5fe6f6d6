import type { Database } from '../db/database.ts';
import type { Clock } from '../domain/clock.ts';
import { pushOverdue, type TenantRecord } from '../domain/tenants.ts';

const DAY_MS = 24 * 60 * 60 * 1000;

export interface TenantHealth {
  tenant: TenantRecord;
  lastPushAt: Date | null;
  /** Pushes (batches), their items and the batches that ended with errors, over the last 24 hours. */
  pushes: number;
  items: number;
  batchesWithErrors: number;
  deliveriesWaiting: number;
  deliveriesFailed: number;
  /** No push for longer than the tenant's expected interval. */
  overdue: boolean;
}

export interface OperationsOverview {
  at: Date;
  since: Date;
  tenants: TenantHealth[];
  appliedPerMinute: { minute: Date; applied: number }[];
  webhookOutcomes: { delivered: number; failed: number; retrying: number; waiting: number };
}

/** "Is every master still syncing?": the operator overview's figures, read from Postgres. */
export function operationsService(deps: { db: Database; clock: Clock }) {
  const { db, clock } = deps;
  return {
    async overview(): Promise<OperationsOverview> {
      const at = clock.now();
      const since = new Date(at.getTime() - DAY_MS);
      const tenants = await db.tenants.list();
      const [activity, backlog, appliedPerMinute, webhookOutcomes] = await Promise.all([
        db.batches.activity(
          tenants.map((tenant) => tenant.id),
          since,
        ),
        db.deliveries.backlog(),
        db.batches.appliedPerMinute(since),
        db.deliveries.outcomes(since),
      ]);
      return {
        at,
        since,
        appliedPerMinute,
        webhookOutcomes,
        tenants: tenants.map((tenant) => {
          const pushes = activity.find((row) => row.tenantId === tenant.id);
          const deliveries = backlog.find((row) => row.tenantId === tenant.id);
          const lastPushAt = pushes?.lastPushAt ?? null;
          return {
            tenant,
            lastPushAt,
            pushes: pushes?.pushes ?? 0,
            items: pushes?.items ?? 0,
            batchesWithErrors: pushes?.batchesWithErrors ?? 0,
            deliveriesWaiting: deliveries?.waiting ?? 0,
            deliveriesFailed: deliveries?.failed ?? 0,
            overdue: pushOverdue(tenant, lastPushAt, at),
          };
        }),
      };
    },
  };
}

export type OperationsService = ReturnType<typeof operationsService>;
