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
import type { ShownProblem } from '../../ui/pages/layout.ts';
import {
  type FormState,
  newTenantPage,
  resetPasswordPage,
  revokeKeyPage,
  type ShownSecret,
  tenantNotice,
  tenantPage,
  tenantUrl,
} from '../../ui/pages/tenants.page.ts';
import { parseForm, stringFields } from './forms.ts';
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

const sendPage = (reply: FastifyReply, body: string, status = 200) => reply.code(status).type('text/html; charset=utf-8').send(body);

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
  queues: Queue[];
  clock: Clock;
}> = async (app, { auth, admin, users, sync, integrations, reconciliations, operations, settings, levels, subscriptions, queues, clock }) => {
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
    return reply.type('text/html; charset=utf-8').send(body);
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
      return reply.type('text/html; charset=utf-8').send(body);
    },
  );

  /** "Repair these accounts": a page that asks first, then a repair reconciliation of the drifted accounts through the API's own service. */
  app.get('/reconciliations/:tenantId/:id/repair', { schema: { hide: true, params: reconciliationPageParams } }, async (request, reply) => {
    const { tenantId, id } = request.params;
    const tenant = await admin.requireTenant(tenantId);
    const reconciliation = await reconciliations.get(tenantId, id);
    return sendPage(reply, repairConfirmPage({ csrfToken: request.uiSession!.csrfToken, now: clock.now(), tenant, reconciliation }));
  });

  app.post(
    '/reconciliations/:tenantId/:id/repair',
    { schema: { hide: true, params: reconciliationPageParams }, preHandler: requireCsrf },
    async (request, reply) => {
      const { tenantId, id } = request.params;
      const tenant = await admin.requireTenant(tenantId);
      const repair = await reconciliations.repairDrifted(tenant, id);
      request.log.info({ tenantId, reconciliationId: id, repairId: repair.id }, 'repair of drifted accounts started on the operator pages');
      return reply.redirect(`${reconciliationUrl({ tenantId, id })}?${new URLSearchParams({ repairedBy: repair.id }).toString()}`, 303);
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
    return reply.code(status).type('text/html; charset=utf-8').send(body);
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
  async function replay(request: FastifyRequest, reply: FastifyReply, tenantId: string, run: () => Promise<string>) {
    try {
      return reply.redirect(await run(), 303);
    } catch (err) {
      if (!(err instanceof AppError) || err.status >= 500) throw err;
      return showDeliveries(request, reply, { tenantId, offset: 0, problem: { title: err.title, detail: err.message } }, err.status);
    }
  }

  app.post('/deliveries/replay', { schema: { hide: true }, preHandler: requireCsrf }, async (request, reply) => {
    const { tenantId, id } = parseForm(replayForm, request.body, 'replay');
    return replay(request, reply, tenantId, async () => {
      await integrations.replayDelivery(tenantId, id);
      return `${deliveriesUrl({ tenantId })}&replayed=${id}`;
    });
  });

  app.post('/deliveries/replay-failed', { schema: { hide: true }, preHandler: requireCsrf }, async (request, reply) => {
    const { tenantId } = parseForm(replayAllForm, request.body, 'replay');
    return replay(request, reply, tenantId, async () => {
      const { replayed } = await integrations.replayFailed(tenantId);
      return `${deliveriesUrl({ tenantId })}&replayedAll=${replayed}`;
    });
  });

  /**
   * Tenants, their API keys and their contact card users, through the same
   * service calls (and so the same rules) as the admin API. A new key or a
   * generated password is shown once, on the page answering the form: never
   * in an address, and never stored by the browser (no-store).
   */
  app.get('/tenants/new', { schema: { hide: true } }, async (request, reply) => sendPage(reply, newTenantPage({ csrfToken: request.uiSession!.csrfToken })));

  app.post('/tenants', { schema: { hide: true }, preHandler: requireCsrf }, async (request, reply) => {
    const values = stringFields(request.body);
    try {
      const created = await admin.createTenant(parseForm(tenantForm, values, 'tenant'));
      request.log.info({ tenantId: created.id, tenantName: created.name }, 'tenant created on the operator pages');
      return reply.redirect(afterChange(created.id, 'tenant-created'), 303);
    } catch (err) {
      const { status, form } = formRefusal(err, values, 'name');
      return sendPage(reply, newTenantPage({ csrfToken: request.uiSession!.csrfToken, form }), status);
    }
  });

  async function showTenant(
    request: FastifyRequest,
    reply: FastifyReply,
    tenantId: string,
    view: { notice?: { done?: TenantPageNotice | undefined; id?: string | undefined }; secret?: ShownSecret; keyForm?: FormState; userForm?: FormState },
    status = 200,
  ) {
    const tenant = await admin.requireTenant(tenantId);
    const [keys, userList, webhook] = await Promise.all([admin.listApiKeys(tenantId), users.list(tenantId), integrations.findWebhookUrl(tenantId)]);
    const { notice: done, ...forms } = view;
    const notice = tenantNotice(done?.done, done?.id, keys, userList);
    const body = tenantPage({ csrfToken: request.uiSession!.csrfToken, tenant, keys, users: userList, webhookUrl: webhook, notice, ...forms });
    // Said outright for the pages that hold a secret, whatever the scope's default.
    if (view.secret) reply.header('cache-control', 'no-store');
    return sendPage(reply, body, status);
  }

  app.get('/tenants/:tenantId', { schema: { hide: true, params: tenantPageParams, querystring: tenantPageQuery } }, async (request, reply) =>
    showTenant(request, reply, request.params.tenantId, { notice: request.query }),
  );

  app.post('/tenants/:tenantId/api-keys', { schema: { hide: true, params: tenantPageParams }, preHandler: requireCsrf }, async (request, reply) => {
    const { tenantId } = request.params;
    const values = stringFields(request.body);
    let created: Awaited<ReturnType<AdminService['createApiKey']>>;
    try {
      created = await admin.createApiKey(tenantId, parseForm(createApiKeyBody, values, 'API key').name);
    } catch (err) {
      const { status, form } = formRefusal(err, values, 'name');
      return showTenant(request, reply, tenantId, { keyForm: form }, status);
    }
    request.log.info({ tenantId, apiKeyId: created.id }, 'API key created on the operator pages');
    const secret = { title: `API key “${created.name}” created`, label: 'The key, for the point master (header apikey):', value: created.key };
    return showTenant(request, reply, tenantId, { secret });
  });

  app.get('/tenants/:tenantId/api-keys/:id/revoke', { schema: { hide: true, params: apiKeyPageParams } }, async (request, reply) => {
    const { tenantId, id } = request.params;
    const tenant = await admin.requireTenant(tenantId);
    const key = (await admin.listApiKeys(tenantId)).find((k) => k.id === id);
    if (!key) throw new AppError('not_found', `API key ${id} not found`);
    if (key.revokedAt) return reply.redirect(afterChange(tenantId, 'key-revoked', id), 303);
    return sendPage(reply, revokeKeyPage({ csrfToken: request.uiSession!.csrfToken, tenant, key }));
  });

  app.post('/tenants/:tenantId/api-keys/:id/revoke', { schema: { hide: true, params: apiKeyPageParams }, preHandler: requireCsrf }, async (request, reply) => {
    const { tenantId, id } = request.params;
    await admin.revokeApiKey(tenantId, id);
    request.log.info({ tenantId, apiKeyId: id }, 'API key revoked on the operator pages');
    return reply.redirect(afterChange(tenantId, 'key-revoked', id), 303);
  });

  /** The typed password, or a generated one when the field was left empty (then shown once). */
  const chosenPassword = (typed: string) => (typed === '' ? { password: generatePassword(), generated: true } : { password: typed, generated: false });

  app.post('/tenants/:tenantId/users', { schema: { hide: true, params: tenantPageParams }, preHandler: requireCsrf }, async (request, reply) => {
    const { tenantId } = request.params;
    const values = stringFields(request.body);
    let created: Awaited<ReturnType<UiUsersService['create']>>;
    let password: { password: string; generated: boolean };
    try {
      const form = parseForm(uiUserForm, values, 'user');
      password = chosenPassword(form.password);
      created = await users.create(tenantId, parseForm(createUiUserBody, { ...form, password: password.password }, 'user'));
    } catch (err) {
      const { status, form } = formRefusal(err, values, 'username');
      return showTenant(request, reply, tenantId, { userForm: form }, status);
    }
    request.log.info({ tenantId, userId: created.id }, 'contact card user created on the operator pages');
    if (!password.generated) return reply.redirect(afterChange(tenantId, 'user-created', created.id), 303);
    const tenant = await admin.requireTenant(tenantId);
    const secret = {
      title: `User ${created.username} created`,
      label: `The password, for signing in at /ui/login as ${created.username} of ${tenant.name}:`,
      value: password.password,
    };
    return showTenant(request, reply, tenantId, { secret });
  });

  for (const [what, done] of [
    ['disable', 'user-disabled'],
    ['enable', 'user-enabled'],
  ] as const) {
    app.post(`/tenants/:tenantId/users/:id/${what}`, { schema: { hide: true, params: uiUserPageParams }, preHandler: requireCsrf }, async (request, reply) => {
      const { tenantId, id } = request.params;
      await users[what](tenantId, id);
      request.log.info({ tenantId, userId: id }, `contact card user ${done.slice('user-'.length)} on the operator pages`);
      return reply.redirect(afterChange(tenantId, done, id), 303);
    });
  }

  app.get('/tenants/:tenantId/users/:id/password', { schema: { hide: true, params: uiUserPageParams } }, async (request, reply) => {
    const { tenantId, id } = request.params;
    const [tenant, user] = await Promise.all([admin.requireTenant(tenantId), users.get(tenantId, id)]);
    return sendPage(reply, resetPasswordPage({ csrfToken: request.uiSession!.csrfToken, tenant, user }));
  });

  app.post('/tenants/:tenantId/users/:id/password', { schema: { hide: true, params: uiUserPageParams }, preHandler: requireCsrf }, async (request, reply) => {
    const { tenantId, id } = request.params;
    const values = stringFields(request.body);
    let user: Awaited<ReturnType<UiUsersService['resetPassword']>>;
    let password: { password: string; generated: boolean };
    try {
      password = chosenPassword(parseForm(passwordResetForm, values, 'password').password);
      user = await users.resetPassword(tenantId, id, parseForm(resetPasswordBody, password, 'password').password);
    } catch (err) {
      const { status, form } = formRefusal(err, values, 'password');
      const [tenant, shown] = await Promise.all([admin.requireTenant(tenantId), users.get(tenantId, id)]);
      return sendPage(reply, resetPasswordPage({ csrfToken: request.uiSession!.csrfToken, tenant, user: shown, form }), status);
    }
    request.log.info({ tenantId, userId: id }, 'contact card password reset on the operator pages');
    if (!password.generated) return reply.redirect(afterChange(tenantId, 'password-reset', id), 303);
    const secret = { title: `New password for ${user.username}`, label: 'The password, for the next sign-in:', value: password.password };
    return showTenant(request, reply, tenantId, { secret });
  });

  await app.register(uiTenantSetupRoutes, { admin, settings, integrations, levels });
  await app.register(uiSubscriptionsRoutes, { admin, subscriptions });

  await app.register(async (scope) => queueDashboard(scope, queues), { prefix: '/queues' });
};
