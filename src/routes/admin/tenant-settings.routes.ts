import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { tenant, tenantParams, updateTenantBody } from '../../contracts/admin.ts';
import { problem } from '../../contracts/common.ts';
import type { TenantSettingsService } from '../../services/tenant-settings.service.ts';

export const adminTenantSettingsRoutes: FastifyPluginAsyncZod<{ settings: TenantSettingsService }> = async (app, { settings }) => {
  app.patch(
    '/tenants/:tenantId',
    {
      schema: {
        tags: ['admin'],
        summary: "Change a tenant's mode, point system switch or contact rule",
        description:
          'balance-only -> all-transaction: each balance is carried into the ledger as one OpeningBalance entry. ' +
          'all-transaction -> balance-only: each balance becomes what the ledger yields now; the ledger stays readable. ' +
          'A mode switch answers 409 while a batch of the tenant is still being applied.',
        params: tenantParams,
        body: updateTenantBody,
        response: { 200: tenant, 400: problem, 401: problem, 404: problem, 409: problem },
      },
    },
    (request) => settings.update(request.params.tenantId, request.body),
  );
};
