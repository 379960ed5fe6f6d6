import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { manualAdjustment } from '../../contracts/adjustments.ts';
import { contactId } from '../../contracts/common.ts';
import { adjustmentForm, cardParams, cardQueryAfterSend, contactSearchForm, contactSearchQuery, HISTORY_PAGE_SIZE } from '../../contracts/ui.ts';
import { AppError } from '../../errors.ts';
import { confirmationOf, needsConfirmation } from '../../domain/adjustments.ts';
import { loadSession, requireCsrf, requireSession } from '../../plugins/ui-session.ts';
import type { AdjustmentRecord } from '../../domain/adjustments.ts';
import type { AdjustmentsService } from '../../services/adjustments.service.ts';
import type { FormAnswers } from '../../services/answer-check.ts';
import type { ContactCardService } from '../../services/contact-card.service.ts';
import type { ActiveSession, SignedInUser, UiAuthService } from '../../services/ui-auth.service.ts';
import { sentBanner } from '../../ui/adjustment-status.ts';
import { adjustmentProblem, adjustmentsList, cardPage, cardUrl, searchPage } from '../../ui/pages/card.page.ts';
import { answerJson, answerPage, parseForm, redirectTo, sendAnswer, stringFields } from './forms.ts';
import { wantsHtml } from './ui-errors.ts';

/** requireSession('user') has run: the session and its user are there. */
const signedIn = (session: ActiveSession | null): { user: SignedInUser; csrfToken: string } => ({ user: session!.user!, csrfToken: session!.csrfToken });

/**
 * The contact card: find a contact, see its accounts, history and the
 * adjustments sent for it, and give or remove points. Everything is read and
 * written within the signed-in user's tenant.
 */
