import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { problemResponses } from '../../contracts/common.ts';
import { levelHistoryPage, levelHistoryQuery, memberLevelAnswer, memberLevelParams } from '../../contracts/levels.ts';
import type { LevelsService } from '../../services/levels.service.ts';

/** A contact's member level (all-transaction mode), and the changes the worker recorded. */
export const memberLevelsRoutes: FastifyPluginAsyncZod<{ levels: LevelsService }> = async (app, { levels }) => {
  const tags = ['contacts'];

  app.get(
    '/contacts/:contactId/member-level',
    {
      schema: {
        tags,
        summary: "A contact's member level, derived from the ledger at the time of the request",
        description:
          'Right without any job running: a purchase that has landed counts at once, an entry that has left the window no longer does. ' +
          'A contact without entries is on the first level. 404 when the tenant has no ladder; 400 in balance-only mode.',
        params: memberLevelParams,
        response: { 200: memberLevelAnswer, ...problemResponses },
      },
    },
    async (request) => {
      const found = await levels.memberLevel(request.tenant, request.params.contactId);
      return {
        key: found.level.key,
        name: found.level.name,
        ...(found.since && { since: found.since.toISOString() }),
        qualifying: found.qualifying,
        basis: found.basis,
        window: { from: found.window.from.toISOString(), to: found.window.to.toISOString() },
        ...(found.next && { next: found.next }),
      };
    },
  );

  app.get(
    '/contacts/:contactId/member-level/history',
    {
      schema: {
        tags,
        summary: "A contact's recorded level changes, newest first",
        description: 'Stays readable after the tenant leaves all-transaction mode.',
        params: memberLevelParams,
        querystring: levelHistoryQuery,
        response: { 200: levelHistoryPage, ...problemResponses },
      },
    },
    async (request) => {
      const { offset, count } = request.query;
      const page = await levels.history(request.tenant, request.params.contactId, { offset, count });
      return {
        items: page.items.map((change) => ({ ...change, id: String(change.id), changedAt: change.changedAt.toISOString() })),
        totalCount: page.totalCount,
        offset,
        count,
      };
    },
  );
};
