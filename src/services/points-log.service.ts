import type { Dispatcher } from 'undici';
import type { Database } from '../db/database.ts';
import type { TenantRecord } from '../domain/tenants.ts';
import { pointsLogUrl } from '../domain/points-log.ts';
import { openSecret, type SecretsKeyring } from '../domain/secrets.ts';
import { AppError } from '../errors.ts';
import { fetchPointsLog } from '../integrations/points-log.client.ts';

/** A contact's points log, read from the tenant's master at request time (the follower keeps no copy). */
export function pointsLogService(deps: { db: Database; keyring: SecretsKeyring; outbound: Dispatcher; timeoutMs: number }) {
  return {
    async get(tenant: TenantRecord, contactId: string) {
      const settings = await deps.db.integrations.findPointsLog(tenant.id);
      if (!settings) throw new AppError('not_configured', `No points-log URL is configured for tenant ${tenant.name}`);
      const url = pointsLogUrl(settings.urlTemplate, contactId);
      const stored = settings.authHeader;
      const authHeader = stored && {
        name: stored.name,
        value: openSecret(deps.keyring, stored.value, { tenantId: tenant.id, column: 'points_log_auth_header_value' }),
      };
      return fetchPointsLog(deps.outbound, { url, authHeader }, deps.timeoutMs);
    },
  };
}

export type PointsLogService = ReturnType<typeof pointsLogService>;
