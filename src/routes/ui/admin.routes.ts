import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { Queue } from 'bullmq';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { createApiKeyBody } from '../../contracts/admin.ts';
import { createUiUserBody, resetPasswordBody } from '../../contracts/ui-users.ts';
import {
  apiKeyPageParams,
  DELIVERIES_PAGE_SIZE,
  deliveriesPageQuery,
  passwordResetForm,
  RECONCILIATION_DRIFTS_PAGE_SIZE,
  reconciliationPageParams,
  reconciliationPageQuery,
  replayAllForm,
  replayForm,
  tenantForm,
  type TenantPageNotice,
  tenantPageParams,
  tenantPageQuery,
  uiUserForm,
  uiUserPageParams,
} from '../../contracts/ui.ts';
import type { Clock } from '../../domain/clock.ts';
import type { DeliveryState } from '../../domain/deliveries.ts';
import { generatePassword } from '../../domain/passwords.ts';
import { AppError } from '../../errors.ts';
import { sendAppError } from '../../plugins/problems.ts';
import { DASHBOARD_CSP, refuseCrossSite, uiSecurityHeaders } from '../../plugins/ui-security.ts';
import { acceptsPage, dashboardCsrfValid, LOGIN_PAGES, loadSession, offerDashboardCsrf, requireCsrf } from '../../plugins/ui-session.ts';
import type { AdminService } from '../../services/admin.service.ts';
import type { FormAnswers } from '../../services/answer-check.ts';
import type { IntegrationsService } from '../../services/integrations.service.ts';
import type { LevelsService } from '../../services/levels.service.ts';
import type { TenantSettingsService } from '../../services/tenant-settings.service.ts';
import type { SubscriptionsService } from '../../services/subscriptions.service.ts';
import type { OperationsService } from '../../services/operations.service.ts';
import type { ReconciliationsService } from '../../services/reconciliations.service.ts';
import type { SyncService } from '../../services/sync.service.ts';
import type { UiAuthService } from '../../services/ui-auth.service.ts';
import type { UiUsersService } from '../../services/ui-users.service.ts';
import { withTimeout } from '../../timeout.ts';
import { adminHomePage, deliveriesPage, deliveriesUrl, type QueueSummary } from '../../ui/pages/admin.page.ts';
import { reconciliationPage, reconciliationUrl, repairConfirmPage } from '../../ui/pages/reconciliations.page.ts';
import { newTenantPage, resetPasswordPage, revokeKeyPage, tenantNotice, tenantPage, tenantUrl } from '../../ui/pages/tenants.page.ts';
import type { FormState, ShownProblem, ShownSecrets } from '../../ui/kit.ts';
import { answerPage, type FormAnswer, parseForm, redirectTo, sendAnswer, stringFields } from './forms.ts';
import { uiSubscriptionsRoutes } from './subscriptions.routes.ts';
import { uiTenantSetupRoutes } from './tenant-setup.routes.ts';

const COUNTS_TIMEOUT_MS = 1500;
/** Reconciliations shown on the overview, newest first across tenants. */
const LATEST_RECONCILIATIONS = 10;

/**
 * Checks done by hand rather than by throwing: the dashboard plugin sets an
 * error handler of its own that would turn any thrown error into a 500.
 */
async function adminOnly(request: FastifyRequest, reply: FastifyReply) {
  if (!request.uiSession) {
    if (request.method === 'GET' && acceptsPage(request)) return reply.redirect(`${LOGIN_PAGES.admin}?next=${encodeURIComponent(request.url)}`, 303);
    return sendAppError(reply, new AppError('unauthorized', 'Sign in as an operator first'));
  }
  try {
    refuseCrossSite(request);
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    return sendAppError(reply, err);
  }
}

