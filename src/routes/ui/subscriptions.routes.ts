import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { subscriptionForm, subscriptionParams, subscriptionsPageQuery } from '../../contracts/subscriptions.ts';
import { tenantPageParams } from '../../contracts/ui.ts';
import { AppError } from '../../errors.ts';
import { requireCsrf } from '../../plugins/ui-session.ts';
import type { AdminService } from '../../services/admin.service.ts';
import type { SubscriptionsService } from '../../services/subscriptions.service.ts';
import { deleteSubscriptionPage, subscriptionsPage, subscriptionsUrl, type SubscriptionsView } from '../../ui/pages/subscriptions.page.ts';
import type { ShownSecrets } from '../../ui/pages/tenant-setup.page.ts';
import { parseForm, stringFields } from './forms.ts';

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
export const uiSubscriptionsRoutes: FastifyPluginAsyncZod<{ admin: AdminService; subscriptions: SubscriptionsService }> = async (
  app,
  { admin, subscriptions },
) => {
  async function show(request: FastifyRequest, reply: FastifyReply, tenantId: string, extra: Partial<SubscriptionsView> = {}, status = 200) {
    const tenant = await admin.requireTenant(tenantId);
    // A tenant has a handful of subscribers; each outbox count is one indexed aggregate.
    const { items } = await subscriptions.list(tenantId);
    const rows = await Promise.all(items.map((item) => subscriptions.get(tenantId, item.id)));
    const body = subscriptionsPage({ csrfToken: request.uiSession!.csrfToken, tenant, subscriptions: rows, ...extra });
    if (extra.secrets) reply.header('cache-control', 'no-store');
    return reply.code(status).type('text/html; charset=utf-8').send(body);
  }

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
    let created: Awaited<ReturnType<SubscriptionsService['create']>>;
    try {
      created = await subscriptions.create(tenantId, parseForm(subscriptionForm, values, 'subscription'));
    } catch (err) {
      if (!(err instanceof AppError) || err.code !== 'validation') throw err;
      return show(request, reply, tenantId, { form: { values, problem: { title: err.title, detail: err.message, errors: err.errors } } }, err.status);
    }
    request.log.info({ tenantId, subscriptionId: created.id }, 'subscription created on the operator pages');
    return show(request, reply, tenantId, { secrets: secretShown('The subscriber is added: its signing secret', created.signingSecret) }, 201);
  });

  app.post(
    '/tenants/:tenantId/subscriptions/:id/rotate',
    { schema: { hide: true, params: subscriptionParams }, preHandler: requireCsrf },
    async (request, reply) => {
      const { tenantId, id } = request.params;
      const rotated = await subscriptions.rotateSecret(tenantId, id);
      request.log.info({ tenantId, subscriptionId: id }, 'subscription secret rotated on the operator pages');
      return show(request, reply, tenantId, {
        secrets: secretShown('A new signing secret: events not yet delivered are signed with it from their next attempt', rotated.signingSecret),
      });
    },
  );

  app.get('/tenants/:tenantId/subscriptions/:id/delete', { schema: { hide: true, params: subscriptionParams } }, async (request, reply) => {
    const { tenantId, id } = request.params;
    const [tenant, subscription] = await Promise.all([admin.requireTenant(tenantId), subscriptions.get(tenantId, id)]);
    // What goes with it: every outbox row not delivered yet.
    const undelivered = subscription.outbox.pending + subscription.outbox.retrying + subscription.outbox.failed;
    return reply.type('text/html; charset=utf-8').send(deleteSubscriptionPage({ csrfToken: request.uiSession!.csrfToken, tenant, subscription, undelivered }));
  });

  app.post(
    '/tenants/:tenantId/subscriptions/:id/delete',
    { schema: { hide: true, params: subscriptionParams }, preHandler: requireCsrf },
    async (request, reply) => {
      const { tenantId, id } = request.params;
      await subscriptions.remove(tenantId, id);
      request.log.info({ tenantId, subscriptionId: id }, 'subscription deleted on the operator pages');
      return reply.redirect(`${subscriptionsUrl(tenantId)}?done=deleted#subscriptions`, 303);
    },
  );
};
