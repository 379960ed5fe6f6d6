import type { BalanceItem } from '../contracts/balances.ts';
import type { BatchKind } from '../db/batches.repository.ts';
import type { TenantRecord } from '../db/tenants.repository.ts';
import type { Deps } from '../deps.ts';
import { AppError } from '../errors.ts';
import { enqueueBatch } from '../jobs/queues.ts';
import { withTimeout } from '../timeout.ts';

const ENQUEUE_TIMEOUT_MS = 1000;

export function ensurePointSystemActive(tenant: TenantRecord): void {
  if (!tenant.pointSystemActive) throw new AppError('point_system_inactive', `The point system of tenant ${tenant.name} is switched off`);
}

/** The tenant's mode or point system changed between authentication and storing the batch. */
export const tenantChangedMeanwhile = () =>
  new AppError('conflict', "The tenant's point settings changed while this request was handled; nothing was stored. Send it again.");

/**
 * Queues a stored batch. Best effort: when Redis is slow or away the batch is
 * still accepted and the worker's recovery sweep queues it from Postgres.
 */
export async function enqueueStoredBatch(deps: Deps, kind: BatchKind, id: string): Promise<void> {
  await withTimeout(enqueueBatch(deps.ingestQueue, kind, id), ENQUEUE_TIMEOUT_MS, 'enqueue timed out').catch((err: Error) =>
    deps.log.warn({ batchId: id, err: err.message }, 'batch stored but not queued; the recovery sweep will queue it'),
  );
}

export async function acceptBalances(deps: Deps, tenant: TenantRecord, items: BalanceItem[]): Promise<string> {
  ensurePointSystemActive(tenant);
  if (tenant.mode !== 'balance-only') {
    throw new AppError('wrong_mode', `Tenant ${tenant.name} is in ${tenant.mode} mode; balances are accepted only in balance-only mode`);
  }
  // Stored in Postgres (durable from here on), then queued.
  const id = await deps.batches.insert(tenant.id, 'balances', items, deps.clock.now());
  if (id === null) throw tenantChangedMeanwhile();
  await enqueueStoredBatch(deps, 'balances', id);
  return id;
}
