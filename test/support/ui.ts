import { randomBytes } from 'node:crypto';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import { adminPost } from './system.ts';

export const HTML = { accept: 'text/html,application/xhtml+xml' };

/** A contact card user made through the admin API; the password is returned so tests can sign in. */
export async function createUiUser(app: FastifyInstance, tenantId: string, overrides: { username?: string; password?: string; displayName?: string } = {}) {
  const password = overrides.password ?? `pw-${randomBytes(8).toString('hex')}`;
  const user = await adminPost(app, `/tenants/${tenantId}/users`, {
    username: overrides.username ?? `agent-${randomBytes(4).toString('hex')}`,
    displayName: overrides.displayName ?? 'Alex Agent',
    password,
  });
  return { ...user, password } as { id: string; username: string; displayName: string; password: string };
}

/** The value of the hidden _csrf field of a page. */
export function csrfOf(html: string): string {
  const match = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!match) throw new Error('no CSRF field on the page');
  return match[1]!;
}

/** name=value of a Set-Cookie header, by cookie name. */
export function cookieOf(response: LightMyRequestResponse, name: string): string | undefined {
  const headers = ([] as string[]).concat(response.headers['set-cookie'] ?? []);
  const line = headers.find((header) => header.startsWith(`${name}=`));
  return line?.split(';')[0];
}

export const setCookieLine = (response: LightMyRequestResponse, name: string) =>
  ([] as string[]).concat(response.headers['set-cookie'] ?? []).find((header) => header.startsWith(`${name}=`));

export const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
export const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

/** Opens a sign-in form (user or admin) and posts it; answers the final response and the cookies it set. */
export async function postLogin(
  app: FastifyInstance,
  path: '/ui/login' | '/ui/admin/login',
  fields: Record<string, string>,
  headers: Record<string, string> = {},
) {
  const page = await app.inject({ url: path, headers: { ...HTML, ...headers } });
  expect(page.statusCode, page.body).toBe(200);
  const loginCookie = cookieOf(page, 'pf_login_csrf')!;
  return app.inject({
    method: 'POST',
    url: path,
    headers: { ...HTML, ...FORM, ...headers, cookie: loginCookie },
    payload: form({ _csrf: csrfOf(page.body), ...fields }),
  });
}

export interface UiSession {
  cookie: string;
  csrf: string;
}

/** Signs a user in and returns its session cookie and CSRF token (read from the first page, as a browser would). */
export async function signIn(
  app: FastifyInstance,
  credentials: { tenant: string; username: string; password: string },
  headers: Record<string, string> = {},
): Promise<UiSession> {
  const response = await postLogin(app, '/ui/login', credentials, headers);
  expect(response.statusCode, response.body).toBe(303);
  const cookie = cookieOf(response, 'pf_session')!;
  const home = await app.inject({ url: '/ui', headers: { ...HTML, cookie } });
  expect(home.statusCode, home.body).toBe(200);
  return { cookie, csrf: csrfOf(home.body) };
}

export async function signInAdmin(app: FastifyInstance, token: string): Promise<UiSession> {
  const response = await postLogin(app, '/ui/admin/login', { token });
  expect(response.statusCode, response.body).toBe(303);
  const cookie = cookieOf(response, 'pf_admin')!;
  const home = await app.inject({ url: '/ui/admin', headers: { ...HTML, cookie } });
  expect(home.statusCode, home.body).toBe(200);
  return { cookie, csrf: csrfOf(home.body) };
}
