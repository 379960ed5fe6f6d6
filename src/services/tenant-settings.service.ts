import type { TenantUpdate } from '../contracts/admin.ts';
import type { Pool } from '../db/pool.ts';
import { updateTenantSettings } from '../db/tenant-settings.repository.ts';
import type { TenantRecord } from '../db/tenants.repository.ts';
import type { Clock } from '../domain/clock.ts';
import type { Logger } from '../logger.ts';
import { AppError, notFound } from '../errors.ts';

/** Changing a tenant's mode, point system switch and contact rule; shared by the admin API and the CLI. */
export function tenantSettingsService(pool: Pool, clock: Clock, log: Pick<Logger, 'info'>) {
  return {
    async update(tenantId: string, update: TenantUpdate): Promise<TenantRecord> {
      const result = await updateTenantSettings(pool, tenantId, update, clock.now());
      if (result.outcome === 'not-found') throw notFound(`Tenant ${tenantId}`);
      if (result.outcome === 'batches-unfinished') {
        throw new AppError(
          'conflict',
          `${result.count} batch(es) of this tenant are still being applied under the current mode; switch once they are finished`,
        );
      }
      log.info({ tenantId, update, accountsCarriedOver: result.accountsCarriedOver }, 'tenant settings updated');
      return result.tenant;
    },
  };
}

export type TenantSettingsService = ReturnType<typeof tenantSettingsService>;
