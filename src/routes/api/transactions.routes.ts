import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { numericId, problem, problemResponses } from '../../contracts/common.ts';
import {
  idempotencyHeaders,
  pointTransaction,
  pointTransactionList,
  transactionListQuery,
  transactionsAccepted,
  transactionsBody,
} from '../../contracts/transactions.ts';
import type { LedgerEntryRecord } from '../../domain/ledger.ts';
import type { TransactionsService } from '../../services/transactions.service.ts';
import { tooManyItemsGuard } from '../../plugins/batch-size.ts';
import { API, link, pageLinks } from './links.ts';

const tags = ['point-accounts'];

const toPointTransaction = (entry: LedgerEntryRecord) => ({
  id: entry.id,
  accountId: entry.accountId,
  amount: entry.amount,
  type: entry.type,
  source: entry.source,
  description: entry.description,
  transactionDate: entry.transactionDate.toISOString(),
  validFrom: entry.validFrom.toISOString(),
  // Left out rather than null: Engage's models make every field optional and none nullable.
  validTo: entry.validTo?.toISOString(),
  createdOn: entry.createdOn.toISOString(),
  modifiedOn: entry.modifiedOn.toISOString(),
  ...(entry.externalId !== null ? { externalId: entry.externalId } : {}),
  ...(entry.sequence !== null ? { sequence: entry.sequence } : {}),
  // retailTransactionLineItemId stays absent: Engage links purchase-generated points to a receipt line, and the follower never generates points from purchases.
  links: [link('self', `${API}/point-accounts/transactions/${entry.id}`), link('account', `${API}/point-accounts/${entry.accountId}`)],
});

/** The transactions push; served under /api/v2 and /api/v3 (app.ts). */
export const transactionsPushRoutes: FastifyPluginAsyncZod<{ transactions: TransactionsService; maxBatchItems: number }> = async (
  app,
  { transactions, maxBatchItems },
) => {
  app.post(
    '/point-accounts/transactions',
    {
      preValidation: tooManyItemsGuard(maxBatchItems),
      schema: {
        tags,
        summary: 'Add point transactions (all-transaction mode)',
        description:
          'Rows are checked one by one: bad rows, rows with an unknown definitionId and (when the tenant requires known contacts) ' +
          'rows for unknown contacts come back in notAccepted with a message each; the rest are stored durably and applied to the ' +
          'ledger by the worker. Rows: {contactId, amount (non-zero integer), definitionId, timeStamp?, source, description, validFrom?, validTo?, ' +
          "externalId?, sequence?}; a time without an offset, or a date alone, is read in the tenant's time zone. A row whose externalId or sequence the ledger already holds with the same content is reported in " +
          'duplicates and not applied again; with other content it is refused, naming the transaction it collides with.',
        headers: idempotencyHeaders,
        body: transactionsBody,
        response: { 202: transactionsAccepted, ...problemResponses, 409: problem, 422: problem },
      },
    },
    async (request, reply) => {
      const { answer, replayed } = await transactions.accept(request.tenant, request.body, request.headers['idempotency-key']);
      if (replayed) reply.header('idempotent-replayed', 'true');
      return reply.code(202).header('location', `${API}/point-accounts/transactions/status/${answer.id}`).send(answer);
    },
  );
};

/** The ledger's reads (/api/v2 only). */
export const transactionsRoutes: FastifyPluginAsyncZod<{ transactions: TransactionsService }> = async (app, { transactions }) => {
  app.get(
    '/point-accounts/transactions',
    {
      schema: {
        tags,
        summary: "An account's transactions, newest first",
        description:
          'Active and Pending are as at the time of the request; All also lists expired transactions and Expiry entries. ' +
          'With externalId, the list holds the one transaction with that externalId (or none), whatever the other parameters say.',
        querystring: transactionListQuery,
        response: { 200: pointTransactionList, ...problemResponses },
      },
    },
    async (request) => {
      const { accountId, contactId, definitionId, filter, offset, count, externalId } = request.query;
      if (externalId !== undefined) {
        const found = await transactions.findByExternalId(request.tenant, externalId);
        return {
          items: found.items.slice(offset, offset + count).map(toPointTransaction),
          totalCount: found.totalCount,
          offset,
          count,
          links: pageLinks('/point-accounts/transactions', { externalId }, { offset, count }, found.totalCount),
        };
      }
      // accountId wins over contactId+definitionId, as Engage documents; the query schema guarantees one or the other.
      const account = accountId !== undefined ? { accountId } : { contactId: contactId!, definitionId: definitionId! };
      const page = await transactions.list(request.tenant, account, filter, { offset, count });
      const filters: Record<string, string> =
        'accountId' in account ? { accountId: String(account.accountId) } : { contactId: account.contactId, definitionId: String(account.definitionId) };
      return {
        items: page.items.map(toPointTransaction),
        totalCount: page.totalCount,
        offset,
        count,
        links: pageLinks('/point-accounts/transactions', { ...filters, filter }, { offset, count }, page.totalCount),
      };
    },
  );

  app.get(
    '/point-accounts/transactions/:id',
    { schema: { tags, summary: 'A point transaction', params: numericId, response: { 200: pointTransaction, ...problemResponses } } },
    async (request) => toPointTransaction(await transactions.find(request.tenant, request.params.id)),
  );
};
