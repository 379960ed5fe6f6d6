import type { ThrottlePolicy, ThrottleState } from '../domain/login-throttle.ts';
import type { SessionTimes, UiSessionKind } from '../domain/ui-sessions.ts';
import type { Db } from './pool.ts';

export interface UiSessionRecord extends SessionTimes {
  kind: UiSessionKind;
  credentialStamp: string | null;
  /**
   * The signed-in user of a user session, with its tenant; null for admin
   * sessions. `current` is false once the user's password was reset or the
   * user disabled after the session was opened.
   */
  user: { id: string; username: string; displayName: string; tenantId: string; tenantName: string; disabled: boolean; current: boolean } | null;
}

interface SessionRow extends SessionTimes {
  kind: UiSessionKind;
  credentialStamp: string | null;
  current: boolean;
  userId: string | null;
  username: string | null;
  displayName: string | null;
  disabledAt: Date | null;
  tenantId: string | null;
  tenantName: string | null;
}

/**
 * Server-side sessions of the contact card and the operator pages, and the
 * failed sign-in counters: tables of the tenant directory (docs/scaling.md),
 * found by a cookie's token or a sign-in's key before any tenant is known.
 */
export function uiSessionsRepository(db: Db) {
  return {
    async create(
      session: {
        tokenHash: string;
        kind: UiSessionKind;
        tenantId: string | null;
        userId: string | null;
        userSessionVersion: number | null;
        credentialStamp: string | null;
      } & SessionTimes,
    ): Promise<void> {
      await db.query(
        `INSERT INTO ui_session (token_hash, kind, tenant_id, user_id, user_session_version, credential_stamp, created_at, last_seen_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
        [
          session.tokenHash,
          session.kind,
          session.tenantId,
          session.userId,
          session.userSessionVersion,
          session.credentialStamp,
          session.createdAt,
          session.lastSeenAt,
          session.expiresAt,
        ],
      );
    },

    async find(tokenHash: string): Promise<UiSessionRecord | null> {
      const { rows } = await db.query<SessionRow>(
        `SELECT s.kind, s.credential_stamp AS "credentialStamp", s.user_session_version IS NOT DISTINCT FROM u.session_version AS current, s.created_at AS "createdAt",
                s.last_seen_at AS "lastSeenAt", s.expires_at AS "expiresAt", u.id AS "userId", u.username, u.display_name AS "displayName",
                u.disabled_at AS "disabledAt", t.id AS "tenantId", t.name AS "tenantName"
           FROM ui_session s LEFT JOIN ui_user u ON u.tenant_id = s.tenant_id AND u.id = s.user_id LEFT JOIN tenant t ON t.id = u.tenant_id
          WHERE s.token_hash = $1`,
        [tokenHash],
      );
      const row = rows[0];
      if (!row) return null;
      const user =
        row.userId && row.tenantId
          ? {
              id: row.userId,
              username: row.username ?? '',
              displayName: row.displayName ?? '',
              tenantId: row.tenantId,
              tenantName: row.tenantName ?? '',
              disabled: row.disabledAt !== null,
              current: row.current,
            }
          : null;
      return {
        kind: row.kind,
        credentialStamp: row.credentialStamp,
        createdAt: row.createdAt,
        lastSeenAt: row.lastSeenAt,
        expiresAt: row.expiresAt,
        user,
      };
    },

    async touch(tokenHash: string, now: Date): Promise<void> {
      await db.query(`UPDATE ui_session SET last_seen_at = $2 WHERE token_hash = $1`, [tokenHash, now]);
    },

    async delete(tokenHash: string): Promise<void> {
      await db.query(`DELETE FROM ui_session WHERE token_hash = $1`, [tokenHash]);
    },

    /** Ends every session of the user: its next request must sign in again. */
    async deleteForUser(tenantId: string, userId: string): Promise<void> {
      await db.query(`DELETE FROM ui_session WHERE tenant_id = $1 AND user_id = $2`, [tenantId, userId]);
    },

    /** Forgets sessions past their end or idle limit, and sign-in counters whose window and lock are over. */
    async deleteStale(now: Date, idleMs: number, throttleWindowMs: number): Promise<void> {
      await db.query(`DELETE FROM ui_session WHERE expires_at <= $1 OR last_seen_at <= $1::timestamptz - $2 * interval '1 millisecond'`, [now, idleMs]);
      await db.query(
        `DELETE FROM ui_login_throttle
          WHERE window_started_at <= $1::timestamptz - $2 * interval '1 millisecond' AND (locked_until IS NULL OR locked_until <= $1)`,
        [now, throttleWindowMs],
      );
    },

    /**
     * One more attempt for `key`, as afterAttempt() in domain/login-throttle.ts
     * describes, in one statement so concurrent attempts are all counted; the
     * lock that refused it when the key is locked.
     */
    async countAttempt(key: string, now: Date, policy: ThrottlePolicy): Promise<{ counted: ThrottleState } | { lockedUntil: Date }> {
      const open = `t.window_started_at > $2::timestamptz - $4 * interval '1 millisecond'`;
      const attempts = `CASE WHEN ${open} THEN t.failures + 1 ELSE 1 END`;
      const { rows } = await db.query<ThrottleState>(
        `INSERT INTO ui_login_throttle AS t (key, failures, window_started_at, locked_until)
         VALUES ($1, 1, $2, CASE WHEN 1 >= $3 THEN $2::timestamptz + $5 * interval '1 millisecond' END)
         ON CONFLICT (key) DO UPDATE SET
           failures = ${attempts},
           window_started_at = CASE WHEN ${open} THEN t.window_started_at ELSE $2 END,
           locked_until = CASE WHEN ${attempts} >= $3 THEN $2::timestamptz + $5 * interval '1 millisecond' END
         WHERE t.locked_until IS NULL OR t.locked_until <= $2
         RETURNING failures AS attempts, window_started_at AS "windowStartedAt", locked_until AS "lockedUntil"`,
        [key, now, policy.maxAttempts, policy.windowMs, policy.lockMs],
      );
      if (rows[0]) return { counted: rows[0] };
      // The conflicting row stays locked by the upsert until the transaction ends, so this reads the lock that refused.
      const locked = await db.query<{ lockedUntil: Date }>(`SELECT locked_until AS "lockedUntil" FROM ui_login_throttle WHERE key = $1`, [key]);
      return { lockedUntil: locked.rows[0]!.lockedUntil };
    },

    /** Takes back one attempt of `key` (a sign-in that succeeded), lifting a lock that attempt set. */
    async uncountAttempt(key: string, policy: ThrottlePolicy): Promise<void> {
      await db.query(
        `UPDATE ui_login_throttle
            SET failures = GREATEST(failures - 1, 0), locked_until = CASE WHEN failures - 1 < $2 THEN NULL ELSE locked_until END
          WHERE key = $1`,
        [key, policy.maxAttempts],
      );
    },

    async clear(key: string): Promise<void> {
      await db.query(`DELETE FROM ui_login_throttle WHERE key = $1`, [key]);
    },

    /** Forgets every counter of one user: its own, and those of each (user, address) pair. */
    async clearForUser(userKey: string, subject: string): Promise<void> {
      await db.query(`DELETE FROM ui_login_throttle WHERE key = $1 OR (key LIKE 'pair:%' AND substr(key, strpos(key, ' ') + 1) = $2)`, [userKey, subject]);
    },
  };
}
