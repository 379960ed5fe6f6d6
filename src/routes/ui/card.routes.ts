import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { contactId } from '../../contracts/common.ts';
import { cardParams, cardQuery, contactSearchQuery, HISTORY_PAGE_SIZE } from '../../contracts/ui.ts';
import { loadSession, requireSession } from '../../plugins/ui-session.ts';
import type { ContactCardService } from '../../services/contact-card.service.ts';
import type { ActiveSession, SignedInUser, UiAuthService } from '../../services/ui-auth.service.ts';
import { cardPage, cardUrl, searchPage } from '../../ui/pages/card.page.ts';

/** requireSession('user') has run: the session and its user are there. */
const signedIn = (session: ActiveSession | null): { user: SignedInUser; csrfToken: string } => ({ user: session!.user!, csrfToken: session!.csrfToken });

/** The contact card: find a contact, see its accounts and history. Everything is read within the signed-in user's tenant. */
export const uiCardRoutes: FastifyPluginAsyncZod<{ auth: UiAuthService; cards: ContactCardService }> = async (app, { auth, cards }) => {
  app.addHook('onRequest', loadSession(auth, 'user'));
  app.addHook('preHandler', requireSession('user'));
  const hide = true;

  app.get('/', { schema: { hide } }, async (request, reply) => reply.type('text/html; charset=utf-8').send(searchPage(signedIn(request.uiSession))));

  app.get('/contacts', { schema: { hide, querystring: contactSearchQuery } }, async (request, reply) => {
    const value = request.query.contactId.trim();
    const parsed = contactId.safeParse(value);
    if (parsed.success) return reply.redirect(cardUrl(parsed.data), 303);
    const problem = {
      title: 'Invalid request',
      detail: value === '' ? 'Enter a contact id.' : 'A contact id is a uuid, like 3fa85f64-5717-4562-b3fc-2c963f66afa6.',
      errors: [{ path: 'contactId', message: value === '' ? 'is required' : 'must be a uuid' }],
    };
    return reply.code(400).type('text/html; charset=utf-8').send(searchPage({ ...signedIn(request.uiSession), value, problem }));
  });

  app.get('/contacts/:contactId', { schema: { hide, params: cardParams, querystring: cardQuery } }, async (request, reply) => {
    const { user, csrfToken } = signedIn(request.uiSession);
    const { definition, filter, offset } = request.query;
    const card = await cards.card(user.tenant, request.params.contactId, { definitionId: definition, filter, offset, count: HISTORY_PAGE_SIZE });
    return reply.type('text/html; charset=utf-8').send(cardPage({ user, csrfToken, card }));
  });
};
