import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { ruleChangeList, tenant, tenantParams, updateTenantBody } from '../../contracts/admin.ts';
import { paging, problem } from '../../contracts/common.ts';
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

  app.get(
    '/tenants/:tenantId/rule-changes',
    {
      schema: {
        tags: ['admin'],
        summary: 'The accounts whose figures moved when the ledger rule became lots that are used up and expire',
        description:
          'One item per account whose balance, pending points or next expiry the move changed, with the figures the old rule ' +
          '(the plain sum of active entries) and the new one gave at that moment. docs/point-master-guide.md explains why they differ.',
        params: tenantParams,
        querystring: paging,
        response: { 200: ruleChangeList, 400: problem, 401: problem, 404: problem },
      },
    },
    (request) => settings.ruleChanges(request.params.tenantId, request.query),
  );
};