/** True when a NUL character is anywhere in a parsed body or query, keys included. */
function holdsNul(value: unknown): boolean {
  if (typeof value === 'string') return value.includes('\u0000');
  if (value === null || typeof value !== 'object') return false;
  return Object.entries(value).some(([key, inner]) => key.includes('\u0000') || holdsNul(inner));
}

/**
 * The dashboard's request validation joins its messages with NUL characters and
 * quotes the refused value in them, so a NUL in a bad value made it answer 500.
 * Such input is refused here first.
 */
async function refuseNul(request: FastifyRequest, reply: FastifyReply) {
  if (!holdsNul(request.query) && !holdsNul(request.body)) return;
  return sendAppError(reply, new AppError('validation', 'The request holds a NUL character'));
}

/**
 * The dashboard's state-changing calls carry the session's CSRF token like
 * every form here, through its HTTP client's own cookie-to-header mechanism
 * (ui-session.ts, offerDashboardCsrf); its pages get the cookie.
 */
async function dashboardCsrf(request: FastifyRequest, reply: FastifyReply) {
  if (!dashboardCsrfValid(request)) {
    return sendAppError(reply, new AppError('forbidden', 'This request did not carry the dashboard token; reload the dashboard and try again'));
  }
  offerDashboardCsrf(request, reply);
}

/** The queue dashboard (bull-board) for operators, its font link removed: every asset must come from this service. */
async function queueDashboard(scope: FastifyInstance, queues: Queue[]) {
  uiSecurityHeaders(scope, DASHBOARD_CSP);
  scope.addHook('onRequest', dashboardCsrf);
  scope.addHook('preHandler', refuseNul);
  scope.addHook('onSend', async (_request, reply, payload) => {
    if (typeof payload !== 'string' || !String(reply.getHeader('content-type') ?? '').includes('text/html')) return payload;
    return payload.replace(/<link[^>]+href="https:\/\/[^"]*"[^>]*>/g, '');
  });
  const serverAdapter = new FastifyAdapter();
  createBullBoard({
    queues: queues.map((queue) => new BullMQAdapter(queue)),
    serverAdapter,
    options: { uiConfig: { boardTitle: 'Engage Points queues', miscLinks: [{ text: 'Operations overview', url: '/ui/admin' }] } },
  });
  serverAdapter.setBasePath('/ui/admin/queues');
  await scope.register(serverAdapter.registerPlugin());
}

/**
 * A refusal the operator can fix in the form (bad input, a name taken) as the
 * form shows it, its status kept; anything else is thrown on to the error pages.
 * A conflict is said next to the field whose value is taken.
 */
function formRefusal(err: unknown, values: Record<string, string>, takenField: string): { status: number; form: FormState } {
  if (!(err instanceof AppError) || (err.code !== 'validation' && err.code !== 'conflict')) throw err;
  const errors = err.code === 'conflict' ? [{ path: takenField, message: 'is taken: choose another' }] : err.errors;
  return { status: err.status, form: { values, problem: { title: err.title, detail: err.message, errors } } };
}

/** What the tenant page reads: through the request's pool, or inside a form's transaction (formAnswers). */
interface TenantPageServices {
  admin: AdminService;
  uiUsers: UiUsersService;
  integrations: IntegrationsService;
}

/** The services a form post of the operator pages answers with, inside its transaction. */
export interface AdminFormServices extends TenantPageServices {
  levels: LevelsService;
  settings: TenantSettingsService;
  subscriptions: SubscriptionsService;
}

const afterChange = (tenantId: string, done: TenantPageNotice, id?: string) =>
  `${tenantUrl(tenantId)}?${new URLSearchParams({ done, ...(id ? { id } : {}) }).toString()}`;

