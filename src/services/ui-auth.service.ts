import type { Database } from '../db/database.ts';
import type { Clock } from '../domain/clock.ts';
import type { TenantRecord } from '../domain/tenants.ts';
import { secretsEqual } from '../domain/api-keys.ts';
import { ADDRESS_THROTTLE, addressThrottleKey, lockedForSeconds, type ThrottlePolicy, USER_THROTTLE, userThrottleKey } from '../domain/login-throttle.ts';
import { decoyHash, verifyPassword } from '../domain/passwords.ts';
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
  constructor(readonly retryAfterSeconds: number) {
    const minutes = Math.ceil(retryAfterSeconds / 60);
    super('locked_out', `Too many failed sign-ins. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`);
  }
}

/** Signing in and out of the contact card and the operator pages; sessions live in Postgres. */
export function uiAuthService(deps: { db: Database; clock: Clock; policy: SessionPolicy; adminToken: string }) {
  const { db, clock, policy, adminToken } = deps;
  const { tenants, uiUsers: users, uiSessions: sessions } = db;

  async function refuseWhileLocked(keys: string[]): Promise<void> {
    const now = clock.now();
    const seconds = lockedForSeconds(await sessions.locks(keys, now), now);
    if (seconds > 0) throw new LockedOut(seconds);
  }

  async function recordFailures(entries: [string, ThrottlePolicy][]): Promise<void> {
    const now = clock.now();
    await Promise.all(entries.map(([key, throttle]) => sessions.recordFailure(key, now, throttle)));
  }

  async function open(kind: UiSessionKind, userId: string | null, stamp: string | null): Promise<{ token: string; csrfToken: string }> {
    const now = clock.now();
    // Stale rows go whenever someone signs in: no extra job, and the tables stay as small as the people using them.
    await sessions.deleteStale(now, policy.idleMs, Math.max(USER_THROTTLE.windowMs, ADDRESS_THROTTLE.windowMs));
    const token = newToken();
    const csrfToken = newToken();
    await sessions.create({ tokenHash: hashToken(token), kind, userId, csrfToken, credentialStamp: stamp, ...newSessionTimes(now, policy) });
    return { token, csrfToken };
  }

  return {
    /** A new session for the user; refuses (401, or 429 while locked out) without saying which credential was wrong. */
    async signIn(input: { tenantName: string; username: string; password: string }, ip: string) {
      const userKey = userThrottleKey(input.tenantName, input.username);
      const ipKey = addressThrottleKey('user', ip);
      await refuseWhileLocked([userKey, ipKey]);
      const user = await users.findCredentials(input.tenantName, input.username.toLowerCase());
      const passwordOk = await verifyPassword(input.password, user?.passwordHash ?? (await decoyHash()));
      if (!user || !passwordOk || user.disabledAt !== null) {
        await recordFailures([
          [userKey, USER_THROTTLE],
          [ipKey, ADDRESS_THROTTLE],
        ]);
        throw new AppError('unauthorized', WRONG_CREDENTIALS);
      }
      await sessions.clearFailures(userKey);
      return { ...(await open('user', user.id, null)), userId: user.id };
    },

    /** An admin session, opened with the admin token. */
    async signInAdmin(token: string, ip: string) {
      const ipKey = addressThrottleKey('admin', ip);
      await refuseWhileLocked([ipKey]);
      if (!secretsEqual(token, adminToken)) {
        await recordFailures([[ipKey, ADDRESS_THROTTLE]]);
        throw new AppError('unauthorized', 'Wrong admin token');
      }
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
