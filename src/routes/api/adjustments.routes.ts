import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { adjustment, adjustmentBody, adjustmentList, adjustmentParams, adjustmentQuery } from '../../contracts/adjustments.ts';
import { problem, problemResponses } from '../../contracts/common.ts';
import { idempotencyHeaders } from '../../contracts/transactions.ts';
import type { AdjustmentRecord } from '../../domain/adjustments.ts';
import type { AdjustmentsService } from '../../services/adjustments.service.ts';
import { API, link, pageLinks } from './links.ts';

// Under /api a field without a value is left out, never null (Engage's models have no nulls).
const toAdjustment = ({ lastError, nextAttemptAt, deliveredAt, confirmedTransactionId, confirmedAt, ...record }: AdjustmentRecord) => ({
  ...record,
  createdOn: record.createdAt.toISOString(),
  lastError: lastError ?? undefined,
  nextAttemptAt: nextAttemptAt?.toISOString(),
  deliveredAt: deliveredAt?.toISOString(),
  confirmation: confirmedTransactionId !== null ? ('Confirmed' as const) : ('Unconfirmed' as const),
  confirmedTransactionId: confirmedTransactionId ?? undefined,
  confirmedAt: confirmedAt?.toISOString(),
  links: [link('self', `${API}/point-accounts/adjustments/${record.id}`)],
});

export const adjustmentsRoutes: FastifyPluginAsyncZod<{ adjustments: AdjustmentsService }> = async (app, { adjustments }) => {
  const tags = ['point-accounts'];

  app.post(
    '/point-accounts/adjustments',
    {
      config: { answerOf: toAdjustment },
      schema: {
        tags,
        summary: 'Give or remove points: sent to the point master as a webhook',
        description:
          'The balance here does not change: the adjustment is recorded and sent to the master, whose next sync brings the new balance. ' +
          'Manual adjustments carry userId and userName; Automation ones carry reason, processId, workflowId and workflowName. ' +
          'With an Idempotency-Key, a retry of the same body within 24 h gets the adjustment the first request made (Idempotent-Replayed: true) ' +
          'and nothing is recorded or sent twice; another body under the key is refused with 422, a retry while the first is in flight with 409.',
        headers: idempotencyHeaders,
        body: adjustmentBody,
        response: { 202: adjustment, ...problemResponses, 409: problem, 422: problem },
      },
    },
    async (request, reply) => {
      const { answer: record, replayed } = await adjustments.create(request.tenant, request.body, request.headers['idempotency-key']);
      if (replayed) reply.header('idempotent-replayed', 'true');
      return reply.code(202).header('location', `${API}/point-accounts/adjustments/${record.id}`).send(toAdjustment(record));
    },
  );

  app.get(
    '/point-accounts/adjustments',
    {
      schema: {
        tags,
        summary: "A contact's adjustments with their delivery state, newest first",
        querystring: adjustmentQuery,
        response: { 200: adjustmentList, ...problemResponses },
      },
    },
    async (request) => {
      const { contactId, offset, count } = request.query;
      const page = await adjustments.list(request.tenant, contactId, { offset, count });
      return {
        items: page.items.map(toAdjustment),
        totalCount: page.totalCount,
        offset,
        count,
        links: pageLinks('/point-accounts/adjustments', { contactId }, { offset, count }, page.totalCount),
      };
    },
  );

  app.get(
    '/point-accounts/adjustments/:id',
    {
      schema: { tags, summary: 'An adjustment and its delivery state', params: adjustmentParams, response: { 200: adjustment, ...problemResponses } },
    },
    async (request) => toAdjustment(await adjustments.find(request.tenant, request.params.id)),
  );
};
