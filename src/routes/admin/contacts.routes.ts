import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { addContactsBody, addedContacts, contactParams, knownContact, knownContactList, tenantParams } from '../../contracts/admin.ts';
import { contactDetailsBody } from '../../contracts/contacts.ts';
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

  app.get(
    '/tenants/:tenantId/contacts/:contactId',
    {
      schema: {
        tags,
        summary: 'A known contact: which personal fields are held (never their values)',
        params: contactParams,
        response: { 200: knownContact, ...problems },
      },
    },
    (request) => contacts.get(request.params.tenantId, request.params.contactId),
  );

  app.put(
    '/tenants/:tenantId/contacts/:contactId',
    {
      schema: {
        tags,
        summary: "Set a contact's personal details (display name, email, phone, member number), adding it to the registry when new",
        description:
          'The details as a whole: a field left out is held no more. Personal data: only the contact card users of the tenant see the values; ' +
          'this answer says which fields are held. The card header shows them and the card search finds the contact by any of them.',
        params: contactParams,
        body: contactDetailsBody,
        response: { 200: knownContact, ...problems },
      },
    },
    (request) => contacts.setDetails(request.params.tenantId, request.params.contactId, request.body),
  );

  app.delete(
    '/tenants/:tenantId/contacts/:contactId/personal-data',
    {
      schema: {
        tags,
        summary: "Erase a contact's personal data",
        description:
          'Clears the display name, email, phone and member number and their search forms; the contact stays known, and its accounts, ledger ' +
          'and adjustments stay under the contact id. A push of details as of a time before the erasure stores nothing. 404 when the contact is not known.',
        params: contactParams,
        response: { 204: z.null(), ...problems },
      },
      config: { answerOf: noContent },
    },
    async (request, reply) => {
      await contacts.erasePersonalData(request.params.tenantId, request.params.contactId);
      return reply.code(204).send(null);
    },
  );

  app.delete(
    '/tenants/:tenantId/contacts/:contactId',
    {
      config: { answerOf: noContent },
      schema: { tags, summary: 'Forget a known contact, with its personal data', params: contactParams, response: { 204: z.null(), ...problems } },
    },
    async (request, reply) => {
      await contacts.remove(request.params.tenantId, request.params.contactId);
      return reply.code(204).send(null);
    },
  );
};
