import { z } from 'zod';
import type { Db } from './pool.ts';
import { parseFirstRow, parseRows } from './rows.ts';

/** A subscription as stored: its signing secret sealed when a SECRETS_KEY is configured (domain/secrets.ts). */
export interface SubscriptionRecord {
  id: string;
  tenantId: string;
  url: string;
  events: string[];
  encrypted: boolean;
  batch: boolean;
  signingSecret: string;
  createdAt: Date;
  updatedAt: Date;
}

const subscriptionRow = z
  .object({
    id: z.string(),
    tenant_id: z.string(),
    url: z.string(),
    events: z.array(z.string()),
    encrypted: z.boolean(),
    batch: z.boolean(),
    signing_secret: z.string(),
    created_at: z.date(),
    updated_at: z.date(),
  })
  .transform((row): SubscriptionRecord => ({
    id: row.id,
    tenantId: row.tenant_id,
    url: row.url,
    events: row.events,
    encrypted: row.encrypted,
    batch: row.batch,
    signingSecret: row.signing_secret,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  }));

const COLUMNS = 'id, tenant_id, url, events, encrypted, batch, signing_secret, created_at, updated_at';

/** A subscription's signing secret as stored (sealed or not), for sealing it again. */
export interface StoredSigningSecret {
  tenantId: string;
  id: string;
  signingSecret: string;
}

const storedSecretRow = z
  .object({ tenant_id: z.string(), id: z.string(), signing_secret: z.string() })
  .transform((row): StoredSigningSecret => ({ tenantId: row.tenant_id, id: row.id, signingSecret: row.signing_secret }));

/** A tenant's subscribers to its events (table event_subscription). */
export function subscriptionsRepository(db: Db) {
  return {
    async insert(subscription: Omit<SubscriptionRecord, 'createdAt' | 'updatedAt'>, now: Date): Promise<SubscriptionRecord> {
      const { rows } = await db.query(
        `INSERT INTO event_subscription (id, tenant_id, url, events, encrypted, batch, signing_secret, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING ${COLUMNS}`,
        [
          subscription.id,
          subscription.tenantId,
          subscription.url,
          subscription.events,
          subscription.encrypted,
          subscription.batch,
          subscription.signingSecret,
          now,
        ],
      );
      return subscriptionRow.parse(rows[0]);
    },

    async list(tenantId: string): Promise<SubscriptionRecord[]> {
      const { rows } = await db.query(`SELECT ${COLUMNS} FROM event_subscription WHERE tenant_id = $1 ORDER BY created_at, id`, [tenantId]);
      return parseRows(subscriptionRow, rows);
    },

    async find(tenantId: string, id: string): Promise<SubscriptionRecord | null> {
      const { rows } = await db.query(`SELECT ${COLUMNS} FROM event_subscription WHERE tenant_id = $1 AND id = $2`, [tenantId, id]);
      return parseFirstRow(subscriptionRow, rows);
    },

    /** Changes the fields given; null when there is no such subscription. */
    async update(
      tenantId: string,
      id: string,
      change: { url?: string | undefined; events?: string[] | undefined; encrypted?: boolean | undefined; batch?: boolean | undefined; signingSecret?: string },
      now: Date,
    ): Promise<SubscriptionRecord | null> {
      const { rows } = await db.query(
        `UPDATE event_subscription SET url = COALESCE($3, url), events = COALESCE($4, events), encrypted = COALESCE($5, encrypted),
                batch = COALESCE($6, batch), signing_secret = COALESCE($7, signing_secret), updated_at = $8
          WHERE tenant_id = $1 AND id = $2 RETURNING ${COLUMNS}`,
        [tenantId, id, change.url ?? null, change.events ?? null, change.encrypted ?? null, change.batch ?? null, change.signingSecret ?? null, now],
      );
      return parseFirstRow(subscriptionRow, rows);
    },

    /** Deletes it and its outbox; false when there was none. */
    async delete(tenantId: string, id: string): Promise<boolean> {
      const { rowCount } = await db.query(`DELETE FROM event_subscription WHERE tenant_id = $1 AND id = $2`, [tenantId, id]);
      return rowCount === 1;
    },

    /** Every subscription's stored signing secret: what start-up checks it can open. Cross-tenant maintenance. */
    async listSecrets(): Promise<StoredSigningSecret[]> {
      const { rows } = await db.query(`SELECT tenant_id, id, signing_secret FROM event_subscription ORDER BY tenant_id, id`);
      return parseRows(storedSecretRow, rows);
    },

    /**
     * Locks and returns the subscriptions whose signing secret does not start
     * with `prefix` (call inside a transaction; a second caller gets only what
     * the first left, as for the integration secrets). Cross-tenant maintenance.
     */
    async lockSecretsNotStartingWith(prefix: string): Promise<StoredSigningSecret[]> {
      const { rows } = await db.query(
        `SELECT tenant_id, id, signing_secret FROM event_subscription WHERE left(signing_secret, length($1)) <> $1 ORDER BY tenant_id, id FOR UPDATE`,
        [prefix],
      );
      return parseRows(storedSecretRow, rows);
    },

    /** Rewrites the signing secrets given; updated_at stays: only their sealing changed. */
    async replaceSecrets(secrets: readonly StoredSigningSecret[]): Promise<void> {
      if (secrets.length === 0) return;
      await db.query(
        `UPDATE event_subscription AS s SET signing_secret = u.signing_secret
           FROM unnest($1::uuid[], $2::uuid[], $3::text[]) AS u(tenant_id, id, signing_secret)
          WHERE s.tenant_id = u.tenant_id AND s.id = u.id`,
        [secrets.map((s) => s.tenantId), secrets.map((s) => s.id), secrets.map((s) => s.signingSecret)],
      );
    },

    /** Whether the tenant has any subscriber to balance events (other than `except`). */
    async anyFor(tenantId: string, except: string | null = null): Promise<boolean> {
      const { rowCount } = await db.query(`SELECT 1 FROM event_subscription WHERE tenant_id = $1 AND id IS DISTINCT FROM $2 LIMIT 1`, [tenantId, except]);
      return rowCount === 1;
    },
  };
}
