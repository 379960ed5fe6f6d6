import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { definitionIdParam, paging, problemResponses } from '../../contracts/common.ts';
import { pointAccountQuery, pointDefinition } from '../../contracts/point-accounts.ts';
import {
  guidParam,
  pointAccountV3,
  pointAccountV3List,
  pointDefinitionV3List,
  pointTransactionV3,
  pointTransactionV3List,
  pointTransactionV3Query,
} from '../../contracts/point-reads-v3.ts';
import type { LedgerEntryRecord, PointAccountRecord } from '../../domain/ledger.ts';
import type { PointAccountsService } from '../../services/point-accounts.service.ts';
import type { TransactionsService } from '../../services/transactions.service.ts';
import { API_V3, link, pageLinks } from './links.ts';
import { accountFigures } from './account-figures.ts';

const tags = ['point-accounts-v3'];

// Left out rather than null, as in v2: Engage's models make every field optional and none nullable.
const toPointAccount = (account: PointAccountRecord) => ({
  id: account.guid,
  contactId: account.contactId,
  definitionId: account.definitionId,
  ...accountFigures(account),
  links: [
    link('self', `${API_V3}/point-accounts/${account.guid}`),
    link('transactions', `${API_V3}/point-transactions?accountId=${account.guid}`),
    link('definition', `${API_V3}/point-definitions/${account.definitionId}`),
  ],
});

const toPointTransaction = (entry: LedgerEntryRecord) => ({
  id: entry.guid,
  accountId: entry.accountGuid,
  amount: entry.amount,
  type: entry.type,
  source: entry.source,
  description: entry.description,
  transactionDate: entry.transactionDate.toISOString(),
  validFrom: entry.validFrom.toISOString(),
  validTo: entry.validTo?.toISOString(),
  createdOn: entry.createdOn.toISOString(),
  modifiedOn: entry.modifiedOn.toISOString(),
  ...(entry.externalId !== null ? { externalId: entry.externalId } : {}),
  ...(entry.sequence !== null ? { sequence: entry.sequence } : {}),
  links: [link('self', `${API_V3}/point-transactions/${entry.guid}`), link('account', `${API_V3}/point-accounts/${entry.accountGuid}`)],
});

const toPointDefinition = (row: { id: number; name: string; description: string | null }) => ({
  id: row.id,
  name: row.name,
  description: row.description ?? undefined,
  links: [link('self', `${API_V3}/point-definitions/${row.id}`)],
});

/**
 * Engage's v3 point reads (/api/v3 only): accounts, the top-level
 * point-transactions, and definitions. Every figure comes from the same
 * service reads as v2's; only the ids (GUIDs) and the links differ.
 */
export const pointReadsV3Routes: FastifyPluginAsyncZod<{ accounts: PointAccountsService; transactions: TransactionsService }> = async (
  app,
  { accounts, transactions },
) => {
  app.get(
    '/point-accounts',
    {
      schema: {
        tags,
        summary: "A contact's point accounts (v3: GUID ids)",
        description: "A contact without accounts (unknown, or another tenant's) has an empty list.",
        querystring: pointAccountQuery,
        response: { 200: pointAccountV3List, ...problemResponses },
      },
    },
    async (request) => {
      const { contactId, offset, count } = request.query;
      const page = await accounts.listByContact(request.tenant, contactId, { offset, count });
      return {
        items: page.items.map(toPointAccount),
        totalCount: page.totalCount,
        offset,
        count,
        links: pageLinks('/point-accounts', { contactId }, { offset, count }, page.totalCount, API_V3),
      };
    },
  );

  app.get(
    '/point-accounts/:id',
    {
      schema: { tags, summary: 'A point account by its v3 id', params: guidParam, response: { 200: pointAccountV3, ...problemResponses } },
    },
    async (request) => toPointAccount(await accounts.findByGuid(request.tenant, request.params.id)),
  );

  app.get(
    '/point-transactions',
    {
      schema: {
        tags,
        summary: "An account's transactions, newest first (v3: a top-level path, GUID ids)",
        description:
          "By accountId (the account's v3 id; contactId and definitionId are then ignored), or by contactId and definitionId. " +
          'Active and Pending are as at the time of the request; All also lists expired transactions and Expiry entries. ' +
          'A contact without an account for the definition has an empty list; an accountId that names no account answers 404.',
        querystring: pointTransactionV3Query,
        response: { 200: pointTransactionV3List, ...problemResponses },
      },
    },
    async (request) => {
      const { accountId, contactId, definitionId, filter, offset, count } = request.query;
      // The query schema guarantees accountId, or contactId and definitionId.
      const account = accountId !== undefined ? { accountGuid: accountId } : { contactId: contactId!, definitionId: definitionId! };
      const page = await transactions.list(request.tenant, account, filter, { offset, count });
      const filters: Record<string, string> = accountId !== undefined ? { accountId } : { contactId: contactId!, definitionId: String(definitionId) };
      return {
        items: page.items.map(toPointTransaction),
        totalCount: page.totalCount,
        offset,
        count,
        links: pageLinks('/point-transactions', { ...filters, filter }, { offset, count }, page.totalCount, API_V3),
      };
    },
  );

  app.get(
    '/point-transactions/:id',
    {
      schema: { tags, summary: 'A point transaction by its v3 id', params: guidParam, response: { 200: pointTransactionV3, ...problemResponses } },
    },
    async (request) => toPointTransaction(await transactions.findByGuid(request.tenant, request.params.id)),
  );

  app.get(
    '/point-definitions',
    {
      schema: { tags, summary: 'Point definitions, paged', querystring: paging, response: { 200: pointDefinitionV3List, ...problemResponses } },
    },
    async (request) => {
      const { offset, count } = request.query;
      const page = await accounts.pageDefinitions(request.tenant, { offset, count });
      return {
        items: page.items.map(toPointDefinition),
        totalCount: page.totalCount,
        offset,
        count,
        links: pageLinks('/point-definitions', {}, { offset, count }, page.totalCount, API_V3),
      };
    },
  );

  app.get(
    '/point-definitions/:id',
    { schema: { tags, summary: 'A point definition', params: definitionIdParam, response: { 200: pointDefinition, ...problemResponses } } },
    async (request) => toPointDefinition(await accounts.findDefinition(request.tenant, request.params.id)),
  );
};
