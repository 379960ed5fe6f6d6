import type { Db } from './pool.ts';

export interface WebhookSecrets {
  encryptionKey: string;
  signingSecret: string;
}

export interface PointsLogSettings {
  urlTemplate: string;
  authHeader: { name: string; value: string } | null;
}

/** The columns of tenant_integration that hold secrets, sealed at rest when a SECRETS_KEY is configured. */
export const SECRET_COLUMNS = ['webhook_encryption_key', 'webhook_signing_secret', 'points_log_auth_header_value'] as const;
type SecretColumn = (typeof SECRET_COLUMNS)[number];

/** One tenant's stored secrets, as the row holds them (sealed or not). */
export interface StoredSecrets {
  tenantId: string;
  values: Partial<Record<SecretColumn, string>>;
}

const secretsOf = (row: Record<string, string | null>): StoredSecrets => ({
  tenantId: row.tenant_id!,
  values: Object.fromEntries(SECRET_COLUMNS.flatMap((column) => (row[column] == null ? [] : [[column, row[column]]]))),
});

const anySecret = SECRET_COLUMNS.map((column) => `${column} IS NOT NULL`).join(' OR ');
const anySecretNotStartingWith = (param: string) => SECRET_COLUMNS.map((column) => `left(${column}, length(${param})) <> ${param}`).join(' OR ');

