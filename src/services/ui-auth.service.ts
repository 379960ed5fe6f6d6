import type { Database } from '../db/database.ts';
import type { Clock } from '../domain/clock.ts';
import type { TenantRecord } from '../domain/tenants.ts';
import { secretsEqual } from '../domain/api-keys.ts';
import {
  ADDRESS_THROTTLE,
  addressThrottleKey,
  lockedForSeconds,
  PAIR_THROTTLE,
  pairThrottleKey,
  THROTTLE_RETENTION_MS,
  type ThrottlePolicy,
  USER_SLOWDOWN,
  userThrottleKey,
} from '../domain/login-throttle.ts';
import { decoyHash, type ScryptParams, verifyPassword } from '../domain/passwords.ts';
import {
  credentialStamp,
  hashToken,
  needsTouch,
  newSessionTimes,
  newToken,
  type SessionPolicy,
  sessionAlive,
  type UiSessionKind,
} from '../domain/ui-sessions.ts';
import { AppError } from '../errors.ts';

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
export function uiAuthService(deps: { db: Database; clock: Clock; policy: SessionPolicy; adminToken: string; hashing: ScryptParams }) {
  const { db, clock, policy, adminToken, hashing } = deps;
  const { tenants, uiUsers: users, uiSessions: sessions } = db;

  /**
   * Counts the attempt against every key before the password is checked, all
   * or none: when any key refuses, nothing is counted and the caller gets the
   * longest wait. Keys are taken in one order so parallel attempts cannot
   * deadlock.
   */
  async function countAttempt(entries: [string, ThrottlePolicy][]): Promise<void> {
    const now = clock.now();
    const sorted = [...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    await db.transaction(async (tx) => {
      const locks: Date[] = [];
      for (const [key, throttle] of sorted) {
        const result = await tx.uiSessions.countAttempt(key, now, throttle);
        if ('lockedUntil' in result) locks.push(result.lockedUntil);
      }
      if (locks.length > 0) throw new LockedOut(Math.max(1, lockedForSeconds(locks, now)));
    });
  }

  async function open(kind: UiSessionKind, user: { tenantId: string; id: string } | null, stamp: string | null): Promise<{ token: string; csrfToken: string }> {
    const now = clock.now();
    // Stale rows go whenever someone signs in: no extra job, and the tables stay as small as the people using them.
    await sessions.deleteStale(now, policy.idleMs, THROTTLE_RETENTION_MS);
    const token = newToken();
    const csrfToken = newToken();
    await sessions.create({
      tokenHash: hashToken(token),
      kind,
      tenantId: user?.tenantId ?? null,
      userId: user?.id ?? null,
      csrfToken,
      credentialStamp: stamp,
      ...newSessionTimes(now, policy),
    });
    return { token, csrfToken };
  }

  return {
    /** A new session for the user; refuses (401, or 429 while locked out) without saying which credential was wrong. */
    async signIn(input: { tenantName: string; username: string; password: string }, ip: string) {
      const userKey = userThrottleKey(input.tenantName, input.username);
      const pairKey = pairThrottleKey(input.tenantName, input.username, ip);
      const ipKey = addressThrottleKey('user', ip);
      await countAttempt([
        [pairKey, PAIR_THROTTLE],
        [userKey, USER_SLOWDOWN],
        [ipKey, ADDRESS_THROTTLE],
      ]);
      const user = await users.findCredentials(input.tenantName, input.username.toLowerCase());
      const passwordOk = await verifyPassword(input.password, user?.passwordHash ?? (await decoyHash(hashing)));
      if (!user || !passwordOk || user.disabledAt !== null) throw new AppError('unauthorized', WRONG_CREDENTIALS);
      // The right password: the pair starts afresh; the username and the address only get this attempt back, so a
      // sign-in by the owner does not hand a guesser elsewhere a fresh allowance.
      await db.transaction(async (tx) => {
        await tx.uiSessions.clear(pairKey);
        await tx.uiSessions.uncountAttempt(userKey, USER_SLOWDOWN);
        await tx.uiSessions.uncountAttempt(ipKey, ADDRESS_THROTTLE);
      });
      return { ...(await open('user', user, null)), userId: user.id };
    },

    /** An admin session, opened with the admin token. */
    async signInAdmin(token: string, ip: string) {
      const ipKey = addressThrottleKey('admin', ip);
      await countAttempt([[ipKey, ADDRESS_THROTTLE]]);
      if (!secretsEqual(token, adminToken)) throw new AppError('unauthorized', 'Wrong admin token');
      await sessions.uncountAttempt(ipKey, ADDRESS_THROTTLE);
      return open('admin', null, credentialStamp(adminToken));
    },

    /** The live session a cookie names, or null: unknown, expired, idle too long, user disabled, or admin token changed. */
    async session(token: string | undefined, kind: UiSessionKind): Promise<ActiveSession | null> {
      if (!token) return null;
      const tokenHash = hashToken(token);
      const found = await sessions.find(tokenHash);
      const now = clock.now();
      if (!found || found.kind !== kind || !sessionAlive(found, now, policy)) return null;
      if (kind === 'admin' && (found.credentialStamp === null || !secretsEqual(found.credentialStamp, credentialStamp(adminToken)))) return null;
      let user: SignedInUser | null = null;
      if (kind === 'user') {
        if (!found.user || found.user.disabled) return null;
        const tenant = await tenants.find(found.user.tenantId);
        if (!tenant) return null;
        user = { id: found.user.id, username: found.user.username, displayName: found.user.displayName, tenant };
      }
      if (needsTouch(found, now)) await sessions.touch(tokenHash, now);
      return { kind, csrfToken: found.csrfToken, user };
    },

    async signOut(token: string | undefined): Promise<void> {
      if (token) await sessions.delete(hashToken(token));
    },
  };
}

export type UiAuthService = ReturnType<typeof uiAuthService>;
