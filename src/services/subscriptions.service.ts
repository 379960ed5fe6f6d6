import { randomUUID } from 'node:crypto';
import type { Database } from '../db/database.ts';
import type { SubscriptionRecord } from '../db/subscriptions.repository.ts';
import type { Clock } from '../domain/clock.ts';
import { openSecret, sealSecret, type SecretsKeyring, subscriptionSecretPlace } from '../domain/secrets.ts';
import { generateSigningSecret } from '../domain/webhook-crypto.ts';
import { AppError, notFound } from '../errors.ts';
import { answerBeforeCommit, commitWithAnswer } from './answer-check.ts';
import { requireTenant } from './guards.ts';
import type { PageRequest } from '../db/pages.ts';

export interface SubscriptionInput {
  url: string;
  events: string[];
  encrypted: boolean;
  batch: boolean;
}

/** What queues a pass over a subscription's due events (queue/queues.ts enqueueEvents, best effort). */
export type QueueEvents = (events: readonly { tenantId: string; subscriptionId: string }[]) => Promise<void>;

const shown = (record: SubscriptionRecord) => ({
  id: record.id,
  url: record.url,
  events: record.events,
  encrypted: record.encrypted,
  batch: record.batch,
  createdAt: record.createdAt.toISOString(),
  updatedAt: record.updatedAt.toISOString(),
});

/**
 * A tenant's subscribers to point.balance.updated, for the admin API, the CLI
 * and the operator pages; and what the sender needs of one.
 */