export function integrationsRepository(db: Db) {
  return {
    /**
     * Sets the webhook URL. The secrets offered are stored only when the tenant
     * has none yet (true then), decided by the row itself so two concurrent
     * first calls cannot both hand out secrets.
     */
    async setWebhookUrl(tenantId: string, url: string, offered: WebhookSecrets, now: Date): Promise<boolean> {
      const { rows } = await db.query<{ secrets_created: boolean }>(
        `INSERT INTO tenant_integration AS i
                (tenant_id, webhook_url, webhook_encryption_key, webhook_signing_secret, webhook_secrets_created_at, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $5, $5)
         ON CONFLICT (tenant_id) DO UPDATE SET
                webhook_url = EXCLUDED.webhook_url,
                webhook_encryption_key = COALESCE(i.webhook_encryption_key, EXCLUDED.webhook_encryption_key),
                webhook_signing_secret = COALESCE(i.webhook_signing_secret, EXCLUDED.webhook_signing_secret),
                webhook_secrets_created_at = COALESCE(i.webhook_secrets_created_at, EXCLUDED.webhook_secrets_created_at),
                updated_at = EXCLUDED.updated_at
         RETURNING webhook_encryption_key = $3 AS secrets_created`,
        [tenantId, url, offered.encryptionKey, offered.signingSecret, now],
      );
      return rows[0]?.secrets_created === true;
    },

    async hasWebhook(tenantId: string): Promise<boolean> {
      const { rowCount } = await db.query(`SELECT 1 FROM tenant_integration WHERE tenant_id = $1 AND webhook_url IS NOT NULL`, [tenantId]);
      return rowCount === 1;
    },

    /** Replaces both secrets; false when the tenant has no webhook yet. */
    async rotateWebhookSecrets(tenantId: string, secrets: WebhookSecrets, now: Date): Promise<boolean> {
      const { rowCount } = await db.query(
        `UPDATE tenant_integration
            SET webhook_encryption_key = $2, webhook_signing_secret = $3, webhook_secrets_created_at = $4, updated_at = $4
          WHERE tenant_id = $1 AND webhook_url IS NOT NULL`,
        [tenantId, secrets.encryptionKey, secrets.signingSecret, now],
      );
      return rowCount === 1;
    },

    async findWebhook(tenantId: string): Promise<{ url: string; secretsCreatedAt: Date } | null> {
      const { rows } = await db.query<{ url: string; secretsCreatedAt: Date }>(
        `SELECT webhook_url AS url, webhook_secrets_created_at AS "secretsCreatedAt" FROM tenant_integration WHERE tenant_id = $1 AND webhook_url IS NOT NULL`,
        [tenantId],
      );
      return rows[0] ?? null;
    },

    /** The tenant's payload encryption key as stored (sealed or not), or null when it has none yet; encrypted subscriptions use it too. */
    async encryptionKey(tenantId: string): Promise<string | null> {
      const { rows } = await db.query<{ key: string | null }>(`SELECT webhook_encryption_key AS key FROM tenant_integration WHERE tenant_id = $1`, [tenantId]);
      return rows[0]?.key ?? null;
    },

    async setPointsLog(tenantId: string, settings: PointsLogSettings, now: Date): Promise<void> {
      await db.query(
        `INSERT INTO tenant_integration (tenant_id, points_log_url_template, points_log_auth_header_name, points_log_auth_header_value, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $5)
         ON CONFLICT (tenant_id) DO UPDATE SET
                points_log_url_template = EXCLUDED.points_log_url_template,
                points_log_auth_header_name = EXCLUDED.points_log_auth_header_name,
                points_log_auth_header_value = EXCLUDED.points_log_auth_header_value,
                updated_at = EXCLUDED.updated_at`,
        [tenantId, settings.urlTemplate, settings.authHeader?.name ?? null, settings.authHeader?.value ?? null, now],
      );
    },

    /** Every tenant's stored secrets, sealed or not: what start-up checks it can open. Cross-tenant maintenance. */
    async listSecrets(): Promise<StoredSecrets[]> {
      const { rows } = await db.query<Record<string, string | null>>(
        `SELECT tenant_id, ${SECRET_COLUMNS.join(', ')} FROM tenant_integration WHERE ${anySecret} ORDER BY tenant_id`,
      );
      return rows.map(secretsOf);
    },

    /**
     * Locks and returns the rows holding a secret that does not start with
     * `prefix` (call inside a transaction). A second caller waits for the
     * first to commit, then Postgres checks the condition again on the row as
     * committed, so a row the first caller rewrote is not returned twice.
     * Cross-tenant maintenance (resealing every tenant's secrets).
     */
    async lockSecretsNotStartingWith(prefix: string): Promise<StoredSecrets[]> {
      const { rows } = await db.query<Record<string, string | null>>(
        `SELECT tenant_id, ${SECRET_COLUMNS.join(', ')} FROM tenant_integration WHERE ${anySecretNotStartingWith('$1')} ORDER BY tenant_id FOR UPDATE`,
        [prefix],
      );
      return rows.map(secretsOf);
    },

    /**
     * Rewrites the secrets of each row given (a column left out keeps its
     * value). updated_at stays: the settings are the same, only their sealing changed.
     */
    async replaceSecrets(rows: readonly StoredSecrets[]): Promise<void> {
      if (rows.length === 0) return;
      const params: unknown[] = [rows.map((row) => row.tenantId)];
      const sets = SECRET_COLUMNS.map((column) => {
        params.push(rows.map((row) => row.values[column] ?? null));
        return `${column} = COALESCE(u.${column}, i.${column})`;
      });
      await db.query(
        `UPDATE tenant_integration AS i SET ${sets.join(', ')}
           FROM unnest($1::uuid[], ${SECRET_COLUMNS.map((_, n) => `$${n + 2}::text[]`).join(', ')}) AS u(tenant_id, ${SECRET_COLUMNS.join(', ')})
          WHERE i.tenant_id = u.tenant_id`,
        params,
      );
    },

    async findPointsLog(tenantId: string): Promise<PointsLogSettings | null> {
      const { rows } = await db.query<{ urlTemplate: string; headerName: string | null; headerValue: string | null }>(
        `SELECT points_log_url_template AS "urlTemplate", points_log_auth_header_name AS "headerName", points_log_auth_header_value AS "headerValue"
           FROM tenant_integration WHERE tenant_id = $1 AND points_log_url_template IS NOT NULL`,
        [tenantId],
      );
      const row = rows[0];
      if (!row) return null;
      const authHeader = row.headerName ? { name: row.headerName, value: row.headerValue ?? '' } : null;
      return { urlTemplate: row.urlTemplate, authHeader };
    },
  };
}
