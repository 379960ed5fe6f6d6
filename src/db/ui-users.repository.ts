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

/** With the password hash: only sign-in reads it. */
export interface UiUserCredentials extends UiUserRecord {
  passwordHash: string;
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

    /** The user signing in, found by tenant name and username. */
    async findCredentials(tenantName: string, username: string): Promise<UiUserCredentials | null> {
      const { rows } = await db.query<UiUserCredentials>(
        `SELECT ${USER_COLUMNS}, u.password_hash AS "passwordHash" FROM ui_user u JOIN tenant t ON t.id = u.tenant_id
          WHERE lower(t.name) = lower($1) AND u.username = $2
          ORDER BY t.name = $1 DESC
          LIMIT 1`,
        [tenantName, username],
      );
      return rows[0] ?? null;
    },

    /** Changes the fields given; null when the tenant has no such user. */
    async update(tenantId: string, id: string, change: { disabledAt?: Date | null; passwordHash?: string }, now: Date): Promise<UiUserRecord | null> {
      const { rows } = await db.query<UiUserRecord>(
        `UPDATE ui_user AS u
            SET disabled_at = CASE WHEN $3 THEN $4::timestamptz ELSE disabled_at END,
                password_hash = COALESCE($5, password_hash), updated_at = $6
          WHERE u.tenant_id = $1 AND u.id = $2
          RETURNING ${USER_COLUMNS}`,
        [tenantId, id, change.disabledAt !== undefined, change.disabledAt ?? null, change.passwordHash ?? null, now],
      );
      return rows[0] ?? null;
    },
  };
}
