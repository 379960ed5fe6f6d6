import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { definitionIdParam, numericId, paging, problemResponses } from '../../contracts/common.ts';
import { pointAccount, pointAccountList, pointAccountQuery, pointDefinition } from '../../contracts/point-accounts.ts';
import type { PointAccountRecord } from '../../domain/ledger.ts';
import type { PointAccountsService } from '../../services/point-accounts.service.ts';
import { accountFigures } from './account-figures.ts';
import { API, link, pageLinks } from './links.ts';
import { z } from 'zod';

const toPointAccount = (account: PointAccountRecord) => ({
  id: account.id,
  contactId: account.contactId,
  definitionId: account.definitionId,
  ...accountFigures(account),
  links: [
    link('self', `${API}/point-accounts/${account.id}`),
    link('transactions', `${API}/point-accounts/transactions?accountId=${account.id}`),
    link('definition', `${API}/point-accounts/definitions/${account.definitionId}`),
  ],
});

const toPointDefinition = (row: { id: number; name: string; description: string | null }) => ({
  id: row.id,
  name: row.name,
  description: row.description ?? undefined,
  links: [link('self', `${API}/point-accounts/definitions/${row.id}`)],
});

export const pointAccountsRoutes: FastifyPluginAsyncZod<{ accounts: PointAccountsService }> = async (app, { accounts }) => {
  app.get(
    '/point-accounts',
    {
      schema: {
        tags: ['point-accounts'],
        summary: "A contact's point accounts",
        querystring: pointAccountQuery,
        response: { 200: pointAccountList, ...problemResponses },
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
        links: pageLinks('/point-accounts', { contactId }, { offset, count }, page.totalCount),
      };
    },
  );

  app.get(
    '/point-accounts/definitions',
    {
      schema: {
        tags: ['point-accounts'],
        summary: 'Point definitions',
        querystring: paging,
        response: { 200: z.array(pointDefinition), ...problemResponses },
      },
    },
    async (request) => {
      const rows = await accounts.listDefinitions(request.tenant, request.query);
      return rows.map(toPointDefinition);
    },
  );

  app.get(
    '/point-accounts/definitions/:id',
    {
      schema: {
        tags: ['point-accounts'],
        summary: 'A point definition',
        params: definitionIdParam,
        response: { 200: pointDefinition, ...problemResponses },
      },
    },
    async (request) => {
      return toPointDefinition(await accounts.findDefinition(request.tenant, request.params.id));
    },
  );

  app.get(
    '/point-accounts/:id',
    {
      schema: {
        tags: ['point-accounts'],
        summary: 'A point account',
        params: numericId,
        response: { 200: pointAccount, ...problemResponses },
      },
    },
    async (request) => {
      return toPointAccount(await accounts.find(request.tenant, request.params.id));
    },
  );
};
