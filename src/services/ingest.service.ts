import type { BalanceItem } from '../contracts/balances.ts';
import type { TenantRecord } from '../db/tenants.repository.ts';
import type { Deps } from '../deps.ts';
import { AppError } from '../errors.ts';
import { enqueueBatch } from '../jobs/queues.ts';
import { withTimeout } from '../timeout.ts';

const ENQUEUE_TIMEOUT_MS = 1000;

export function ensurePointSystemActive(tenant: TenantRecord): void {
  if (!tenant.pointSystemActive) throw new AppError('point_system_inactive', `The point system of tenant ${tenant.name} is switched off`);
}

/**
 * Stores the batch in Postgres (durable from here on), then queues it. Queuing
 * is best effort: when Redis is slow or away the batch is still accepted and
 * the worker's recovery sweep queues it from Postgres.
 */
async function acceptBatch(deps: Deps, tenant: TenantRecord, kind: 'balances' | 'transactions', items: unknown[]): Promise<string> {
  const id = await deps.batches.insert(tenant.id, kind, items, deps.clock.now());
  await withTimeout(enqueueBatch(deps.ingestQueue, kind, id), ENQUEUE_TIMEOUT_MS, 'enqueue timed out').catch((err: Error) =>
    deps.log.warn({ batchId: id, err: err.message }, 'batch stored but not queued; the recovery sweep will queue it'),
  );
  return id;
}

export async function acceptBalances(deps: Deps, tenant: TenantRecord, items: BalanceItem[]): Promise<string> {
  ensurePointSystemActive(tenant);
  if (tenant.mode !== 'balance-only') {
    throw new AppError('wrong_mode', `Tenant ${tenant.name} is in ${tenant.mode} mode; balances are accepted only in balance-only mode`);
  }
  return acceptBatch(deps, tenant, 'balances', items);
}
