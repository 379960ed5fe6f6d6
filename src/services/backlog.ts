import type { Database } from '../db/database.ts';
import type { BatchKind } from '../domain/batches.ts';
import type { TenantRecord } from '../domain/tenants.ts';
import { AppError } from '../errors.ts';
import type { Metrics } from '../metrics/metrics.ts';

export interface BacklogLimits {
  /** Items one tenant may have waiting; 0 is no limit. */
  perTenant: number;
  /** Items all tenants together may have waiting; 0 is no limit. */
  total: number;
}

/** A master told to wait retries after this long; by then the workers have applied a good part of the backlog. */
const RETRY_AFTER_SECONDS = 10;

/** Refuses a push that would take the backlog past a limit; anything else (reads, status polls, adjustments) never asks. */
export type AdmitToBacklog = (tenant: TenantRecord, kind: BatchKind, items: number) => Promise<void>;

/**
 * When the master pushes faster than the workers apply, what waits in
 * Postgres is bounded: a push that would take the tenant's (or everyone's)
 * unapplied items past the limit is refused with 429 and Retry-After, which
 * Engage masters already handle. Requests in flight at the same moment are
 * all checked against the same figure, so the backlog can pass a limit by at
 * most the items of those requests.
 */
export function backlogGuard(deps: { db: Database; limits: BacklogLimits; metrics: Metrics }): AdmitToBacklog {
  const { db, limits, metrics } = deps;
  return async (tenant, kind, items) => {
    if (limits.perTenant === 0 && limits.total === 0) return;
    const waiting = await db.batches.backlog(tenant.id);
    const over =
      limits.perTenant > 0 && waiting.tenant + items > limits.perTenant
        ? `this tenant already has ${waiting.tenant} items waiting to be applied (limit ${limits.perTenant})`
        : limits.total > 0 && waiting.total + items > limits.total
          ? `the service already has ${waiting.total} items waiting to be applied (limit ${limits.total})`
          : null;
    if (!over) return;
    metrics.pushesRefusedForBacklog.inc({ kind });
    throw new AppError('backlog_full', `Not stored: ${over}; retry after ${RETRY_AFTER_SECONDS} s`, undefined, RETRY_AFTER_SECONDS);
  };
}
