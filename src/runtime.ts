import { ledgerService } from './services/ledger.service.ts';
import type { Queue } from 'bullmq';
import type { Dispatcher } from 'undici';
import type { Config } from './config.ts';
import { createDatabase, type Database } from './db/database.ts';
import { createPool, type Pool } from './db/pool.ts';
import { type Clock, systemClock } from './domain/clock.ts';
import { type SecretsKeyring, secretsKeyring } from './domain/secrets.ts';
import { scryptParams } from './domain/passwords.ts';
import { createOutboundAgent } from './integrations/outbound.ts';
import {
  createEventsQueue,
  createIngestQueue,
  createReconciliationQueue,
  createWebhookQueue,
  type EventsJobData,
  type IngestJobData,
  type ReconciliationJobData,
  type WebhookJobData,
} from './queue/queues.ts';
import type { Logger } from './logger.ts';
import { createMetrics, type Metrics } from './metrics/metrics.ts';
import { connectRedis, type RedisClient } from './redis.ts';
import { adjustmentsService } from './services/adjustments.service.ts';
import { adminService } from './services/admin.service.ts';
import { type FormAnswers, formAnswers } from './services/answer-check.ts';
import { backlogGuard } from './services/backlog.ts';
import { balancesService } from './services/balances.service.ts';
import { contactCardService } from './services/contact-card.service.ts';
import { operationsService } from './services/operations.service.ts';
import { contactPointsService } from './services/contact-points.service.ts';
import { contactsService } from './services/contacts.service.ts';
import { integrationsService } from './services/integrations.service.ts';
import { levelsService } from './services/levels.service.ts';
import { pointAccountsService } from './services/point-accounts.service.ts';
import { pointsLogService } from './services/points-log.service.ts';
import { queueBatchBestEffort, queueDeliveriesBestEffort, queueEventsBestEffort, queueReconciliationBestEffort } from './services/queueing.ts';
import { subscriptionsService } from './services/subscriptions.service.ts';
import { reconciliationsService } from './services/reconciliations.service.ts';
import { digestsService } from './services/digests.service.ts';
import { secretsService } from './services/secrets.service.ts';
import { syncService } from './services/sync.service.ts';
import { tenantSettingsService } from './services/tenant-settings.service.ts';
import { transactionsService } from './services/transactions.service.ts';
import { uiAuthService } from './services/ui-auth.service.ts';
import { uiUsersService } from './services/ui-users.service.ts';
import { withTimeout } from './timeout.ts';

/** The clients a process talks through, made once per process: Postgres, Redis and its queues, outbound HTTP. */
interface Clients {
  config: Config;
  log: Logger;
  clock: Clock;
  metrics: Metrics;
  pool: Pool;
  redis: RedisClient;
  ingestQueue: Queue<IngestJobData>;
  webhookQueue: Queue<WebhookJobData>;
  reconciliationQueue: Queue<ReconciliationJobData>;
  eventsQueue: Queue<EventsJobData>;
  /** Every call to a point master goes through this: it enforces the outbound address rules. */
  outbound: Dispatcher;
  /** The keys integration secrets are sealed and opened with (SECRETS_KEY, SECRETS_KEY_PREVIOUS). */
  secrets: SecretsKeyring;
}

function createClients(config: Config, log: Logger, clock: Clock): Clients {
  const pool = createPool(config.databaseUrl, config.db.poolSize, log);
  // Producers fail fast when Redis is away: the batch is already durable and the sweep queues it later.
  const redis = connectRedis(config, { maxRetriesPerRequest: 1, connectTimeout: 2000 });
  redis.on('error', (err) => log.warn({ err }, 'redis connection error'));
  return {
    config,
    log,
    clock,
    metrics: createMetrics(),
    pool,
    redis,
    ingestQueue: createIngestQueue(redis, config.queue.prefix, config.queue.attempts),
    webhookQueue: createWebhookQueue(redis, config.queue.prefix),
    reconciliationQueue: createReconciliationQueue(redis, config.queue.prefix, config.queue.attempts),
    eventsQueue: createEventsQueue(redis, config.queue.prefix),
    outbound: createOutboundAgent({ allowPrivate: config.outbound.allowPrivate }),
    secrets: secretsKeyring(config.secrets.key, config.secrets.previousKeys),
  };
}

