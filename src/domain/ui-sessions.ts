import { createHash, createHmac, randomBytes } from 'node:crypto';
import { secretsEqual } from './api-keys.ts';

/** A new session token (the cookie value) or CSRF token: 256 random bits. */
export const newToken = () => randomBytes(32).toString('base64url');

/** Sessions are looked up by the token's SHA-256: a copy of the table does not hold usable cookies. */
export const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

/**
 * A session's CSRF token, derived from its token (the cookie value) rather
 * than stored: the table holds neither, and the token cannot be worked back
 * to the cookie. Stable for the session's life, so every open form stays good.
 */
export const csrfTokenOf = (sessionToken: string) => createHmac('sha256', sessionToken).update('pf-csrf-v1').digest('base64url');

/** What an admin session remembers of the admin token, so a changed token ends every admin session. */
export const credentialStamp = (adminToken: string) => createHash('sha256').update(`admin-session:${adminToken}`).digest('hex');

export type UiSessionKind = 'user' | 'admin';

export interface SessionTimes {
  createdAt: Date;
  lastSeenAt: Date;
  expiresAt: Date;
}

export interface SessionPolicy {
  idleMs: number;
  maxAgeMs: number;
}

export function newSessionTimes(now: Date, policy: SessionPolicy): SessionTimes {
  return { createdAt: now, lastSeenAt: now, expiresAt: new Date(now.getTime() + policy.maxAgeMs) };
}

/** A session lives until its absolute end, and only while it is used at least once per idle period. */
export function sessionAlive(session: SessionTimes, now: Date, policy: SessionPolicy): boolean {
  return session.expiresAt > now && now.getTime() - session.lastSeenAt.getTime() < policy.idleMs;
}

/** Recording every request would write on every page view; once a minute is precise enough for an idle limit of minutes. */
const TOUCH_AFTER_MS = 60_000;
export const needsTouch = (session: SessionTimes, now: Date) => now.getTime() - session.lastSeenAt.getTime() >= TOUCH_AFTER_MS;

/** The CSRF token a request presents must be the session's own. */
export function csrfTokenValid(presented: unknown, expected: string): boolean {
  return typeof presented === 'string' && presented.length > 0 && secretsEqual(presented, expected);
}
