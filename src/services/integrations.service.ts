import type { Database } from '../db/database.ts';
import type { DeliveryRecord } from '../db/deliveries.repository.ts';
import type { PointsLogSettings, WebhookSecrets } from '../db/integrations.repository.ts';
import type { Clock } from '../domain/clock.ts';
import { canReplay, type DeliveryState } from '../domain/deliveries.ts';
import { sealSecret, type SecretsKeyring } from '../domain/secrets.ts';
import { generateEncryptionKey, generateSigningSecret } from '../domain/webhook-crypto.ts';
import { AppError, notFound } from '../errors.ts';
import { requireTenant } from './guards.ts';
import type { QueueDeliveries } from './queueing.ts';
import { answerBeforeCommit, commitWithAnswer } from './answer-check.ts';
import type { PageRequest } from '../db/pages.ts';

const iso = (date: Date | null) => date?.toISOString() ?? null;

const toDelivery = (record: DeliveryRecord) => ({
  ...record,
  nextAttemptAt: iso(record.nextAttemptAt),
  lastAttemptAt: iso(record.lastAttemptAt),
  deliveredAt: iso(record.deliveredAt),
  createdAt: record.createdAt.toISOString(),
});

/** How operators connect a tenant to its point master, shared by the admin API and the CLI. */
export function integrationsService(deps: { db: Database; clock: Clock; keyring: SecretsKeyring; queueDeliveries: QueueDeliveries }) {
  const { db, clock, keyring, queueDeliveries: queue } = deps;
  const { integrations, deliveries } = db;
  const tenantOf = (tenantId: string) => requireTenant(db.tenants, tenantId);
  /** What the row stores: both webhook secrets sealed for this tenant (as they are without a SECRETS_KEY). */
  const sealedWebhookSecrets = (tenantId: string, secrets: WebhookSecrets): WebhookSecrets => ({
    encryptionKey: sealSecret(keyring, secrets.encryptionKey, { tenantId, column: 'webhook_encryption_key' }),
    signingSecret: sealSecret(keyring, secrets.signingSecret, { tenantId, column: 'webhook_signing_secret' }),
  });

  const webhookNotConfigured = (name: string) => new AppError('not_configured', `Tenant ${name} has no webhook yet; set its URL first (PUT .../webhook)`);

  return {
    /**
     * Sets the webhook URL. The first call also creates the encryption key and
     * signing secret and returns them: the only time they are shown. Adjustments
     * that waited for a webhook are sent now.
     */
    async setWebhook(tenantId: string, url: string) {
      await tenantOf(tenantId);
      const offered = { encryptionKey: generateEncryptionKey(), signingSecret: generateSigningSecret() };
      const now = clock.now();
      // Adjustments waiting for a webhook become Pending in the transaction that gives the tenant one.
      const { answer, released } = await db.transaction(async (tx) => {
        const secretsCreated = await tx.integrations.setWebhookUrl(tenantId, url, sealedWebhookSecrets(tenantId, offered), now);
        const released = await tx.deliveries.releaseAwaiting(tenantId, now);
        return { answer: await answerBeforeCommit(tx, { url, ...(secretsCreated ? offered : {}), releasedDeliveries: released.length }), released };
      });
      await queue(released);
      return answer;
    },

    /** The webhook URL, or null before one is set (for pages that show it beside other settings). */
    async findWebhookUrl(tenantId: string): Promise<string | null> {
      return (await integrations.findWebhook(tenantId))?.url ?? null;
    },

    async getWebhook(tenantId: string) {
      const tenant = await tenantOf(tenantId);
      const webhook = await integrations.findWebhook(tenantId);
      if (!webhook) throw webhookNotConfigured(tenant.name);
      return { url: webhook.url, secretsCreatedAt: webhook.secretsCreatedAt.toISOString() };
    },

    /** New key and secret, shown once. Deliveries not yet delivered are sent with the new ones from their next attempt on. */
    async rotateWebhookSecrets(tenantId: string) {
      const tenant = await tenantOf(tenantId);
      const secrets = { encryptionKey: generateEncryptionKey(), signingSecret: generateSigningSecret() };
      return commitWithAnswer(db, async (tx) => {
        if (!(await tx.integrations.rotateWebhookSecrets(tenantId, sealedWebhookSecrets(tenantId, secrets), clock.now())))
          throw webhookNotConfigured(tenant.name);
        return secrets;
      });
    },

    async setPointsLog(tenantId: string, settings: { urlTemplate: string; authHeader?: PointsLogSettings['authHeader'] | undefined }) {
      await tenantOf(tenantId);
      const authHeader = settings.authHeader ?? null;
      const stored = authHeader && {
        name: authHeader.name,
        value: sealSecret(keyring, authHeader.value, { tenantId, column: 'points_log_auth_header_value' }),
      };
      return commitWithAnswer(db, async (tx) => {
        await tx.integrations.setPointsLog(tenantId, { urlTemplate: settings.urlTemplate, authHeader: stored }, clock.now());
        return { urlTemplate: settings.urlTemplate, authHeaderName: authHeader?.name ?? null };
      });
    },

    async getPointsLog(tenantId: string) {
      const tenant = await tenantOf(tenantId);
      const settings = await integrations.findPointsLog(tenantId);
      if (!settings) throw new AppError('not_configured', `Tenant ${tenant.name} has no points-log URL yet`);
      return { urlTemplate: settings.urlTemplate, authHeaderName: settings.authHeader?.name ?? null };
    },

    async listDeliveries(tenantId: string, query: { state?: DeliveryState | undefined } & PageRequest) {
      await tenantOf(tenantId);
      const page = await deliveries.list(tenantId, query);
      return { items: page.items.map(toDelivery), totalCount: page.totalCount, offset: query.offset, count: query.count };
    },

    /** Sends one dead letter (or a delivery waiting for a retry) again now, with a fresh retry schedule. */
    async replayDelivery(tenantId: string, id: string) {
      await tenantOf(tenantId);
      const current = await deliveries.find(tenantId, id);
      if (!current) throw notFound(`Delivery ${id}`);
      if (!canReplay(current.state)) throw new AppError('conflict', `Delivery ${id} is ${current.state}; only Failed or Retrying deliveries can be replayed`);
      // The answer is read before queuing: once queued, a worker may deliver it before this answer is built.
      const { replayed, answer } = await db.transaction(async (tx) => {
        const replayed = await tx.deliveries.replay(tenantId, id, clock.now());
        if (!replayed) throw new AppError('conflict', `Delivery ${id} is being sent right now; look again in a moment`);
        const after = await tx.deliveries.find(tenantId, id);
        if (!after) throw notFound(`Delivery ${id}`);
        return { replayed, answer: await answerBeforeCommit(tx, toDelivery(after)) };
      });
      await queue([replayed]);
      return answer;
    },

    async replayFailed(tenantId: string) {
      await tenantOf(tenantId);
      const replayed = await db.transaction(async (tx) => {
        const replayed = await tx.deliveries.replayAllFailed(tenantId, clock.now());
        await answerBeforeCommit(tx, { replayed: replayed.length });
        return replayed;
      });
      await queue(replayed);
      return { replayed: replayed.length };
    },
  };
}

export type IntegrationsService = ReturnType<typeof integrationsService>;
