import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { subscriptionForm, subscriptionParams, subscriptionsPageQuery } from '../../contracts/subscriptions.ts';
import { tenantPageParams } from '../../contracts/ui.ts';
import { AppError } from '../../errors.ts';
import { requireCsrf } from '../../plugins/ui-session.ts';
import type { AdminService } from '../../services/admin.service.ts';
import type { FormAnswers } from '../../services/answer-check.ts';
import type { SubscriptionsService } from '../../services/subscriptions.service.ts';
import { deleteSubscriptionPage, subscriptionsPage, subscriptionsUrl, type SubscriptionsView } from '../../ui/pages/subscriptions.page.ts';
import type { ShownSecrets } from '../../ui/kit.ts';
import { answerPage, type FormAnswer, parseForm, redirectTo, sendAnswer, stringFields } from './forms.ts';

const NOTICES = { deleted: 'The subscriber is deleted: nothing more is sent to it.' } as const;

const secretShown = (title: string, signingSecret: string): ShownSecrets => ({
  title,
  values: [{ label: 'The signing secret (Standard Webhooks), for the subscriber to verify signatures:', value: signingSecret }],
});

/**
 * A tenant's subscribers to balance events on /ui/admin: the list with each
 * outbox by state, a form that adds one, secret rotation and deletion after a
 * confirmation, each through the same service call and schema as the admin
 * API. A signing secret is shown once, on the page answering the form that
 * made it (no-store).
 */
interface PageServices {
  admin: AdminService;
  subscriptions: SubscriptionsService;
}

export const uiSubscriptionsRoutes: FastifyPluginAsyncZod<PageServices & { forms: FormAnswers<PageServices> }> = async (
  app,
  { admin, subscriptions, forms },
) => {
  /** The page, read through `services`: the pool's, or those of the transaction a form commits in. */
  async function pageOf(services: PageServices, request: FastifyRequest, tenantId: string, extra: Partial<SubscriptionsView> = {}, status = 200) {
    const tenant = await services.admin.requireTenant(tenantId);
    // A tenant has a handful of subscribers; each outbox count is one indexed aggregate, read one after another
    // (inside a form's transaction the reads share its one connection).
    const { items } = await services.subscriptions.list(tenantId);
    const rows: Awaited<ReturnType<SubscriptionsService['get']>>[] = [];
    for (const item of items) rows.push(await services.subscriptions.get(tenantId, item.id));
    const body = subscriptionsPage({ csrfToken: request.uiSession!.csrfToken, tenant, subscriptions: rows, ...extra });
    return answerPage(body, { status, noStore: extra.secrets !== undefined });
  }

  const show = async (request: FastifyRequest, reply: FastifyReply, tenantId: string, extra: Partial<SubscriptionsView> = {}, status = 200) =>
    sendAnswer(reply, await pageOf({ admin, subscriptions }, request, tenantId, extra, status));

  app.get(
    '/tenants/:tenantId/subscriptions',
    { schema: { hide: true, params: tenantPageParams, querystring: subscriptionsPageQuery } },
    async (request, reply) => {
      const { done } = request.query;
      return show(request, reply, request.params.tenantId, { notice: done ? NOTICES[done] : null });
    },
  );

  app.post('/tenants/:tenantId/subscriptions', { schema: { hide: true, params: tenantPageParams }, preHandler: requireCsrf }, async (request, reply) => {
    const { tenantId } = request.params;
    const values = stringFields(request.body);
    let done: { answer: FormAnswer; returned: { id: string } };
    try {
      const input = parseForm(subscriptionForm, values, 'subscription');
      done = await forms.answer(
        () => subscriptions.create(tenantId, input),
        (created, services) =>
          pageOf(services, request, tenantId, { secrets: secretShown('The subscriber is added: its signing secret', created.signingSecret) }, 201),
      );
    } catch (err) {
      if (!(err instanceof AppError) || err.code !== 'validation') throw err;
      return show(request, reply, tenantId, { form: { values, problem: { title: err.title, detail: err.message, errors: err.errors } } }, err.status);
    }
    request.log.info({ tenantId, subscriptionId: done.returned.id }, 'subscription created on the operator pages');
    return sendAnswer(reply, done.answer);
  });

  app.post(
    '/tenants/:tenantId/subscriptions/:id/rotate',
    { schema: { hide: true, params: subscriptionParams }, preHandler: requireCsrf },
    async (request, reply) => {
      const { tenantId, id } = request.params;
      const { answer } = await forms.answer(
        () => subscriptions.rotateSecret(tenantId, id),
        (rotated, services) =>
          pageOf(services, request, tenantId, {
            secrets: secretShown('A new signing secret: events not yet delivered are signed with it from their next attempt', rotated.signingSecret),
          }),
      );
      request.log.info({ tenantId, subscriptionId: id }, 'subscription secret rotated on the operator pages');
      return sendAnswer(reply, answer);
    },
  );

  app.get('/tenants/:tenantId/subscriptions/:id/delete', { schema: { hide: true, params: subscriptionParams } }, async (request, reply) => {
    const { tenantId, id } = request.params;
    const [tenant, subscription] = await Promise.all([admin.requireTenant(tenantId), subscriptions.get(tenantId, id)]);
    // What goes with it: every outbox row not delivered yet.
    const undelivered = subscription.outbox.pending + subscription.outbox.retrying + subscription.outbox.failed;
    return reply.html(deleteSubscriptionPage({ csrfToken: request.uiSession!.csrfToken, tenant, subscription, undelivered }));
  });

  app.post(
    '/tenants/:tenantId/subscriptions/:id/delete',
    { schema: { hide: true, params: subscriptionParams }, preHandler: requireCsrf },
    async (request, reply) => {
      const { tenantId, id } = request.params;
      const { answer } = await forms.answer(
        () => subscriptions.remove(tenantId, id),
        () => redirectTo(`${subscriptionsUrl(tenantId)}?done=deleted#subscriptions`),
      );
      request.log.info({ tenantId, subscriptionId: id }, 'subscription deleted on the operator pages');
      return sendAnswer(reply, answer);
    },
  );
};
