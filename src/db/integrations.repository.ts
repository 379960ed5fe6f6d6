import type { Db } from './pool.ts';

export interface WebhookSecrets {
  encryptionKey: string;
  signingSecret: string;
}

export interface PointsLogSettings {
  urlTemplate: string;
  authHeader: { name: string; value: string } | null;
}

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
