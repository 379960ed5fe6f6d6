import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { problemResponses } from '../../contracts/common.ts';
import { contactDetailsPushAnswer, contactDetailsPushBody } from '../../contracts/contacts.ts';
import type { ContactsService } from '../../services/contacts.service.ts';
import { tooManyItemsGuard } from '../../plugins/batch-size.ts';
import { tenantLocalTimes } from './local-times.hook.ts';

/** The master's optional push of who its contacts are, so contact card users can recognise them. */
export const contactDetailsRoutes: FastifyPluginAsyncZod<{ contacts: ContactsService; maxBatchItems: number }> = async (app, { contacts, maxBatchItems }) => {
  app.post(
    '/contacts/details',
    {
      preValidation: [tooManyItemsGuard(maxBatchItems), tenantLocalTimes(['timeStamp'])],
      schema: {
        tags: ['contacts'],
        summary: 'Set contacts’ personal details: display name, email, phone, member number (optional, beyond Engage)',
        description:
          'Validates the whole batch (400 listing every bad item, nothing stored) and stores it at once: the answer is final, with no status to poll. ' +
          'Each item is the contact’s details as a whole, as of its timeStamp: a field left out is held no more. Per contact the newest timeStamp wins ' +
          '(ties: the later item); details older than those held, or than an erasure of the contact’s personal data, are skipped with a message. ' +
          'A contact new to the registry is added to it. The details are personal data: only the tenant’s contact card users see them; ' +
          'no API answer carries them.',
        body: contactDetailsPushBody,
        response: { 200: contactDetailsPushAnswer, ...problemResponses },
      },
    },
    (request) => contacts.push(request.tenant, request.body),
  );
};
