import { isUniqueViolation } from '../db/pool.ts';
import type { TenantsRepository } from '../db/tenants.repository.ts';
import type { TenantRecord } from '../domain/tenants.ts';
import { AppError, notFound } from '../errors.ts';

/** The tenant an operator names, or 404. */
export async function requireTenant(tenants: TenantsRepository, tenantId: string): Promise<TenantRecord> {
  const tenant = await tenants.find(tenantId);
  if (!tenant) throw notFound(`Tenant ${tenantId}`);
  return tenant;
}

export function ensurePointSystemActive(tenant: TenantRecord): void {
  if (!tenant.pointSystemActive) throw new AppError('point_system_inactive', `The point system of tenant ${tenant.name} is switched off`);
}

const points = new Intl.NumberFormat('en-GB');

/**
 * One adjustment may give or remove at most the tenant's limit. Without it one
 * slip (2,147,483,647 points) overflows the master's balance and the two
 * systems stay apart; `field` is the request field that carries the amount.
 */
export function ensureWithinAdjustmentLimit(tenant: TenantRecord, amount: number, field: string): void {
  if (Math.abs(amount) <= tenant.maxAdjustmentPoints) return;
  const limit = points.format(tenant.maxAdjustmentPoints);
  throw new AppError('validation', `One adjustment may give or remove at most ${limit} points in this organisation; nothing was sent`, [
    { path: field, message: `must be at most ${limit} points (the limit per adjustment)` },
  ]);
}

/** The tenant's mode or point system changed between authentication and storing the batch. */
export const tenantChangedMeanwhile = () =>
  new AppError('conflict', "The tenant's point settings changed while this request was handled; nothing was stored. Send it again.");

/** A tenant name refused because another tenant's name is the same after normalisation and case folding. */
export const nameTaken = (name: string, existing: string) =>
  new AppError(
    'conflict',
    existing === name
      ? `A tenant named ${name} already exists`
      : `A tenant named ${existing} already exists; names that differ only in case or Unicode form are the same name (${name})`,
  );

/** A write that may hit a unique constraint, answered as a conflict with this message. */
export async function uniquely<T>(write: () => Promise<T>, conflict: string): Promise<T> {
  try {
    return await write();
  } catch (err) {
    if (isUniqueViolation(err)) throw new AppError('conflict', conflict);
    throw err;
  }
}