export const uiCardRoutes: FastifyPluginAsyncZod<{
  auth: UiAuthService;
  cards: ContactCardService;
  adjustments: AdjustmentsService;
  forms: FormAnswers<unknown>;
}> = async (app, { auth, cards, adjustments, forms }) => {
  app.addHook('onRequest', loadSession(auth, 'user'));
  app.addHook('preHandler', requireSession('user'));
  const hide = true;

  app.get('/', { schema: { hide } }, async (request, reply) => reply.html(searchPage(signedIn(request.uiSession))));

  app.get('/contacts', { schema: { hide, querystring: contactSearchQuery } }, async (request, reply) => {
    const value = request.query.contactId.trim();
    const parsed = contactId.safeParse(value);
    if (parsed.success) return reply.redirect(cardUrl(parsed.data), 303);
    const problem = {
      title: value === '' ? 'Enter a contact id' : 'Check the contact id',
      detail: value === '' ? 'Enter a contact id.' : 'A contact id is a uuid, like 3fa85f64-5717-4562-b3fc-2c963f66afa6.',
      errors: [{ path: 'contactId', label: 'Contact id', message: value === '' ? 'is required' : 'must be a uuid' }],
    };
    return reply.html(searchPage({ ...signedIn(request.uiSession), value, problem }), 400);
  });

  /**
   * The search form: one contact found opens its card, several are listed,
   * none is said so. What was typed is personal data more often than not:
   * it is posted, and never logged.
   */
  app.post('/contacts/search', { schema: { hide }, preHandler: requireCsrf }, async (request, reply) => {
    const { user, csrfToken } = signedIn(request.uiSession);
    const value = parseForm(contactSearchForm, request.body, 'search').q;
    const result = await cards.search(user.tenant, value);
    if (result.kind === 'contactId') return sendAnswer(reply, redirectTo(cardUrl(result.contactId)));
    if (result.kind === 'found' && result.items.length === 1) return sendAnswer(reply, redirectTo(cardUrl(result.items[0]!.contactId)));
    if (result.kind === 'found' && result.items.length > 1) return sendAnswer(reply, answerPage(searchPage({ user, csrfToken, value, found: result.items })));
    const problem =
      result.kind === 'empty'
        ? {
            title: 'Enter what you know of the contact',
            detail: 'Enter a contact id, a name, an email address, a phone number or a member number.',
            errors: [{ path: 'q', label: 'Search', message: 'is required' }],
          }
        : {
            title: 'No contact found',
            detail: 'Nothing in this organisation matches. Check the spelling; an email address or member number must be whole, a name may be part of one.',
          };
    return sendAnswer(reply, answerPage(searchPage({ user, csrfToken, value, problem }), { status: result.kind === 'empty' ? 400 : 404 }));
  });

  app.get('/contacts/:contactId', { schema: { hide, params: cardParams, querystring: cardQueryAfterSend } }, async (request, reply) => {
    const { user, csrfToken } = signedIn(request.uiSession);
    const { definition, filter, offset, sent } = request.query;
    const card = await cards.card(user.tenant, request.params.contactId, { definitionId: definition, filter, offset, count: HISTORY_PAGE_SIZE });
    return reply.html(cardPage({ user, csrfToken, card, form: { sentId: sent } }));
  });

  app.get('/contacts/:contactId/adjustments', { schema: { hide, params: cardParams } }, async (request, reply) => {
    const { user } = signedIn(request.uiSession);
    const list = await cards.adjustments(user.tenant, request.params.contactId);
    return reply.html(adjustmentsList({ contactId: request.params.contactId, readAt: list.readAt, adjustments: list }).toString());
  });

  /**
   * Sends a Manual adjustment signed by the signed-in user. A form post
   * without script is answered with the card (errors shown in the form, or a
   * redirect that confirms the sending); the page script gets JSON or
   * problem details.
   */
  app.post('/contacts/:contactId/adjustments', { schema: { hide, params: cardParams }, preHandler: requireCsrf }, async (request, reply) => {
    const { user, csrfToken } = signedIn(request.uiSession);
    const contact = request.params.contactId;
    const values = stringFields(request.body);
    try {
      const form = parseForm(adjustmentForm, values, 'adjustment');
      const { definitionId, direction, amount, description, idempotencyKey } = form;
      const token = confirmationOf(form);
      // A large amount is sent only once confirmed; above the limit the service refuses it with the limit named.
      if (needsConfirmation(form, user.tenant.maxAdjustmentPoints)) {
        if (!wantsHtml(request)) {
          throw new AppError('validation', 'A large adjustment is sent only once confirmed; nothing was sent', [
            { path: 'confirmed', message: `must confirm ${direction === 'remove' ? 'removing' : 'giving'} ${amount} points` },
          ]);
        }
        const card = await cards.card(user.tenant, contact, { definitionId, filter: 'All', offset: 0, count: HISTORY_PAGE_SIZE });
        return reply.html(cardPage({ user, csrfToken, card, form: { values, confirm: { direction, amount, token } } }));
      }
      const input = manualAdjustment.parse({
        contactId: contact,
        definitionId,
        amount: direction === 'remove' ? -amount : amount,
        description,
        source: 'Manual',
        userId: user.id,
        userName: user.displayName,
      });
      // One key per rendering of the form, so a second click or a resent form post makes no second adjustment (nothing is
      // committed then, and the answer is made from the adjustment the first post made).
      const { answer, returned } = await forms.answer(
        () => adjustments.create(user.tenant, input, idempotencyKey),
        (record: AdjustmentRecord) =>
          wantsHtml(request)
            ? redirectTo(`${cardUrl(contact)}?sent=${record.id}#adjust`)
            : answerJson(202, { id: record.id, deliveryState: record.deliveryState, banner: sentBanner(record.deliveryState) }),
        (replayed) => replayed.answer,
      );
      request.log.info({ adjustmentId: returned.answer.id, userId: user.id, amount: input.amount }, 'adjustment sent from the contact card');
      return sendAnswer(reply, answer);
    } catch (err) {
      if (!(err instanceof AppError) || err.status >= 500 || !wantsHtml(request)) throw err;
      const card = await cards.card(user.tenant, contact, { filter: 'All', offset: 0, count: HISTORY_PAGE_SIZE });
      const problem = adjustmentProblem({ title: err.title, detail: err.message, errors: err.errors });
      return reply.html(cardPage({ user, csrfToken, card, form: { values, problem } }), err.status);
    }
  });
};
