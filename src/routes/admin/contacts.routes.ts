import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { addContactsBody, addedContacts, contactParams, knownContactList, tenantParams } from '../../contracts/admin.ts';
import { paging, problem } from '../../contracts/common.ts';
import type { ContactsService } from '../../services/contacts.service.ts';
import { noContent } from '../../plugins/answers-before-commit.ts';

const problems = { 400: problem, 401: problem, 404: problem };

/** The contact registry that tenants requiring known contacts check transactions against. */
export const adminContactsRoutes: FastifyPluginAsyncZod<{ contacts: ContactsService }> = async (app, { contacts }) => {
  const tags = ['admin'];

  app.post(
    '/tenants/:tenantId/contacts',
    {
      schema: {
        tags,
        summary: 'Add or import known contacts (up to 10,000 per call; known ones are left as they are)',
        params: tenantParams,
        body: addContactsBody,
        response: { 200: addedContacts, ...problems },
      },
    },
    (request) => contacts.add(request.params.tenantId, request.body.contactIds),
  );

  app.get(
    '/tenants/:tenantId/contacts',
    {
      schema: {
        tags,
        summary: 'Known contacts, by contact id',
        params: tenantParams,
        querystring: paging,
        response: { 200: knownContactList, ...problems },
      },
    },
    (request) => contacts.list(request.params.tenantId, request.query),
  );

  app.delete(
    '/tenants/:tenantId/contacts/:contactId',
    { config: { answerOf: noContent }, schema: { tags, summary: 'Forget a known contact', params: contactParams, response: { 204: z.null(), ...problems } } },
    async (request, reply) => {
      await contacts.remove(request.params.tenantId, request.params.contactId);
      return reply.code(204).send(null);
    },
  );
};
