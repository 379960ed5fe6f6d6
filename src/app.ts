import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyBaseLogger, type FastifyReply, type FastifyRequest } from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { registerQueueMetrics } from './metrics/queue-metrics.ts';
import { registerSyncMetrics } from './metrics/sync-metrics.ts';
import { answersBeforeCommitPlugin } from './plugins/answers-before-commit.ts';
import { adminAuth, tenantAuth } from './plugins/auth.ts';
import { limitAuthFailures } from './plugins/auth-failures.ts';
import { docsPlugin } from './plugins/docs.ts';
import { htmlReplyPlugin } from './plugins/html-reply.ts';
import { jsonBodyPlugin } from './plugins/json-body.ts';
import { frameworkErrors, problemsPlugin } from './plugins/problems.ts';
import { rateLimitPerKey } from './plugins/rate-limit.ts';
import { adminContactsRoutes } from './routes/admin/contacts.routes.ts';
import { adminIntegrationsRoutes } from './routes/admin/integrations.routes.ts';
import { adminSubscriptionsRoutes } from './routes/admin/subscriptions.routes.ts';
import { adminSyncRoutes } from './routes/admin/sync.routes.ts';
import { adminLevelsRoutes } from './routes/admin/levels.routes.ts';
import { adminReconciliationsRoutes } from './routes/admin/reconciliations.routes.ts';
import { adminLedgerRoutes } from './routes/admin/ledger.routes.ts';
import { adminTenantSettingsRoutes } from './routes/admin/tenant-settings.routes.ts';
import { adminTenantsRoutes } from './routes/admin/tenants.routes.ts';
import { adminUiUsersRoutes } from './routes/admin/ui-users.routes.ts';
import { adjustmentsRoutes } from './routes/api/adjustments.routes.ts';
import { balancesRoutes } from './routes/api/balances.routes.ts';
import { batchStatusRoutes } from './routes/api/batch-status.routes.ts';
import { contactsRoutes } from './routes/api/contacts.routes.ts';
import { memberLevelsRoutes } from './routes/api/member-levels.routes.ts';
import { pointAccountsRoutes } from './routes/api/point-accounts.routes.ts';
import { pointReadsV3Routes } from './routes/api/point-reads-v3.routes.ts';
import { pointsLogRoutes } from './routes/api/points-log.routes.ts';
import { contactDetailsRoutes } from './routes/api/contact-details.routes.ts';
import { syncRoutes } from './routes/api/sync.routes.ts';
import { reconciliationsRoutes } from './routes/api/reconciliations.routes.ts';
import { digestsRoutes } from './routes/api/digests.routes.ts';
import { transactionsPushRoutes, transactionsRoutes } from './routes/api/transactions.routes.ts';
import { healthRoutes } from './routes/health.routes.ts';
import { homeRoutes } from './routes/home.routes.ts';
import { metricsRoutes } from './routes/metrics.routes.ts';
import { uiRoutes } from './routes/ui/ui.routes.ts';
import type { Runtime } from './runtime.ts';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** API answers are per tenant, and some show a secret once (a new API key, webhook secrets): no cache may keep them. */
async function noStore(_request: FastifyRequest, reply: FastifyReply) {
  reply.header('cache-control', 'no-store');
}

