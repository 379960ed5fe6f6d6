import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { tenantParams } from '../../contracts/admin.ts';
import { paging, problem } from '../../contracts/common.ts';
import { driftList, driftQuery, reconciliation, reconciliationList, toDrift, toReconciliation } from '../../contracts/reconciliations.ts';
import type { ReconciliationsService } from '../../services/reconciliations.service.ts';

const problems = { 400: problem, 401: problem, 404: problem };

/** A tenant's reconciliations, for operators. */
export const adminReconciliationsRoutes: FastifyPluginAsyncZod<{ reconciliations: ReconciliationsService }> = async (app, { reconciliations }) => {
  const tags = ['admin'];

  app.get(
    '/tenants/:tenantId/reconciliations',
    {
      schema: {
        tags,
        summary: "A tenant's reconciliations, newest first",
        params: tenantParams,
        querystring: paging,
        response: { 200: reconciliationList, ...problems },
      },
    },
    async (request) => {
      const { offset, count } = request.query;
      const page = await reconciliations.listForTenant(request.params.tenantId, { offset, count });
      return { items: page.items.map(toReconciliation), totalCount: page.totalCount, offset, count };
    },
  );

  app.get(
    '/tenants/:tenantId/reconciliations/:id',
    {
      schema: {
        tags,
        summary: 'A reconciliation with a page of its drifts',
        params: tenantParams.extend({ id: z.uuid() }),
        querystring: driftQuery,
        response: { 200: reconciliation.extend({ drifts: driftList }), ...problems },
      },
    },
    async (request) => {
      const { kind, offset, count } = request.query;
      const found = await reconciliations.showForTenant(request.params.tenantId, request.params.id, { kind }, { offset, count });
      return {
        ...toReconciliation(found.reconciliation),
        drifts: { items: found.drifts.items.map(toDrift), totalCount: found.drifts.totalCount, offset, count },
      };
    },
  );
};
