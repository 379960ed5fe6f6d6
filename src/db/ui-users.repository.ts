import { randomUUID } from 'node:crypto';
import type { Db } from './pool.ts';

export interface UiUserRecord {
  id: string;
  tenantId: string;
  username: string;
  displayName: string;
  disabledAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

/** With the password hash and session version: only sign-in reads them. */
export interface UiUserCredentials extends UiUserRecord {
  passwordHash: string;
  sessionVersion: number;
}

const USER_COLUMNS = `u.id, u.tenant_id AS "tenantId", u.username, u.display_name AS "displayName", u.disabled_at AS "disabledAt",
  u.created_at AS "createdAt", u.updated_at AS "updatedAt"`;

export function uiUsersRepository(db: Db) {
  return {
    async create(input: { tenantId: string; username: string; displayName: string; passwordHash: string }, now: Date): Promise<UiUserRecord> {
      const { rows } = await db.query<UiUserRecord>(
        `INSERT INTO ui_user AS u (id, tenant_id, username, display_name, password_hash, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING ${USER_COLUMNS}`,
        [randomUUID(), input.tenantId, input.username, input.displayName, input.passwordHash, now],
      );
      return rows[0]!;
    },

    async list(tenantId: string): Promise<UiUserRecord[]> {
      return (await db.query<UiUserRecord>(`SELECT ${USER_COLUMNS} FROM ui_user u WHERE u.tenant_id = $1 ORDER BY u.username`, [tenantId])).rows;
    },

    async find(tenantId: string, id: string): Promise<UiUserRecord | null> {
      const { rows } = await db.query<UiUserRecord>(`SELECT ${USER_COLUMNS} FROM ui_user u WHERE u.tenant_id = $1 AND u.id = $2`, [tenantId, id]);
      return rows[0] ?? null;
    },

    /**
     * The tenant a sign-in names, by the key of its name (domain/tenants.ts),
     * and its user of that username if any. Where names clashed before they
     * were unique by key, the tenant whose name is exactly the one typed wins,
     * else the first of them.
     */
    async findSignIn(nameKey: string, typedName: string, username: string): Promise<{ tenantId: string; user: UiUserCredentials | null } | null> {
      const { rows } = await db.query<{ signInTenantId: string } & (UiUserCredentials | { id: null })>(
        `SELECT t.id AS "signInTenantId", ${USER_COLUMNS}, u.password_hash AS "passwordHash", u.session_version AS "sessionVersion"
           FROM tenant t LEFT JOIN ui_user u ON u.tenant_id = t.id AND u.username = $3
          WHERE t.name_key = $1
          ORDER BY t.name = $2 DESC, t.clash_rank
          LIMIT 1`,
        [nameKey, typedName, username],
      );
      const row = rows[0];
      if (!row) return null;
      const { signInTenantId, ...user } = row;
      return { tenantId: signInTenantId, user: user.id === null ? null : user };
    },

    /**
     * The user's state, its row held (FOR SHARE) until the transaction ends:
     * a session opened in that transaction cannot miss a reset or a disable
     * that commits meanwhile, which waits for the row and then ends it.
     */
    async lockForSession(tenantId: string, id: string): Promise<{ disabled: boolean; sessionVersion: number } | null> {
      const { rows } = await db.query<{ disabled: boolean; sessionVersion: number }>(
        `SELECT disabled_at IS NOT NULL AS disabled, session_version AS "sessionVersion" FROM ui_user WHERE tenant_id = $1 AND id = $2 FOR SHARE`,
        [tenantId, id],
      );
      return rows[0] ?? null;
    },

    /** Changes the fields given, moving the session version on when asked (every session then ends); null when the tenant has no such user. */
    async update(
      tenantId: string,
      id: string,
      change: { disabledAt?: Date | null; passwordHash?: string },
      now: Date,
      endSessions: boolean,
    ): Promise<UiUserRecord | null> {
      const { rows } = await db.query<UiUserRecord>(
        `UPDATE ui_user AS u
            SET disabled_at = CASE WHEN $3 THEN $4::timestamptz ELSE disabled_at END,
                password_hash = COALESCE($5, password_hash), updated_at = $6,
                session_version = session_version + CASE WHEN $7 THEN 1 ELSE 0 END
          WHERE u.tenant_id = $1 AND u.id = $2
          RETURNING ${USER_COLUMNS}`,
        [tenantId, id, change.disabledAt !== undefined, change.disabledAt ?? null, change.passwordHash ?? null, now, endSessions],
      );
      return rows[0] ?? null;
    },
  };
}
