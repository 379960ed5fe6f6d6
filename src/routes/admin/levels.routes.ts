import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { tenantParams } from '../../contracts/admin.ts';
import { problem } from '../../contracts/common.ts';
import { ladder, ladderBody } from '../../contracts/levels.ts';
import type { LevelsService } from '../../services/levels.service.ts';

const problems = { 400: problem, 401: problem, 404: problem };

export const adminLevelsRoutes: FastifyPluginAsyncZod<{ levels: LevelsService }> = async (app, { levels }) => {
  const tags = ['admin'];

  app.put(
    '/tenants/:tenantId/levels',
    {
      schema: {
        tags,
        summary: "Set the tenant's member level ladder (all-transaction mode)",
        description:
          'One ladder per tenant. Setting it re-evaluates every contact from the ledger; each contact it moves is recorded with the reason LadderChanged. ' +
          'A balance-only tenant answers 400 "Member levels need all-transaction mode".',
        params: tenantParams,
        body: ladderBody,
        response: { 200: ladder, ...problems },
      },
    },
    (request) => levels.setLadder(request.params.tenantId, request.body),
  );

  app.get(
    '/tenants/:tenantId/levels',
    { schema: { tags, summary: "The tenant's member level ladder", params: tenantParams, response: { 200: ladder, ...problems } } },
    (request) => levels.getLadder(request.params.tenantId),
  );
};