/** Operator pages under /ui/admin, for sessions opened with the admin token. */
export const uiAdminRoutes: FastifyPluginAsyncZod<{
  auth: UiAuthService;
  admin: AdminService;
  users: UiUsersService;
  sync: SyncService;
  integrations: IntegrationsService;
  reconciliations: ReconciliationsService;
  operations: OperationsService;
  settings: TenantSettingsService;
  levels: LevelsService;
  subscriptions: SubscriptionsService;
  forms: FormAnswers<AdminFormServices>;
  queues: Queue[];
  clock: Clock;
}> = async (app, { auth, admin, users, sync, integrations, reconciliations, operations, settings, levels, subscriptions, forms, queues, clock }) => {
  app.addHook('onRequest', loadSession(auth, 'admin'));
  app.addHook('onRequest', adminOnly);

  app.get('/', { schema: { hide: true } }, async (request, reply) => {
    const summaries: QueueSummary[] = await Promise.all(
      queues.map(async (queue) => ({
        name: queue.name,
        counts: await withTimeout(queue.getJobCounts('waiting', 'active', 'delayed', 'failed'), COUNTS_TIMEOUT_MS, 'queue counts timed out').catch(() => null),
      })),
    );
    const [overview, latest, latestCompleted] = await Promise.all([
      operations.overview(),
      reconciliations.latest(LATEST_RECONCILIATIONS),
      reconciliations.latestCompletedByTenant(),
    ]);
    const syncStates = await sync.overview(overview.tenants.map((row) => row.tenant.id));
    const body = adminHomePage({ csrfToken: request.uiSession!.csrfToken, queues: summaries, overview, syncStates, reconciliations: latest, latestCompleted });
    return reply.html(body);
  });

  app.get(
    '/reconciliations/:tenantId/:id',
    { schema: { hide: true, params: reconciliationPageParams, querystring: reconciliationPageQuery } },
    async (request, reply) => {
      const { tenantId, id } = request.params;
      const { kind, offset, repairedBy } = request.query;
      const tenant = await admin.requireTenant(tenantId);
      const found = await reconciliations.showForTenant(tenantId, id, { kind }, { offset, count: RECONCILIATION_DRIFTS_PAGE_SIZE });
      const body = reconciliationPage({ csrfToken: request.uiSession!.csrfToken, now: clock.now(), tenant, kind, offset, repairedBy, ...found });
      return reply.html(body);
    },
  );

  /** "Repair these accounts": a page that asks first, then a repair reconciliation of the drifted accounts through the API's own service. */
  app.get('/reconciliations/:tenantId/:id/repair', { schema: { hide: true, params: reconciliationPageParams } }, async (request, reply) => {
    const { tenantId, id } = request.params;
    const tenant = await admin.requireTenant(tenantId);
    const reconciliation = await reconciliations.get(tenantId, id);
    return reply.html(repairConfirmPage({ csrfToken: request.uiSession!.csrfToken, now: clock.now(), tenant, reconciliation }));
  });

  app.post(
    '/reconciliations/:tenantId/:id/repair',
    { schema: { hide: true, params: reconciliationPageParams }, preHandler: requireCsrf },
    async (request, reply) => {
      const { tenantId, id } = request.params;
      const tenant = await admin.requireTenant(tenantId);
      // Each step of the repair commits; every one answers with the same repair's id.
      const { answer, returned: repair } = await forms.answer(
        () => reconciliations.repairDrifted(tenant, id),
        (step: { id: string }) => redirectTo(`${reconciliationUrl({ tenantId, id })}?${new URLSearchParams({ repairedBy: step.id }).toString()}`),
      );
      request.log.info({ tenantId, reconciliationId: id, repairId: repair.id }, 'repair of drifted accounts started on the operator pages');
      return sendAnswer(reply, answer);
    },
  );

  async function showDeliveries(
    request: FastifyRequest,
    reply: FastifyReply,
    view: { tenantId?: string | undefined; state?: DeliveryState | undefined; offset: number; notice?: string | null; problem?: ShownProblem | null },
    status = 200,
  ) {
    const all = await admin.listTenants();
    const tenant = all.find((t) => t.id === view.tenantId) ?? null;
    const list = tenant ? await integrations.listDeliveries(tenant.id, { state: view.state, offset: view.offset, count: DELIVERIES_PAGE_SIZE }) : null;
    const body = deliveriesPage({
      csrfToken: request.uiSession!.csrfToken,
      now: clock.now(),
      tenants: all,
      tenant,
      state: view.state,
      list,
      notice: view.notice,
      problem: view.problem,
    });
    return reply.html(body, status);
  }

  app.get('/deliveries', { schema: { hide: true, querystring: deliveriesPageQuery } }, async (request, reply) => {
    const { tenant, state, offset, replayed, replayedAll } = request.query;
    const notice =
      replayed !== undefined
        ? `Delivery ${replayed} is queued to be sent again with a fresh retry schedule.`
        : replayedAll !== undefined
          ? `${replayedAll} failed deliver${replayedAll === 1 ? 'y is' : 'ies are'} queued to be sent again.`
          : null;
    return showDeliveries(request, reply, { tenantId: tenant || undefined, state, offset, notice });
  });

  /** Replays answer on the list itself: a redirect back on success, the list with the problem on a refusal (409 while it is being sent). */
  async function replay(request: FastifyRequest, reply: FastifyReply, tenantId: string, run: () => Promise<{ answer: FormAnswer }>) {
    try {
      return sendAnswer(reply, (await run()).answer);
    } catch (err) {
      if (!(err instanceof AppError) || err.status >= 500) throw err;
      return showDeliveries(request, reply, { tenantId, offset: 0, problem: { title: err.title, detail: err.message } }, err.status);
    }
  }

  app.post('/deliveries/replay', { schema: { hide: true }, preHandler: requireCsrf }, async (request, reply) => {
    const { tenantId, id } = parseForm(replayForm, request.body, 'replay');
    return replay(request, reply, tenantId, () =>
      forms.answer(
        () => integrations.replayDelivery(tenantId, id),
        () => redirectTo(`${deliveriesUrl({ tenantId })}&replayed=${id}`),
      ),
    );
  });

  app.post('/deliveries/replay-failed', { schema: { hide: true }, preHandler: requireCsrf }, async (request, reply) => {
    const { tenantId } = parseForm(replayAllForm, request.body, 'replay');
    return replay(request, reply, tenantId, () =>
      forms.answer(
        () => integrations.replayFailed(tenantId),
        ({ replayed }) => redirectTo(`${deliveriesUrl({ tenantId })}&replayedAll=${replayed}`),
      ),
    );
  });

  /**
   * Tenants, their API keys and their contact card users, through the same
   * service calls (and so the same rules) as the admin API. A new key or a
   * generated password is shown once, on the page answering the form: never
   * in an address, and never stored by the browser (no-store).
   */
  app.get('/tenants/new', { schema: { hide: true } }, async (request, reply) => reply.html(newTenantPage({ csrfToken: request.uiSession!.csrfToken })));

  app.post('/tenants', { schema: { hide: true }, preHandler: requireCsrf }, async (request, reply) => {
    const values = stringFields(request.body);
    try {
      const input = parseForm(tenantForm, values, 'tenant');
      const { answer, returned: created } = await forms.answer(
        () => admin.createTenant(input),
        (tenant) => redirectTo(afterChange(tenant.id, 'tenant-created')),
      );
      request.log.info({ tenantId: created.id, tenantName: created.name }, 'tenant created on the operator pages');
      return sendAnswer(reply, answer);
    } catch (err) {
      const { status, form } = formRefusal(err, values, 'name');
      return reply.html(newTenantPage({ csrfToken: request.uiSession!.csrfToken, form }), status);
    }
  });

  /** The tenant page, read through `services`: the pool's, or those of the transaction a form commits in. */
  async function tenantPageOf(
    services: TenantPageServices,
    request: FastifyRequest,
    tenantId: string,
    view: { notice?: { done?: TenantPageNotice | undefined; id?: string | undefined }; secrets?: ShownSecrets; keyForm?: FormState; userForm?: FormState },
    status = 200,
  ): Promise<FormAnswer> {
    const tenant = await services.admin.requireTenant(tenantId);
    // One after another: inside a form's transaction the reads share its one connection.
    const keys = await services.admin.listApiKeys(tenantId);
    const userList = await services.uiUsers.list(tenantId);
    const webhook = await services.integrations.findWebhookUrl(tenantId);
    const { notice: done, ...shownForms } = view;
    const notice = tenantNotice(done?.done, done?.id, keys, userList);
    const body = tenantPage({ csrfToken: request.uiSession!.csrfToken, tenant, keys, users: userList, webhookUrl: webhook, notice, ...shownForms });
    return answerPage(body, { status, noStore: view.secrets !== undefined });
  }

  const poolServices: TenantPageServices = { admin, uiUsers: users, integrations };
  const showTenant = async (request: FastifyRequest, reply: FastifyReply, tenantId: string, view: Parameters<typeof tenantPageOf>[3], status = 200) =>
    sendAnswer(reply, await tenantPageOf(poolServices, request, tenantId, view, status));

  app.get('/tenants/:tenantId', { schema: { hide: true, params: tenantPageParams, querystring: tenantPageQuery } }, async (request, reply) =>
    showTenant(request, reply, request.params.tenantId, { notice: request.query }),
  );

  app.post('/tenants/:tenantId/api-keys', { schema: { hide: true, params: tenantPageParams }, preHandler: requireCsrf }, async (request, reply) => {
    const { tenantId } = request.params;
    const values = stringFields(request.body);
    let done: { answer: FormAnswer; returned: { id: string } };
    try {
      const { name } = parseForm(createApiKeyBody, values, 'API key');
      done = await forms.answer(
        () => admin.createApiKey(tenantId, name),
        (created, services) =>
          tenantPageOf(services, request, tenantId, {
            secrets: { title: `API key “${created.name}” created`, values: [{ label: 'The key, for the point master (header apikey):', value: created.key }] },
          }),
      );
    } catch (err) {
      const { status, form } = formRefusal(err, values, 'name');
      return showTenant(request, reply, tenantId, { keyForm: form }, status);
    }
    request.log.info({ tenantId, apiKeyId: done.returned.id }, 'API key created on the operator pages');
    return sendAnswer(reply, done.answer);
  });

  app.get('/tenants/:tenantId/api-keys/:id/revoke', { schema: { hide: true, params: apiKeyPageParams } }, async (request, reply) => {
    const { tenantId, id } = request.params;
    const tenant = await admin.requireTenant(tenantId);
    const key = (await admin.listApiKeys(tenantId)).find((k) => k.id === id);
    if (!key) throw new AppError('not_found', `API key ${id} not found`);
    if (key.revokedAt) return reply.redirect(afterChange(tenantId, 'key-revoked', id), 303);
    return reply.html(revokeKeyPage({ csrfToken: request.uiSession!.csrfToken, tenant, key }));
  });

  app.post('/tenants/:tenantId/api-keys/:id/revoke', { schema: { hide: true, params: apiKeyPageParams }, preHandler: requireCsrf }, async (request, reply) => {
    const { tenantId, id } = request.params;
    const { answer } = await forms.answer(
      () => admin.revokeApiKey(tenantId, id),
      () => redirectTo(afterChange(tenantId, 'key-revoked', id)),
    );
    request.log.info({ tenantId, apiKeyId: id }, 'API key revoked on the operator pages');
    return sendAnswer(reply, answer);
  });

  /** The typed password, or a generated one when the field was left empty (then shown once). */
  const chosenPassword = (typed: string) => (typed === '' ? { password: generatePassword(), generated: true } : { password: typed, generated: false });

  app.post('/tenants/:tenantId/users', { schema: { hide: true, params: tenantPageParams }, preHandler: requireCsrf }, async (request, reply) => {
    const { tenantId } = request.params;
    const values = stringFields(request.body);
    let done: { answer: FormAnswer; returned: { id: string } };
    try {
      const form = parseForm(uiUserForm, values, 'user');
      const { password, generated } = chosenPassword(form.password);
      const input = parseForm(createUiUserBody, { ...form, password }, 'user');
      done = await forms.answer(
        () => users.create(tenantId, input),
        async (created, services) => {
          if (!generated) return redirectTo(afterChange(tenantId, 'user-created', created.id));
          const tenant = await services.admin.requireTenant(tenantId);
          const secrets = {
            title: `User ${created.username} created`,
            values: [{ label: `The password, for signing in at /ui/login as ${created.username} of ${tenant.name}:`, value: password }],
          };
          return tenantPageOf(services, request, tenantId, { secrets });
        },
      );
    } catch (err) {
      const { status, form } = formRefusal(err, values, 'username');
      return showTenant(request, reply, tenantId, { userForm: form }, status);
    }
    request.log.info({ tenantId, userId: done.returned.id }, 'contact card user created on the operator pages');
    return sendAnswer(reply, done.answer);
  });

  for (const [what, done] of [
    ['disable', 'user-disabled'],
    ['enable', 'user-enabled'],
  ] as const) {
    app.post(`/tenants/:tenantId/users/:id/${what}`, { schema: { hide: true, params: uiUserPageParams }, preHandler: requireCsrf }, async (request, reply) => {
      const { tenantId, id } = request.params;
      const { answer } = await forms.answer(
        () => users[what](tenantId, id),
        () => redirectTo(afterChange(tenantId, done, id)),
      );
      request.log.info({ tenantId, userId: id }, `contact card user ${done.slice('user-'.length)} on the operator pages`);
      return sendAnswer(reply, answer);
    });
  }

  app.get('/tenants/:tenantId/users/:id/password', { schema: { hide: true, params: uiUserPageParams } }, async (request, reply) => {
    const { tenantId, id } = request.params;
    const [tenant, user] = await Promise.all([admin.requireTenant(tenantId), users.get(tenantId, id)]);
    return reply.html(resetPasswordPage({ csrfToken: request.uiSession!.csrfToken, tenant, user }));
  });

  app.post('/tenants/:tenantId/users/:id/password', { schema: { hide: true, params: uiUserPageParams }, preHandler: requireCsrf }, async (request, reply) => {
    const { tenantId, id } = request.params;
    const values = stringFields(request.body);
    let answer: FormAnswer;
    try {
      const { password, generated } = chosenPassword(parseForm(passwordResetForm, values, 'password').password);
      const checked = parseForm(resetPasswordBody, { password }, 'password').password;
      ({ answer } = await forms.answer(
        () => users.resetPassword(tenantId, id, checked),
        (user, services) =>
          generated
            ? tenantPageOf(services, request, tenantId, {
                secrets: { title: `New password for ${user.username}`, values: [{ label: 'The password, for the next sign-in:', value: password }] },
              })
            : redirectTo(afterChange(tenantId, 'password-reset', id)),
      ));
    } catch (err) {
      const { status, form } = formRefusal(err, values, 'password');
      const [tenant, shown] = await Promise.all([admin.requireTenant(tenantId), users.get(tenantId, id)]);
      return reply.html(resetPasswordPage({ csrfToken: request.uiSession!.csrfToken, tenant, user: shown, form }), status);
    }
    request.log.info({ tenantId, userId: id }, 'contact card password reset on the operator pages');
    return sendAnswer(reply, answer);
  });

  await app.register(uiTenantSetupRoutes, { admin, settings, integrations, levels, forms });
  await app.register(uiSubscriptionsRoutes, { admin, subscriptions, forms });

  await app.register(async (scope) => queueDashboard(scope, queues), { prefix: '/queues' });
};
