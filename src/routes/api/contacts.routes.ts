import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { bonusPointQuery, bonusPointTransactionPage, contactParams, rewardPointsAnswer, rewardPointsBody } from '../../contracts/bonus-points.ts';
import { idempotencyHeaders } from '../../contracts/transactions.ts';
import { problem, problemResponses } from '../../contracts/common.ts';
import { bonusPointType } from '../../domain/bonus-points.ts';
import type { ContactPointHistory, ContactPointsService } from '../../services/contact-points.service.ts';

/** Engage's BonusPointTransaction lines: ledger entries carry their id and a type mapped from their source; points-log lines have neither. */
function bonusPointTransactions(history: ContactPointHistory) {
  if (history.kind === 'ledger') {
    return history.items.map((entry) => ({
      id: String(entry.id),
      amount: entry.amount,
      transactionDateTime: entry.transactionDate.toISOString(),
      description: entry.description,
      type: bonusPointType(entry.source),
    }));
  }
  return history.items.map((line) => ({ amount: line.amount, transactionDateTime: line.transactionDate, description: line.description }));
}

/** The contact endpoints Engage clients call for points. */
export const contactsRoutes: FastifyPluginAsyncZod<{ contactPoints: ContactPointsService }> = async (app, { contactPoints }) => {
  app.get(
    '/contacts/:contactId/bonuspointtransactions',
    {
      schema: {
        tags: ['contacts'],
        summary: "A contact's point history, newest first (Engage's bonus point transactions)",
        description:
          "All-transaction mode: the follower's ledger, every account of the contact. Balance-only mode: the master's points log, " +
          'read through the points-log URL (404 when none is configured, 504 when the master is slow, 502 when it fails). ' +
          'A contact without points, or of another tenant, has an empty history.',
        params: contactParams,
        querystring: bonusPointQuery,
        response: { 200: bonusPointTransactionPage, ...problemResponses, 502: problem, 504: problem },
      },
    },
    async (request) => {
      const { offset, count } = request.query;
      const history = await contactPoints.history(request.tenant, request.params.contactId, { offset, count });
      return { items: bonusPointTransactions(history), totalCount: history.totalCount, offset, count };
    },
  );

  app.post(
    '/contacts/:contactId/rewardpointtransaction',
    {
      schema: {
        tags: ['contacts'],
        summary: 'Give or remove reward points: sent to the point master as an adjustment',
        description:
          "The balance here does not change: the points become an Automation adjustment on the tenant's default point definition " +
          '(its lowest definition id unless set), sent to the master through the webhook like every adjustment (see GET /point-accounts/adjustments). ' +
          "totalRewardPoints is the account's current balance, which the master's next sync updates. type (else description) is the adjustment's reason.",
        params: contactParams,
        headers: idempotencyHeaders,
        body: rewardPointsBody,
        response: { 200: rewardPointsAnswer, ...problemResponses, 409: problem, 422: problem },
      },
    },
    async (request, reply) => {
      const { answer, replayed } = await contactPoints.reward(request.tenant, request.params.contactId, request.body, request.headers['idempotency-key']);
      if (replayed) reply.header('idempotent-replayed', 'true');
      return answer;
    },
  );
};
