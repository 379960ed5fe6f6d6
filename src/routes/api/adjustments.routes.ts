import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { adjustment, adjustmentBody, adjustmentList, adjustmentParams, adjustmentQuery } from '../../contracts/adjustments.ts';
import { problemResponses } from '../../contracts/common.ts';
import type { AdjustmentRecord } from '../../domain/adjustments.ts';
import type { AdjustmentsService } from '../../services/adjustments.service.ts';
import { API, link, pageLinks } from './links.ts';

// Under /api a field without a value is left out, never null (Engage's models have no nulls).
const toAdjustment = ({ lastError, nextAttemptAt, deliveredAt, ...record }: AdjustmentRecord) => ({
  ...record,
  createdOn: record.createdAt.toISOString(),
  lastError: lastError ?? undefined,
  nextAttemptAt: nextAttemptAt?.toISOString(),
  deliveredAt: deliveredAt?.toISOString(),
  links: [link('self', `${API}/point-accounts/adjustments/${record.id}`)],
});

export const adjustmentsRoutes: FastifyPluginAsyncZod<{ adjustments: AdjustmentsService }> = async (app, { adjustments }) => {
  const tags = ['point-accounts'];

  app.post(
    '/point-accounts/adjustments',
    {
      schema: {
        tags,
        summary: 'Give or remove points: sent to the point master as a webhook',
        description:
          'The balance here does not change: the adjustment is recorded and sent to the master, whose next sync brings the new balance. ' +
          'Manual adjustments carry userId and userName; Automation ones carry reason, processId, workflowId and workflowName.',
        body: adjustmentBody,
        response: { 202: adjustment, ...problemResponses },
      },
    },
    async (request, reply) => {
      const record = await adjustments.create(request.tenant, request.body);
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