export function subscriptionsService(deps: { db: Database; clock: Clock; keyring: SecretsKeyring; queueEvents: QueueEvents }) {
  const { db, clock, keyring, queueEvents } = deps;
  const tenantOf = (tenantId: string) => requireTenant(db.tenants, tenantId);

  async function requireSubscription(tenantId: string, id: string): Promise<SubscriptionRecord> {
    const found = await db.subscriptions.find(tenantId, id);
    if (!found) throw notFound(`Subscription ${id}`);
    return found;
  }

  /** Encrypted payloads use the tenant's webhook encryption key: a tenant without one cannot have an encrypted subscription. */
  async function ensureKeyFor(tenantId: string, tenantName: string, encrypted: boolean | undefined): Promise<void> {
    if (encrypted && (await db.integrations.encryptionKey(tenantId)) === null) {
      throw new AppError('validation', `Tenant ${tenantName} has no encryption key yet; set its webhook first (PUT .../webhook), or subscribe unencrypted`, [
        { path: 'encrypted', message: 'needs the tenant webhook encryption key' },
      ]);
    }
  }

  return {
    /**
     * A new subscription; its signing secret is in this answer only. The
     * tenant's first subscriber starts from the figures as they stand (no
     * event for them), so it hears of every change from now on; a change
     * being applied meanwhile is waited for first, so it is either in those
     * figures or announced to the subscriber.
     */
    async create(tenantId: string, input: SubscriptionInput) {
      const tenant = await tenantOf(tenantId);
      await ensureKeyFor(tenantId, tenant.name, input.encrypted);
      const id = randomUUID();
      const signingSecret = generateSigningSecret();
      const now = clock.now();
      return db.transaction(async (tx) => {
        await tx.balanceEvents.holdAnnouncements(tenantId);
        const first = !(await tx.subscriptions.anyFor(tenantId));
        const record = await tx.subscriptions.insert(
          { id, tenantId, ...input, signingSecret: sealSecret(keyring, signingSecret, subscriptionSecretPlace({ tenantId, id })) },
          now,
        );
        // After the insert: the seed reads the figures only for a tenant with a subscriber.
        if (first) await tx.balanceEvents.seed(tenantId, now);
        return answerBeforeCommit(tx, { ...shown(record), signingSecret });
      });
    },

    async list(tenantId: string) {
      await tenantOf(tenantId);
      return { items: (await db.subscriptions.list(tenantId)).map(shown) };
    },

    /** One subscription with its outbox by state. */
    async get(tenantId: string, id: string) {
      await tenantOf(tenantId);
      const record = await requireSubscription(tenantId, id);
      return { ...shown(record), outbox: await db.balanceEvents.counts(tenantId, id) };
    },

    async update(tenantId: string, id: string, change: Partial<SubscriptionInput>) {
      const tenant = await tenantOf(tenantId);
      await ensureKeyFor(tenantId, tenant.name, change.encrypted);
      return commitWithAnswer(db, async (tx) => {
        const updated = await tx.subscriptions.update(tenantId, id, change, clock.now());
        if (!updated) throw notFound(`Subscription ${id}`);
        return shown(updated);
      });
    },

    async remove(tenantId: string, id: string): Promise<void> {
      await tenantOf(tenantId);
      await commitWithAnswer(db, async (tx) => {
        if (!(await tx.subscriptions.delete(tenantId, id))) throw notFound(`Subscription ${id}`);
      });
    },

    /** A new signing secret, shown only in this answer; events not yet delivered are signed with it from their next attempt on. */
    async rotateSecret(tenantId: string, id: string) {
      await tenantOf(tenantId);
      const signingSecret = generateSigningSecret();
      return commitWithAnswer(db, async (tx) => {
        const updated = await tx.subscriptions.update(
          tenantId,
          id,
          { signingSecret: sealSecret(keyring, signingSecret, subscriptionSecretPlace({ tenantId, id })) },
          clock.now(),
        );
        if (!updated) throw notFound(`Subscription ${id}`);
        return { signingSecret };
      });
    },

    /** The subscription's outbox rows, oldest change first. */
    async events(tenantId: string, id: string, query: { state?: string | undefined } & PageRequest) {
      await tenantOf(tenantId);
      await requireSubscription(tenantId, id);
      const items = await db.balanceEvents.list(tenantId, id, query);
      return {
        items: items.map((item) => ({ ...item, nextAttemptAt: item.nextAttemptAt?.toISOString() ?? null, changedAt: item.changedAt.toISOString() })),
        offset: query.offset,
        count: query.count,
      };
    },

    /** Sends the subscription's dead letters again, each the newest figure of its account, with a fresh retry schedule. */
    async replayFailed(tenantId: string, id: string) {
      await tenantOf(tenantId);
      await requireSubscription(tenantId, id);
      const answer = await commitWithAnswer(db, async (tx) => ({ replayed: await tx.balanceEvents.replayFailed(tenantId, id, clock.now()) }));
      // Queued once committed, so the sender finds the events it is told of.
      if (answer.replayed > 0) await queueEvents([{ tenantId, subscriptionId: id }]);
      return answer;
    },

    /** Queues delivery for the subscriptions a committed change set gave events. */
    announce(tenantId: string, subscriptionIds: readonly string[]): Promise<void> {
      return queueEvents(subscriptionIds.map((subscriptionId) => ({ tenantId, subscriptionId })));
    },

    /** What the sender needs: the URL, the mode, the tenant's name and the opened secrets; null when the subscription is gone. */
    async forSending(tenantId: string, id: string) {
      const record = await db.subscriptions.find(tenantId, id);
      if (!record) return null;
      const tenant = await requireTenant(db.tenants, tenantId);
      const storedKey = record.encrypted ? await db.integrations.encryptionKey(tenantId) : null;
      return {
        id: record.id,
        url: record.url,
        batch: record.batch,
        tenantName: tenant.name,
        signingSecret: openSecret(keyring, record.signingSecret, subscriptionSecretPlace(record)),
        // A key removed after the subscription was made leaves nothing to encrypt with: the send fails here and the events wait.
        encryptionKey: record.encrypted ? openSecret(keyring, requiredKey(storedKey, tenant.name), { tenantId, column: 'webhook_encryption_key' }) : null,
      };
    },
  };
}

function requiredKey(key: string | null, tenantName: string): string {
  if (key === null) throw new Error(`Tenant ${tenantName} has an encrypted subscription but no encryption key`);
  return key;
}

export type SubscriptionsService = ReturnType<typeof subscriptionsService>;
