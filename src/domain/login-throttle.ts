/**
 * Limits on sign-in attempts. Every attempt is counted before the password
 * is checked, in one statement per key, so attempts sent in parallel cannot
 * all slip past a limit: at most `maxAttempts` reach the password check in
 * a window, however they arrive. A successful sign-in takes its own attempt
 * back (see the service).
 *
 * Three keys are counted:
 * - the pair (tenant and username, client address): the tight limit. Five
 *   wrong passwords lock that pair for 15 minutes, even for the right
 *   password, so a guesser learns nothing from trying on.
 * - the client address across usernames: stops trying one common password
 *   against many users from one place.
 * - the username from any address: looser, and it slows rather than locks.
 *   Past its limit one attempt per 30 seconds goes through, so a stranger
 *   who knows a username can no longer lock its owner out for 15 minutes,
 *   at the price that someone with many addresses gets a trickle of guesses
 *   (about 40 in 15 minutes) instead of none.
 */
export interface ThrottlePolicy {
  maxAttempts: number;
  windowMs: number;
  /** How long a key refuses once it has counted `maxAttempts` in a window. */
  lockMs: number;
}

export const PAIR_THROTTLE: ThrottlePolicy = { maxAttempts: 5, windowMs: 15 * 60_000, lockMs: 15 * 60_000 };
export const ADDRESS_THROTTLE: ThrottlePolicy = { maxAttempts: 20, windowMs: 15 * 60_000, lockMs: 15 * 60_000 };
export const USER_SLOWDOWN: ThrottlePolicy = { maxAttempts: 10, windowMs: 15 * 60_000, lockMs: 30_000 };
/**
 * The ceiling on one tenant's failed sign-ins from all addresses together:
 * past 100 in 15 minutes the tenant's sign-ins take one attempt per 10
 * seconds until the window ends, and operators are alerted. It bounds what
 * many addresses (or a spoofed X-Forwarded-For) can guess across a tenant's
 * users, at the price that the tenant's own people may wait while it holds.
 */
export const TENANT_CEILING: ThrottlePolicy = { maxAttempts: 100, windowMs: 15 * 60_000, lockMs: 10_000 };
/** The longest a counter row can matter, for cleaning up. */
export const THROTTLE_RETENTION_MS = Math.max(...[PAIR_THROTTLE, ADDRESS_THROTTLE, USER_SLOWDOWN, TENANT_CEILING].map((p) => Math.max(p.windowMs, p.lockMs)));

/**
 * Whom a sign-in is for: the user's tenant id and user id, never the spelling
 * typed, so another spelling of the organisation ("RT-Victim", a dotted İ)
 * counts against the same user or against nobody. A sign-in for no user is
 * counted by the keys of what was typed (domain/tenants.ts tenantNameKey), so
 * guessing at unknown names is limited too.
 */
export type SignInSubject = { tenantId: string; userId: string } | { unknown: { nameKey: string; username: string } };
export const userSubject = (subject: SignInSubject) =>
  'unknown' in subject ? `?${subject.unknown.nameKey}:${subject.unknown.username}` : `${subject.tenantId}:${subject.userId}`;
export const userThrottleKey = (subject: SignInSubject) => `user:${userSubject(subject)}`;
/** The address comes first and holds no space, so the subject after the first space is exact (see clearForUser). */
export const pairThrottleKey = (subject: SignInSubject, ip: string) => `pair:${ip} ${userSubject(subject)}`;
export const addressThrottleKey = (scope: 'user' | 'admin', ip: string) => `${scope}-ip:${ip}`;
export const tenantThrottleKey = (tenantId: string) => `tenant:${tenantId}`;

export interface ThrottleState {
  attempts: number;
  windowStartedAt: Date;
  lockedUntil: Date | null;
}

/**
 * The state after one more attempt, or null when the key refuses it because a
 * lock holds. Mirrored by the upsert in ui-sessions.repository.ts, which
 * applies it atomically.
 */
export function afterAttempt(previous: ThrottleState | null, now: Date, policy: ThrottlePolicy): ThrottleState | null {
  if (previous?.lockedUntil && previous.lockedUntil > now) return null;
  const windowOpen = previous !== null && now.getTime() - previous.windowStartedAt.getTime() < policy.windowMs;
  const attempts = windowOpen ? previous.attempts + 1 : 1;
  const lockedUntil = attempts >= policy.maxAttempts ? new Date(now.getTime() + policy.lockMs) : null;
  return { attempts, windowStartedAt: windowOpen ? previous.windowStartedAt : now, lockedUntil };
}

/** Whole seconds until the later of the locks ends, or 0 when none holds. */
export function lockedForSeconds(locks: readonly (Date | null)[], now: Date): number {
  const until = Math.max(0, ...locks.map((lock) => (lock ? lock.getTime() : 0)));
  return until > now.getTime() ? Math.ceil((until - now.getTime()) / 1000) : 0;
}
