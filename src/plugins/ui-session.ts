import cookie from '@fastify/cookie';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { UiSessionKind } from '../domain/ui-sessions.ts';
import { csrfTokenValid, newToken } from '../domain/ui-sessions.ts';
import { AppError } from '../errors.ts';
import type { ActiveSession, UiAuthService } from '../services/ui-auth.service.ts';
import { refuseCrossSite } from './ui-security.ts';

declare module 'fastify' {
  interface FastifyRequest {
    uiSession: ActiveSession | null;
  }
}

/**
 * The contact card's cookie is SameSite=Lax, so a link to a card (from a
 * ticket, a chat) opens signed in; nothing changes state on GET. The admin
 * cookie is Strict and scoped to the admin pages: the queue dashboard's own
 * requests carry no CSRF token, so they must never carry the cookie from
 * another site.
 */
const COOKIES = {
  user: { name: 'pf_session', path: '/ui', sameSite: 'lax' },
  admin: { name: 'pf_admin', path: '/ui/admin', sameSite: 'strict' },
} as const;

export const LOGIN_PAGES: Record<UiSessionKind, string> = { user: '/ui/login', admin: '/ui/admin/login' };

/** Double-submit token of the sign-in forms, which are posted before any session exists. */
const LOGIN_CSRF_COOKIE = 'pf_login_csrf';

const CSRF_FIELD = '_csrf';
const CSRF_HEADER = 'x-csrf-token';

/** Secure whenever the browser reached us over TLS, directly or (with TRUST_PROXY) through a proxy. */
const secure = (request: FastifyRequest) => request.protocol === 'https';

export async function registerCookies(scope: FastifyInstance): Promise<void> {
  await scope.register(cookie);
  scope.decorateRequest('uiSession', null);
}

export function setSessionCookie(request: FastifyRequest, reply: FastifyReply, kind: UiSessionKind, token: string, maxAgeMs: number): void {
  const { name, path, sameSite } = COOKIES[kind];
  reply.setCookie(name, token, { path, sameSite, httpOnly: true, secure: secure(request), maxAge: Math.floor(maxAgeMs / 1000) });
}

export function clearSessionCookie(reply: FastifyReply, kind: UiSessionKind): void {
  const { name, path } = COOKIES[kind];
  reply.clearCookie(name, { path });
}

export const sessionToken = (request: FastifyRequest, kind: UiSessionKind): string | undefined => request.cookies[COOKIES[kind].name];

/** The sign-in form's token: the one the browser already holds, or a new one set as a cookie. */
export function loginCsrfToken(request: FastifyRequest, reply: FastifyReply): string {
  const existing = request.cookies[LOGIN_CSRF_COOKIE];
  if (existing && /^[A-Za-z0-9_-]{43}$/.test(existing)) return existing;
  const token = newToken();
  reply.setCookie(LOGIN_CSRF_COOKIE, token, { path: '/ui', sameSite: 'strict', httpOnly: true, secure: secure(request), maxAge: 3600 });
  return token;
}

function presentedCsrf(request: FastifyRequest): unknown {
  const header = request.headers[CSRF_HEADER];
  if (typeof header === 'string') return header;
  const body = request.body as Record<string, unknown> | undefined;
  return body && typeof body === 'object' ? body[CSRF_FIELD] : undefined;
}

/** Sign-in forms: same-site request carrying the token its cookie holds. */
export async function requireLoginCsrf(request: FastifyRequest): Promise<void> {
  refuseCrossSite(request);
  const expected = request.cookies[LOGIN_CSRF_COOKIE];
  if (!expected || !csrfTokenValid(presentedCsrf(request), expected)) {
    throw new AppError('forbidden', 'The sign-in form expired or did not come from this site; reload the page and try again');
  }
}

/** Loads the session named by the cookie of `kind` (or none) onto the request. */
export function loadSession(auth: UiAuthService, kind: UiSessionKind) {
  return async (request: FastifyRequest) => {
    request.uiSession = await auth.session(sessionToken(request, kind), kind);
  };
}

/**
 * Whether a GET without a session is sent to the sign-in page: a browser, or a
 * client that takes anything (curl's `Accept: *\/*`) and so can follow the
 * redirect. Scripts that name JSON (the page script, the queue dashboard's
 * `application/json, text/plain, *\/*`) or send no Accept get 401 instead.
 */
export function acceptsPage(request: FastifyRequest): boolean {
  const accept = request.headers.accept ?? '';
  return accept.includes('text/html') || (accept.includes('*/*') && !accept.includes('json'));
}

/**
 * Pages without a session send the browser to sign in (and back afterwards);
 * anything else answers 401 problem details.
 */
export function requireSession(kind: UiSessionKind) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    if (request.uiSession) return;
    if (request.method === 'GET' && acceptsPage(request)) {
      return reply.redirect(`${LOGIN_PAGES[kind]}?next=${encodeURIComponent(request.url)}`, 303);
    }
    throw new AppError('unauthorized', 'Sign in first; the session is missing or has ended');
  };
}

/** Every state-changing request of a session: same-site, and carrying the session's own CSRF token. */
export async function requireCsrf(request: FastifyRequest): Promise<void> {
  refuseCrossSite(request);
  const session = request.uiSession;
  if (!session || !csrfTokenValid(presentedCsrf(request), session.csrfToken)) {
    throw new AppError('forbidden', 'This form expired or did not come from this site; reload the page and try again');
  }
}

/** Where to go after signing in: only a page of this UI, never another site. */
export function safeNext(next: unknown, fallback: string): string {
  if (typeof next !== 'string') return fallback;
  const local = /^\/ui(\/[A-Za-z0-9\-._~!$&'()*+,;=:@%/?]*)?$/.test(next) && !next.startsWith('//') && !next.includes('\\');
  return local && !climbsOut(next) ? next : fallback;
}

/** True when the path has "." or ".." segments (also percent-encoded), which could lead out of /ui once resolved. */
function climbsOut(next: string): boolean {
  const path = next.split('?')[0]!;
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    return true;
  }
  return decoded.includes('\\') || decoded.split('/').some((segment) => segment === '.' || segment === '..');
}
