import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { Queue } from 'bullmq';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import {
  DELIVERIES_PAGE_SIZE,
  deliveriesPageQuery,
  RECONCILIATION_DRIFTS_PAGE_SIZE,
  reconciliationPageParams,
  reconciliationPageQuery,
  replayAllForm,
  replayForm,
} from '../../contracts/ui.ts';
import type { Clock } from '../../domain/clock.ts';
import type { DeliveryState } from '../../domain/deliveries.ts';
import { AppError } from '../../errors.ts';
import { sendAppError } from '../../plugins/problems.ts';
import { DASHBOARD_CSP, refuseCrossSite, uiSecurityHeaders } from '../../plugins/ui-security.ts';
import { acceptsPage, dashboardCsrfValid, LOGIN_PAGES, loadSession, offerDashboardCsrf, requireCsrf } from '../../plugins/ui-session.ts';
import type { AdminService } from '../../services/admin.service.ts';
import type { IntegrationsService } from '../../services/integrations.service.ts';
import type { OperationsService } from '../../services/operations.service.ts';
import type { ReconciliationsService } from '../../services/reconciliations.service.ts';
import type { SyncService } from '../../services/sync.service.ts';
import type { UiAuthService } from '../../services/ui-auth.service.ts';
import { withTimeout } from '../../timeout.ts';
import { adminHomePage, deliveriesPage, deliveriesUrl, type QueueSummary } from '../../ui/pages/admin.page.ts';
import { reconciliationPage } from '../../ui/pages/reconciliations.page.ts';
import type { ShownProblem } from '../../ui/pages/layout.ts';
import { parseForm } from './forms.ts';

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

/** Operator pages under /ui/admin, for sessions opened with the admin token. */
export const uiAdminRoutes: FastifyPluginAsyncZod<{
  auth: UiAuthService;
  admin: AdminService;
  sync: SyncService;
  integrations: IntegrationsService;
  reconciliations: ReconciliationsService;
  operations: OperationsService;
  queues: Queue[];
  clock: Clock;
}> = async (app, { auth, admin, sync, integrations, reconciliations, operations, queues, clock }) => {
  app.addHook('onRequest', loadSession(auth, 'admin'));
  app.addHook('onRequest', adminOnly);

  app.get('/', { schema: { hide: true } }, async (request, reply) => {
    const summaries: QueueSummary[] = await Promise.all(
      queues.map(async (queue) => ({
        name: queue.name,
        counts: await withTimeout(queue.getJobCounts('waiting', 'active', 'delayed', 'failed'), COUNTS_TIMEOUT_MS, 'queue counts timed out').catch(() => null),
      })),
    );
    const [overview, latest] = await Promise.all([operations.overview(), reconciliations.latest(LATEST_RECONCILIATIONS)]);
    const syncStates = await sync.overview(overview.tenants.map((row) => row.tenant.id));
    const body = adminHomePage({ csrfToken: request.uiSession!.csrfToken, queues: summaries, overview, syncStates, reconciliations: latest });
    return reply.type('text/html; charset=utf-8').send(body);
  });

  app.get(
    '/reconciliations/:tenantId/:id',
    { schema: { hide: true, params: reconciliationPageParams, querystring: reconciliationPageQuery } },
    async (request, reply) => {
      const { tenantId, id } = request.params;
      const { kind, offset } = request.query;
      const tenant = await admin.requireTenant(tenantId);
      const found = await reconciliations.showForTenant(tenantId, id, { kind }, { offset, count: RECONCILIATION_DRIFTS_PAGE_SIZE });
      const body = reconciliationPage({ csrfToken: request.uiSession!.csrfToken, tenant, kind, offset, ...found });
      return reply.type('text/html; charset=utf-8').send(body);
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

  await app.register(async (scope) => queueDashboard(scope, queues), { prefix: '/queues' });
};
