import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { Queue } from 'bullmq';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { TenantsRepository } from '../../db/tenants.repository.ts';
import { AppError } from '../../errors.ts';
import { DASHBOARD_CSP, refuseCrossSite, uiSecurityHeaders } from '../../plugins/ui-security.ts';
import { LOGIN_PAGES, loadSession } from '../../plugins/ui-session.ts';
import type { UiAuthService } from '../../services/ui-auth.service.ts';
import { withTimeout } from '../../timeout.ts';
import { adminHomePage, type QueueSummary } from '../../ui/pages/admin.page.ts';
import { wantsHtml } from './ui-errors.ts';

const COUNTS_TIMEOUT_MS = 1500;

/**
 * Checks done by hand rather than by throwing: the dashboard plugin sets an
 * error handler of its own that would turn any thrown error into a 500.
 */
async function adminOnly(request: FastifyRequest, reply: FastifyReply) {
  if (!request.uiSession) {
    if (request.method === 'GET' && wantsHtml(request)) return reply.redirect(`${LOGIN_PAGES.admin}?next=${encodeURIComponent(request.url)}`, 303);
    return reply.code(401).type('application/problem+json').send({ type: 'urn:point-follower:problem:unauthorized', title: 'Unauthorized', status: 401, detail: 'Sign in as an operator first' });
  }
  try {
    refuseCrossSite(request);
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    return reply.code(403).type('application/problem+json').send({ type: 'urn:point-follower:problem:forbidden', title: err.title, status: 403, detail: err.message });
  }
}

/** The queue dashboard (bull-board) for operators, its font link removed: every asset must come from this service. */
async function queueDashboard(scope: FastifyInstance, queues: Queue[]) {
  uiSecurityHeaders(scope, DASHBOARD_CSP);
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
export const uiAdminRoutes: FastifyPluginAsyncZod<{ auth: UiAuthService; tenants: TenantsRepository; queues: Queue[] }> = async (app, { auth, tenants, queues }) => {
  app.addHook('onRequest', loadSession(auth, 'admin'));
  app.addHook('onRequest', adminOnly);

  app.get('/', { schema: { hide: true } }, async (request, reply) => {
    const summaries: QueueSummary[] = await Promise.all(
      queues.map(async (queue) => ({
        name: queue.name,
        counts: await withTimeout(queue.getJobCounts('waiting', 'active', 'delayed', 'failed'), COUNTS_TIMEOUT_MS, 'queue counts timed out').catch(() => null),
      })),
    );
    const body = adminHomePage({ csrfToken: request.uiSession!.csrfToken, queues: summaries, tenants: await tenants.list() });
    return reply.type('text/html; charset=utf-8').send(body);
  });

  await app.register(async (scope) => queueDashboard(scope, queues), { prefix: '/queues' });
};
