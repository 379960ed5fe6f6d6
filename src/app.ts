import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyBaseLogger } from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { contactsRepository } from './db/contacts.repository.ts';
import { ledgerRepository } from './db/ledger.repository.ts';
import { pointAccountsRepository } from './db/point-accounts.repository.ts';
import { uiSessionsRepository } from './db/ui-sessions.repository.ts';
import { uiUsersRepository } from './db/ui-users.repository.ts';
import type { Deps } from './deps.ts';
import { adminAuth, tenantAuth } from './plugins/auth.ts';
import { docsPlugin } from './plugins/docs.ts';
import { jsonBodyPlugin } from './plugins/json-body.ts';
import { frameworkErrors, problemsPlugin } from './plugins/problems.ts';
import { rateLimitPerKey } from './plugins/rate-limit.ts';
import { adminContactsRoutes } from './routes/admin/contacts.routes.ts';
import { adminTenantSettingsRoutes } from './routes/admin/tenant-settings.routes.ts';
import { adminIntegrationsRoutes } from './routes/admin/integrations.routes.ts';
import { adminTenantsRoutes } from './routes/admin/tenants.routes.ts';
import { adminUiUsersRoutes } from './routes/admin/ui-users.routes.ts';
import { adjustmentsRoutes } from './routes/api/adjustments.routes.ts';
import { balancesRoutes } from './routes/api/balances.routes.ts';
import { batchStatusRoutes } from './routes/api/batch-status.routes.ts';
import { pointAccountsRoutes } from './routes/api/point-accounts.routes.ts';
import { transactionsRoutes } from './routes/api/transactions.routes.ts';
import { healthRoutes } from './routes/health.routes.ts';
import { metricsRoutes } from './routes/metrics.routes.ts';
import { uiRoutes } from './routes/ui/ui.routes.ts';
import { registerQueueMetrics } from './jobs/queue-metrics.ts';
import { adminService } from './services/admin.service.ts';
import { contactCardService } from './services/contact-card.service.ts';
import { contactsService } from './services/contacts.service.ts';
import { tenantSettingsService } from './services/tenant-settings.service.ts';
import { transactionsService } from './services/transactions.service.ts';
import { pointsLogRoutes } from './routes/api/points-log.routes.ts';
import { adjustmentsService } from './services/adjustments.service.ts';
import { queueDeliveriesBestEffort } from './services/delivery-queue.ts';
import { integrationsService } from './services/integrations.service.ts';
import { pointsLogService } from './services/points-log.service.ts';
import { uiAuthService } from './services/ui-auth.service.ts';
import { uiUsersService } from './services/ui-users.service.ts';

/** Builds the API. It never listens: server.ts does, tests use inject or their own port. */
export async function buildApp(deps: Deps) {
  const { config } = deps;
  const queueDeliveries = queueDeliveriesBestEffort(deps.webhookQueue, deps.log);
  const uiUsers = uiUsersRepository(deps.prisma);
  const uiSessions = uiSessionsRepository(deps.pool);
  // One instance each for the API and the contact card, which call them in-process.
  const adjustments = adjustmentsService({ ...deps, queueDeliveries });
  const pointsLog = pointsLogService({ ...deps, timeoutMs: config.pointsLog.timeoutMs });
  const integrations = integrationsService({ ...deps, queueDeliveries });
  const app = Fastify({
    loggerInstance: deps.log as FastifyBaseLogger,
    bodyLimit: config.http.bodyLimit,
    trustProxy: config.http.trustProxy,
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
    frameworkErrors,
  }).withTypeProvider<ZodTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });

  await app.register(problemsPlugin);
  await app.register(jsonBodyPlugin);
  await app.register(metricsRoutes, { metrics: deps.metrics });
  registerQueueMetrics(deps.metrics, [deps.ingestQueue, deps.webhookQueue], () => deps.clock.now());
  await app.register(docsPlugin);
  await app.register(healthRoutes, { deps });

  await app.register(
    async (api) => {
      api.decorateRequest('tenant', null as never);
      api.addHook('onRequest', tenantAuth(deps.tenants));
      if (config.limits.ratePerSecond > 0) await rateLimitPerKey(api, deps.redis, config.limits.ratePerSecond, config.queue.prefix);
      await api.register(balancesRoutes, { deps });
      await api.register(batchStatusRoutes, { deps });
      await api.register(transactionsRoutes, { deps, transactions: transactionsService(deps), ledger: ledgerRepository(deps.pool) });
      await api.register(pointAccountsRoutes, { deps, accounts: pointAccountsRepository(deps.pool) });
      await api.register(adjustmentsRoutes, { adjustments });
      await api.register(pointsLogRoutes, { pointsLog });
    },
    { prefix: '/api/v2' },
  );

  await app.register(
    async (admin) => {
      admin.addHook('onRequest', adminAuth(config.adminToken));
      await admin.register(adminTenantsRoutes, { admin: adminService(deps.tenants, deps.clock) });
      await admin.register(adminTenantSettingsRoutes, { settings: tenantSettingsService(deps.pool, deps.clock, deps.log) });
      await admin.register(adminContactsRoutes, { contacts: contactsService(deps.tenants, contactsRepository(deps.pool), deps.clock) });
      await admin.register(adminIntegrationsRoutes, { integrations });
      await admin.register(adminUiUsersRoutes, { users: uiUsersService({ tenants: deps.tenants, users: uiUsers, sessions: uiSessions, clock: deps.clock }) });
    },
    { prefix: '/admin/v1' },
  );

  const auth = uiAuthService({
    tenants: deps.tenants,
    users: uiUsers,
    sessions: uiSessions,
    clock: deps.clock,
    policy: { idleMs: config.ui.sessionIdleMs, maxAgeMs: config.ui.sessionMaxAgeMs },
    adminToken: config.adminToken,
  });
  const cards = contactCardService({
    accounts: pointAccountsRepository(deps.pool),
    ledger: ledgerRepository(deps.pool),
    tenants: deps.tenants,
    adjustments,
    pointsLog,
    clock: deps.clock,
  });
  await app.register(uiRoutes, {
    prefix: '/ui',
    auth,
    cards,
    adjustments,
    integrations,
    tenants: deps.tenants,
    queues: [deps.ingestQueue, deps.webhookQueue],
    sessionMaxAgeMs: config.ui.sessionMaxAgeMs,
    clock: deps.clock,
  });

  return app;
}

export type App = Awaited<ReturnType<typeof buildApp>>;
