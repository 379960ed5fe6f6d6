import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { batchStatusResponse } from '../../contracts/balances.ts';
import { problemResponses } from '../../contracts/common.ts';
import type { BalancesService } from '../../services/balances.service.ts';

/**
 * The status of a stored batch. Engage documents the balances URL; the
 * transactions URL is where POST /transactions points. Both answer for any
 * batch of the tenant: the id alone names it.
 */
export const batchStatusRoutes: FastifyPluginAsyncZod<{ balances: BalancesService }> = async (app, { balances }) => {
  const urls = [
    ['/point-accounts/balances/status/:id', 'Status of a balance batch'],
    ['/point-accounts/transactions/status/:id', 'Status of a transactions batch'],
  ] as const;

  for (const [url, summary] of urls) {
    app.get(
      url,
      {
        schema: {
          tags: ['point-accounts'],
          summary,
          params: z.object({ id: z.uuid() }),
          response: { 200: batchStatusResponse, ...problemResponses },
        },
      },
      async (request) => {
        const batch = await balances.status(request.tenant, request.params.id);
        return {
          id: batch.id,
          status: batch.status,
          timeStamp: batch.statusAt.toISOString(),
          messages: batch.messages.map((m) => ({ message: m.message, timeStamp: m.createdAt.toISOString() })),
          itemCount: batch.itemCount,
          appliedCount: batch.appliedCount,
          skippedCount: batch.skippedCount,
          duplicateCount: batch.duplicateCount,
          duplicates: batch.duplicates,
        };
      },
    );
  }
};
