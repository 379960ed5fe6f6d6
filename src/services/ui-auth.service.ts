import type { Database } from '../db/database.ts';
import type { Clock } from '../domain/clock.ts';
import { type TenantRecord, tenantNameKey } from '../domain/tenants.ts';
import { secretsEqual } from '../domain/api-keys.ts';
import {
  ADDRESS_THROTTLE,
  addressThrottleKey,
  lockedForSeconds,
  PAIR_THROTTLE,
  pairThrottleKey,
  type SignInSubject,
  TENANT_CEILING,
  tenantThrottleKey,
  THROTTLE_RETENTION_MS,
  type ThrottlePolicy,
  USER_SLOWDOWN,
  userThrottleKey,
} from '../domain/login-throttle.ts';
import { decoyHash, type ScryptParams, verifyPassword } from '../domain/passwords.ts';
import type { Logger } from '../logger.ts';
import {
  credentialStamp,
  csrfTokenOf,
  hashToken,
  needsTouch,
  newSessionTimes,
  newToken,
  type SessionPolicy,
  sessionAlive,
  type UiSessionKind,
} from '../domain/ui-sessions.ts';
import { AppError } from '../errors.ts';
import { answerBeforeCommit, commitWithAnswer } from './answer-check.ts';

export interface SignedInUser {
  id: string;
  username: string;
  displayName: string;
  tenant: TenantRecord;
}

export interface ActiveSession {
  kind: UiSessionKind;
  csrfToken: string;
  user: SignedInUser | null;
}

/** The same words for every refusal, so the answer does not tell which part was wrong. */
const WRONG_CREDENTIALS = 'Wrong organisation, username or password';

/** Sign-in refused while a lock-out holds; carries the wait for a Retry-After header. */
export class LockedOut extends AppError {
  constructor(retryAfterSeconds: number) {
    const [count, unit] = retryAfterSeconds < 60 ? [retryAfterSeconds, 'second'] : [Math.ceil(retryAfterSeconds / 60), 'minute'];
    super(
      'locked_out',
      `Too many failed sign-ins. Try again in ${count} ${unit}${count === 1 ? '' : 's'}. If you have forgotten your password, ask an operator to set a new one.`,
      undefined,
      retryAfterSeconds,
    );
  }
}