/** Every service, each built once; routes, the CLI and the worker reach the database only through these and `db`. */
function createServices(clients: Clients, db: Database) {
  const { config, clock, log, secrets: keyring } = clients;
  const queueBatch = queueBatchBestEffort(clients.ingestQueue, log);
  const queueDeliveries = queueDeliveriesBestEffort(clients.webhookQueue, log);
  const queueEvents = queueEventsBestEffort(clients.eventsQueue, log);
  const admitToBacklog = backlogGuard({ db, limits: config.limits.backlog, metrics: clients.metrics });
  const adjustments = adjustmentsService({ db, clock, log, queueDeliveries });
  const levels = levelsService({ db, clock, log, queueDeliveries });
  const hashing = scryptParams(config.ui.testOnlyScryptLogN);
  const pointsLog = pointsLogService({ db, keyring, outbound: clients.outbound, timeoutMs: config.pointsLog.timeoutMs });
  return {
    admin: adminService({ db, clock }),
    settings: tenantSettingsService({ db, clock, log, queueEvents }),
    contacts: contactsService({ db, clock }),
    integrations: integrationsService({ db, clock, keyring, queueDeliveries }),
    secrets: secretsService({ db, keyring, log }),
    uiUsers: uiUsersService({ db, clock, hashing }),
    uiAuth: uiAuthService({
      db,
      clock,
      log,
      onTenantCeiling: (tenantId) => clients.metrics.signInCeilings.inc({ tenant: tenantId }),
      policy: { idleMs: config.ui.sessionIdleMs, maxAgeMs: config.ui.sessionMaxAgeMs },
      adminToken: config.adminToken,
      hashing,
    }),
    balances: balancesService({ db, clock, queueBatch, admitToBacklog }),
    transactions: transactionsService({ db, clock, log, queueBatch, admitToBacklog }),
    pointAccounts: pointAccountsService({ db, clock }),
    sync: syncService({ db, clock, gapAlertSeconds: config.sync.gapAlertSeconds }),
    adjustments,
    pointsLog,
    contactPoints: contactPointsService({ db, clock, log, pointsLog, adjustments }),
    cards: contactCardService({ db, clock, adjustments, pointsLog, levels }),
    levels,
    reconciliations: reconciliationsService({ db, clock, queueReconciliation: queueReconciliationBestEffort(clients.reconciliationQueue, log) }),
    digests: digestsService({ db, clock }),
    operations: operationsService({ db, clock }),
    ledger: ledgerService({ db, clock, metrics: clients.metrics }),
    subscriptions: subscriptionsService({ db, clock, keyring, queueEvents }),
  };
}

export type Services = ReturnType<typeof createServices>;

/** A process's whole graph: its clients, the repositories over its pool, and the services. */
export interface Runtime extends Clients {
  db: Database;
  services: Services;
  /** The HTML forms' answers, built inside the transaction that commits a form's work, with the services over it. */
  forms: FormAnswers<Services>;
}

/** The composition root: the API, the worker, the CLI and the tests all build their objects here. */
export function createRuntime(config: Config, log: Logger, clock: Clock = systemClock): Runtime {
  const clients = createClients(config, log, clock);
  const db = createDatabase(clients.pool);
  return { ...clients, db, services: createServices(clients, db), forms: formAnswers({ db, servicesOver: (tx) => createServices(clients, tx) }) };
}

const CLOSE_TIMEOUT_MS = 3000;

export async function closeRuntime(runtime: Runtime): Promise<void> {
  // With Redis unreachable, closing a queue would wait for it forever; Postgres must still close. A queue is
  // closed only once BullMQ has set its connection up: one closed while that is still under way (a short-lived
  // runtime that never used it) reports its failure later, on a connection nobody listens to, and the process dies.
  for (const queue of [runtime.ingestQueue, runtime.webhookQueue, runtime.reconciliationQueue, runtime.eventsQueue]) {
    const ready = queue.waitUntilReady().then(
      () => undefined,
      () => undefined,
    );
    await withTimeout(
      ready.then(() => queue.close()),
      CLOSE_TIMEOUT_MS,
      'queue close timed out',
    ).catch((err: unknown) => runtime.log.warn({ err, queue: queue.name }, 'closing the queue failed'));
  }
  await runtime.outbound.close();
  runtime.redis.disconnect();
  await runtime.pool.end();
}
