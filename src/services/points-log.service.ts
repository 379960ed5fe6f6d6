import type { Dispatcher } from 'undici';
import type { Database } from '../db/database.ts';
import type { TenantRecord } from '../domain/tenants.ts';
import { pointsLogUrl } from '../domain/points-log.ts';
import { AppError } from '../errors.ts';
import { fetchPointsLog } from '../integrations/points-log.client.ts';

/** A contact's points log, read from the tenant's master at request time (the follower keeps no copy). */
export function pointsLogService(deps: { db: Database; outbound: Dispatcher; timeoutMs: number }) {
  return {
    async get(tenant: TenantRecord, contactId: string) {
      const settings = await deps.db.integrations.findPointsLog(tenant.id);
      if (!settings) throw new AppError('not_configured', `No points-log URL is configured for tenant ${tenant.name}`);
      const url = pointsLogUrl(settings.urlTemplate, contactId);
      return fetchPointsLog(deps.outbound, { url, authHeader: settings.authHeader }, deps.timeoutMs);
    },
  };
}

export type PointsLogService = ReturnType<typeof pointsLogService>;