/** Signing in and out of the contact card and the operator pages; sessions live in Postgres. */
export function uiAuthService(deps: {
  db: Database;
  clock: Clock;
  log: Logger;
  policy: SessionPolicy;
  adminToken: string;
  hashing: ScryptParams;
  /** Counts a tenant reaching its ceiling of failed sign-ins (an operator alert). */
  onTenantCeiling: (tenantId: string) => void;
}) {
  const { db, clock, log, policy, adminToken, hashing, onTenantCeiling } = deps;
  const { tenants, uiUsers: users, uiSessions: sessions } = db;

  /**
   * Counts the attempt against every key before the password is checked, all
   * or none: when any key refuses, nothing is counted and the caller gets the
   * longest wait. Keys are taken in one order so parallel attempts cannot
   * deadlock.
   */
  async function countAttempt(entries: [string, ThrottlePolicy][]): Promise<Map<string, number>> {
    const now = clock.now();
    const sorted = [...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return db.transaction(async (tx) => {
      const locks: Date[] = [];
      const attempts = new Map<string, number>();
      for (const [key, throttle] of sorted) {
        const result = await tx.uiSessions.countAttempt(key, now, throttle);
        if ('lockedUntil' in result) locks.push(result.lockedUntil);
        else attempts.set(key, result.counted.attempts);
      }
      if (locks.length > 0) throw new LockedOut(Math.max(1, lockedForSeconds(locks, now)));
      return attempts;
    });
  }

  /** A new session's token and CSRF token; `write` stores it (inside the caller's transaction for user sessions). */
  function newSession(now: Date): { token: string; csrfToken: string; tokenHash: string; times: ReturnType<typeof newSessionTimes> } {
    const token = newToken();
    return { token, csrfToken: csrfTokenOf(token), tokenHash: hashToken(token), times: newSessionTimes(now, policy) };
  }

  /**
   * Opens a user session in one transaction that first holds the user's row
   * and checks it is still enabled and on the session version its password
   * was checked under: a reset or a disable that commits first is seen here,
   * and one that commits later waits for this row and ends the new session.
   */
  async function openUserSession(user: { tenantId: string; id: string; sessionVersion: number }): Promise<{ token: string; csrfToken: string }> {
    const now = clock.now();
    // Stale rows go whenever someone signs in: no extra job, and the tables stay as small as the people using them.
    await sessions.deleteStale(now, policy.idleMs, THROTTLE_RETENTION_MS);
    const session = newSession(now);
    return db.transaction(async (tx) => {
      const state = await tx.uiUsers.lockForSession(user.tenantId, user.id);
      if (!state || state.disabled || state.sessionVersion !== user.sessionVersion) throw new AppError('unauthorized', WRONG_CREDENTIALS);
      await tx.uiSessions.create({
        tokenHash: session.tokenHash,
        kind: 'user',
        tenantId: user.tenantId,
        userId: user.id,
        userSessionVersion: user.sessionVersion,
        credentialStamp: null,
        ...session.times,
      });
      return answerBeforeCommit(tx, { token: session.token, csrfToken: session.csrfToken });
    });
  }

  return {
    /** A new session for the user; refuses (401, or 429 while locked out) without saying which credential was wrong. */
    async signIn(input: { tenantName: string; username: string; password: string }, ip: string) {
      // The organisation is found by the key of its name, matched exactly; every counter keys on whom that finds.
      const nameKey = tenantNameKey(input.tenantName);
      const username = input.username.toLowerCase();
      const found = await users.findSignIn(nameKey, input.tenantName, username);
      const user = found?.user ?? null;
      const subject: SignInSubject = user ? { tenantId: user.tenantId, userId: user.id } : { unknown: { nameKey, username } };
      const userKey = userThrottleKey(subject);
      const pairKey = pairThrottleKey(subject, ip);
      const ipKey = addressThrottleKey('user', ip);
      const tenantKey = found ? tenantThrottleKey(found.tenantId) : null;
      const counted = await countAttempt([
        [pairKey, PAIR_THROTTLE],
        [userKey, USER_SLOWDOWN],
        [ipKey, ADDRESS_THROTTLE],
        ...(tenantKey ? [[tenantKey, TENANT_CEILING] as [string, ThrottlePolicy]] : []),
      ]);
      if (found && tenantKey && counted.get(tenantKey) === TENANT_CEILING.maxAttempts) {
        // The attempt that reached the ceiling, once per window: an alert for operators (metric and log).
        onTenantCeiling(found.tenantId);
        log.error({ tenantId: found.tenantId, ceiling: TENANT_CEILING.maxAttempts }, 'failed sign-ins of one tenant reached its ceiling');
      }
      const passwordOk = await verifyPassword(input.password, user?.passwordHash ?? (await decoyHash(hashing)));
      if (!user || !passwordOk || user.disabledAt !== null) throw new AppError('unauthorized', WRONG_CREDENTIALS);
      // The right password: the pair starts afresh; the username, the address and the tenant only get this attempt
      // back, so a sign-in by the owner does not hand a guesser elsewhere a fresh allowance.
      await db.transaction(async (tx) => {
        await tx.uiSessions.clear(pairKey);
        await tx.uiSessions.uncountAttempt(userKey, USER_SLOWDOWN);
        await tx.uiSessions.uncountAttempt(ipKey, ADDRESS_THROTTLE);
        if (tenantKey) await tx.uiSessions.uncountAttempt(tenantKey, TENANT_CEILING);
      });
      return { ...(await openUserSession(user)), userId: user.id };
    },

    /** An admin session, opened with the admin token. */
    async signInAdmin(token: string, ip: string) {
      const ipKey = addressThrottleKey('admin', ip);
      await countAttempt([[ipKey, ADDRESS_THROTTLE]]);
      if (!secretsEqual(token, adminToken)) throw new AppError('unauthorized', 'Wrong admin token');
      await sessions.uncountAttempt(ipKey, ADDRESS_THROTTLE);
      const now = clock.now();
      await sessions.deleteStale(now, policy.idleMs, THROTTLE_RETENTION_MS);
      const session = newSession(now);
      return commitWithAnswer(db, async (tx) => {
        await tx.uiSessions.create({
          tokenHash: session.tokenHash,
          kind: 'admin',
          tenantId: null,
          userId: null,
          userSessionVersion: null,
          credentialStamp: credentialStamp(adminToken),
          ...session.times,
        });
        return { token: session.token, csrfToken: session.csrfToken };
      });
    },

    /**
     * The live session a cookie names, or null: unknown, expired, idle too
     * long, user disabled or reset since it opened, or admin token changed.
     */
    async session(token: string | undefined, kind: UiSessionKind): Promise<ActiveSession | null> {
      if (!token) return null;
      const tokenHash = hashToken(token);
      const found = await sessions.find(tokenHash);
      const now = clock.now();
      if (!found || found.kind !== kind || !sessionAlive(found, now, policy)) return null;
      if (kind === 'admin' && (found.credentialStamp === null || !secretsEqual(found.credentialStamp, credentialStamp(adminToken)))) return null;
      let user: SignedInUser | null = null;
      if (kind === 'user') {
        if (!found.user || found.user.disabled || !found.user.current) return null;
        const tenant = await tenants.find(found.user.tenantId);
        if (!tenant) return null;
        user = { id: found.user.id, username: found.user.username, displayName: found.user.displayName, tenant };
      }
      if (needsTouch(found, now)) await sessions.touch(tokenHash, now);
      return { kind, csrfToken: csrfTokenOf(token), user };
    },

    async signOut(token: string | undefined): Promise<void> {
      if (token) await commitWithAnswer(db, (tx) => tx.uiSessions.delete(hashToken(token)));
    },
  };
}

export type UiAuthService = ReturnType<typeof uiAuthService>;
