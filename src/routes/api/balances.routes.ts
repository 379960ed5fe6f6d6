import { type FastifyPluginAsyncZod, validatorCompiler } from 'fastify-type-provider-zod';
import { balanceBatchBody, batchAccepted, canonicalBalanceBatch } from '../../contracts/balances.ts';
import { problem, problemResponses } from '../../contracts/common.ts';
import { tooManyItemsGuard } from '../../plugins/batch-size.ts';
import type { BalancesService } from '../../services/balances.service.ts';
import { API } from './links.ts';
import { tenantLocalTimes } from './local-times.hook.ts';

const batchQueued = (id: string) => ({ id, status: 'Queued' as const });

export const balancesRoutes: FastifyPluginAsyncZod<{ balances: BalancesService; maxBatchItems: number }> = async (app, { balances, maxBatchItems }) => {
  app.post(
    '/point-accounts/balances',
    {
      preValidation: [tooManyItemsGuard(maxBatchItems), tenantLocalTimes(['timeStamp'])],
      config: { answerOf: batchQueued },
      // The usual batch skips the schema's item-by-item walk; any other body gets
      // the schema and its messages. The route's only schema is its body's.
      validatorCompiler: ({ method, url, httpPart }) => {
        const validate = validatorCompiler({ schema: balanceBatchBody, method, url, httpPart });
        return (body) => {
          const items = canonicalBalanceBatch(body);
          return items ? { value: items } : validate(body);
        };
      },
      schema: {
        tags: ['point-accounts'],
        summary: 'Set balances (balance-only mode)',
        description:
          'Validates the whole batch, stores it durably and queues BalanceAccountToAmountJob. ' +
          'Per (contactId, definitionId) the newest timeStamp wins; balances older than the one applied are skipped as stale. ' +
          "A timeStamp without an offset, or a date alone, is read in the tenant's time zone.",
        body: balanceBatchBody,
        response: { 202: batchAccepted, ...problemResponses, 409: problem },
      },
    },
    async (request, reply) => {
      const id = await balances.accept(request.tenant, request.body);
      return reply.code(202).header('location', `${API}/point-accounts/balances/status/${id}`).send(batchQueued(id));
    },
  );
};
