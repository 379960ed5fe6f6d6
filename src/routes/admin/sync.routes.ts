import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { tenantParams } from '../../contracts/admin.ts';
import { problem } from '../../contracts/common.ts';
import { syncStatus } from '../../contracts/sync.ts';
import type { SyncService } from '../../services/sync.service.ts';

export const adminSyncRoutes: FastifyPluginAsyncZod<{ sync: SyncService }> = async (app, { sync }) => {
  app.get(
    '/tenants/:tenantId/sync',
    {
      schema: {
        tags: ['admin'],
        summary: "A tenant's stream position and gaps (what its master reads at /api/v2/point-accounts/sync)",
        params: tenantParams,
        response: { 200: syncStatus, 400: problem, 401: problem, 404: problem },
      },
    },
    (request) => sync.forOperator(request.params.tenantId),
  );
};
