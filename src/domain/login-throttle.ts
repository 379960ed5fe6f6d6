/**
 * Lock-out after repeated failed sign-ins. Counted per user (tenant and
 * username), which stops guessing one person's password, and per client
 * address, which stops trying one common password against many users. While
 * a key is locked, even the right password is refused, so a guesser learns
 * nothing from trying.
 */
export interface ThrottlePolicy {
  maxFailures: number;
  windowMs: number;
  lockMs: number;
}

export const USER_THROTTLE: ThrottlePolicy = { maxFailures: 5, windowMs: 15 * 60_000, lockMs: 15 * 60_000 };
export const ADDRESS_THROTTLE: ThrottlePolicy = { maxFailures: 20, windowMs: 15 * 60_000, lockMs: 15 * 60_000 };

export const userThrottleKey = (tenantName: string, username: string) => `user:${tenantName.toLowerCase()}:${username.toLowerCase()}`;
export const addressThrottleKey = (scope: 'user' | 'admin', ip: string) => `${scope}-ip:${ip}`;

export interface ThrottleState {
  failures: number;
  windowStartedAt: Date;
  lockedUntil: Date | null;
}

/** The state after one more failure. Mirrored by the upsert in ui-sessions.repository.ts, which applies it atomically. */
export function afterFailure(previous: ThrottleState | null, now: Date, policy: ThrottlePolicy): ThrottleState {
  const windowOpen = previous !== null && now.getTime() - previous.windowStartedAt.getTime() < policy.windowMs;
  const failures = windowOpen ? previous.failures + 1 : 1;
  const lockedUntil = failures >= policy.maxFailures ? new Date(now.getTime() + policy.lockMs) : windowOpen ? previous.lockedUntil : null;
  return { failures, windowStartedAt: windowOpen ? previous.windowStartedAt : now, lockedUntil };
}

/** Whole seconds until the later of the locks ends, or 0 when none holds. */
export function lockedForSeconds(locks: readonly (Date | null)[], now: Date): number {
  const until = Math.max(0, ...locks.map((lock) => (lock ? lock.getTime() : 0)));
  return until > now.getTime() ? Math.ceil((until - now.getTime()) / 1000) : 0;
}
