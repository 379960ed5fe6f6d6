import { randomUUID } from 'node:crypto';
import type { TenantRecord } from '../domain/tenants.ts';
import type { Db } from './pool.ts';
import { TENANT_COLUMNS, tenantRecord } from './tenants.repository.ts';

export interface ApiKeyRecord {
  id: string;
  name: string;
  keyPrefix: string;
  createdAt: Date;
  revokedAt: Date | null;
}

const KEY_COLUMNS = `id, name, key_prefix AS "keyPrefix", created_at AS "createdAt", revoked_at AS "revokedAt"`;

/** Tenant API keys, stored as hashes only. */
export function apiKeysRepository(db: Db) {
  return {
    async create(tenantId: string, input: { name: string; keyHash: string; keyPrefix: string }): Promise<ApiKeyRecord> {
      const { rows } = await db.query<ApiKeyRecord>(
        `INSERT INTO api_key (id, tenant_id, name, key_hash, key_prefix) VALUES ($1, $2, $3, $4, $5) RETURNING ${KEY_COLUMNS}`,
        [randomUUID(), tenantId, input.name, input.keyHash, input.keyPrefix],
      );
      return rows[0]!;
    },

    async list(tenantId: string): Promise<ApiKeyRecord[]> {
      return (await db.query<ApiKeyRecord>(`SELECT ${KEY_COLUMNS} FROM api_key WHERE tenant_id = $1 ORDER BY created_at, id`, [tenantId])).rows;
    },

    /** Revokes the key; false when the tenant has no such key. Revoking twice keeps the first time. */
    async revoke(tenantId: string, id: string, now: Date): Promise<boolean> {
      const { rowCount } = await db.query(`UPDATE api_key SET revoked_at = COALESCE(revoked_at, $3) WHERE tenant_id = $1 AND id = $2`, [tenantId, id, now]);
      return rowCount === 1;
    },

    /**
     * The tenant owning an unrevoked key with this hash. Every API request asks this. It is not a named prepared
     * statement: a pooler in transaction mode (PgBouncer before 1.21) hands each transaction another server
     * connection, where the name is unknown or already taken (docs/scaling.md, "Behind PgBouncer").
     */
    async findTenant(keyHash: string): Promise<TenantRecord | null> {
      const { rows } = await db.query<Parameters<typeof tenantRecord>[0]>(
        `SELECT ${TENANT_COLUMNS} FROM api_key k JOIN tenant t ON t.id = k.tenant_id WHERE k.key_hash = $1 AND k.revoked_at IS NULL`,
        [keyHash],
      );
      return rows[0] ? tenantRecord(rows[0]) : null;
    },
  };
}