/** Builds the API over a runtime (runtime.ts). It never listens: server.ts does, tests use inject or their own port. */
export async function buildApp(runtime: Runtime) {
  const { config, services } = runtime;
  const queues = [runtime.ingestQueue, runtime.webhookQueue, runtime.reconciliationQueue, runtime.eventsQueue];
  // Typed as Fastify's logger so the app keeps Fastify's default logger type parameter.
  const loggerInstance: FastifyBaseLogger = runtime.log;
  const app = Fastify({
    loggerInstance,
    bodyLimit: config.http.bodyLimit,
    trustProxy: config.http.trustProxy.length > 0 ? config.http.trustProxy : false,
    // A client that trickles its headers or body holds a connection for as long as it likes without these.
    requestTimeout: config.http.requestTimeoutMs,
    keepAliveTimeout: config.http.keepAliveTimeoutMs,
    http: {
      headersTimeout: config.http.headersTimeoutMs,
      // Node looks for timed-out requests at this interval (30 s by default), so it bounds how late a timeout fires.
      connectionsCheckingInterval: Math.min(1000, config.http.headersTimeoutMs),
    },
    // A client's x-request-id is taken only when it is a short id of safe characters: it goes into every log line.
    requestIdHeader: false,
    genReqId: (request) => {
      const sent = request.headers['x-request-id'];
      return typeof sent === 'string' && REQUEST_ID.test(sent) ? sent : randomUUID();
    },
    frameworkErrors,
  }).withTypeProvider<ZodTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
    // JSON is never to be read as anything else.
    reply.header('x-content-type-options', 'nosniff');
  });

  await app.register(problemsPlugin);
  await app.register(jsonBodyPlugin);
  await app.register(htmlReplyPlugin);
  // Before every route: a write's answer is checked before its COMMIT.
  await app.register(answersBeforeCommitPlugin);
  await app.register(metricsRoutes, { metrics: runtime.metrics });
  registerQueueMetrics(
    runtime.metrics,
    queues,
    () => runtime.clock.now(),
    async () => (await runtime.db.batches.backlog()).total,
  );
  registerSyncMetrics(runtime.metrics, services.sync);
  await app.register(docsPlugin, { includeAdmin: config.docs.includeAdmin });
  await app.register(homeRoutes);
  await app.register(healthRoutes, { probes: { postgres: () => runtime.pool.query('SELECT 1'), redis: () => runtime.redis.ping() } });

  const authFailures = { redis: runtime.redis, prefix: config.limits.keyPrefix, policy: config.limits.authFailures };
  // The tenant API: no caching, failed keys limited per address, the API key, a rate limit per key (one budget across prefixes), then the routes.
  type Api = typeof app;
  const tenantApi = (routes: (api: Api) => Promise<void>) => async (api: Api) => {
    api.decorateRequest('tenant', null as never);
    api.addHook('onSend', noStore);
    api.addHook('onRequest', limitAuthFailures({ ...authFailures, scope: 'api' }, tenantAuth(services.admin.tenantForApiKey)));
    if (config.limits.ratePerSecond > 0) await rateLimitPerKey(api, runtime.redis, config.limits.ratePerSecond, config.limits.keyPrefix);
    await routes(api);
  };
  const { maxBatchItems } = config.limits;
  // The pushes and their status endpoints: Engage's newer documentation names /api/v3 for them, so they answer there too, identically.
  const pushRoutes = async (api: Api) => {
    await api.register(balancesRoutes, { balances: services.balances, maxBatchItems });
    await api.register(transactionsPushRoutes, { transactions: services.transactions, maxBatchItems });
    await api.register(batchStatusRoutes, { balances: services.balances });
    await api.register(contactDetailsRoutes, { contacts: services.contacts, maxBatchItems });
  };
  await app.register(
    tenantApi(async (api) => {
      await pushRoutes(api);
      await api.register(transactionsRoutes, { transactions: services.transactions });
      await api.register(syncRoutes, { sync: services.sync });
      await api.register(pointAccountsRoutes, { accounts: services.pointAccounts });
      await api.register(adjustmentsRoutes, { adjustments: services.adjustments });
      await api.register(pointsLogRoutes, { pointsLog: services.pointsLog });
      await api.register(contactsRoutes, { contactPoints: services.contactPoints });
      await api.register(memberLevelsRoutes, { levels: services.levels });
      await api.register(reconciliationsRoutes, { reconciliations: services.reconciliations, maxBatchItems });
      await api.register(digestsRoutes, { digests: services.digests });
    }),
    { prefix: '/api/v2' },
  );
  // Engage's current API: the same pushes, and the point reads in v3 shapes.
  await app.register(
    tenantApi(async (api) => {
      await pushRoutes(api);
      await api.register(pointReadsV3Routes, { accounts: services.pointAccounts, transactions: services.transactions });
    }),
    { prefix: '/api/v3' },
  );

  await app.register(
    async (admin) => {
      admin.addHook('onSend', noStore);
      admin.addHook('onRequest', limitAuthFailures({ ...authFailures, scope: 'admin' }, adminAuth(config.adminToken)));
      await admin.register(adminTenantsRoutes, { admin: services.admin });
      await admin.register(adminTenantSettingsRoutes, { settings: services.settings });
      await admin.register(adminLedgerRoutes, { ledger: services.ledger });
      await admin.register(adminContactsRoutes, { contacts: services.contacts });
      await admin.register(adminIntegrationsRoutes, { integrations: services.integrations });
      await admin.register(adminUiUsersRoutes, { users: services.uiUsers });
      await admin.register(adminSyncRoutes, { sync: services.sync });
      await admin.register(adminLevelsRoutes, { levels: services.levels });
      await admin.register(adminReconciliationsRoutes, { reconciliations: services.reconciliations });
      await admin.register(adminSubscriptionsRoutes, { subscriptions: services.subscriptions });
    },
    { prefix: '/admin/v1' },
  );

  await app.register(uiRoutes, {
    prefix: '/ui',
    auth: services.uiAuth,
    cards: services.cards,
    adjustments: services.adjustments,
    integrations: services.integrations,
    operations: services.operations,
    admin: services.admin,
    users: services.uiUsers,
    sync: services.sync,
    reconciliations: services.reconciliations,
    settings: services.settings,
    levels: services.levels,
    subscriptions: services.subscriptions,
    forms: runtime.forms,
    queues,
    sessionMaxAgeMs: config.ui.sessionMaxAgeMs,
    clock: runtime.clock,
  });

  return app;
}
