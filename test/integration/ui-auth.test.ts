import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADDRESS_THROTTLE, afterAttempt, PAIR_THROTTLE, type ThrottleState, USER_SLOWDOWN } from '../../src/domain/login-throttle.ts';
import { manualClock } from '../support/clock.ts';
import { ADMIN_TOKEN, createTenant, startSystem, TEST_SCRYPT_LOG_N, type TestSystem } from '../support/system.ts';
import { cookieOf, createUiUser, csrfOf, FORM, form, HTML, postLogin, setCookieLine, signIn, signInAdmin } from '../support/ui.ts';

const clock = manualClock('2030-05-01T08:00:00.000Z');
let system: TestSystem;
beforeAll(async () => {
  system = await startSystem({}, { clock });
});
afterAll(() => system?.close());

const MINUTE = 60_000;
const admin = (method: 'GET' | 'POST', url: string, payload?: unknown) =>
  system.app.inject({
    method,
    url: `/admin/v1${url}`,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    ...(payload ? { payload: payload } : {}),
  });
const page = (url: string, cookie?: string) => system.app.inject({ url, headers: { ...HTML, ...(cookie ? { cookie } : {}) } });

async function tenantWithUser() {
  const tenant = await createTenant(system.app);
  const user = await createUiUser(system.app, tenant.id);
  return { tenant, user, credentials: { tenant: tenant.name, username: user.username, password: user.password } };
}

describe('UI users through the admin API', () => {
  it('creates a user (201) and never answers the password or its hash', async () => {
    const tenant = await createTenant(system.app);
    const response = await admin('POST', `/tenants/${tenant.id}/users`, {
      username: 'Anna.Berg',
      password: 'a long enough password',
      displayName: ' Anna Berg ',
    });
    expect(response.statusCode, response.body).toBe(201);
    expect(response.json()).toEqual({
      id: expect.any(String),
      tenantId: tenant.id,
      username: 'anna.berg',
      displayName: 'Anna Berg',
      disabled: false,
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    expect(response.body).not.toMatch(/password|scrypt/i);
    const { rows } = await system.runtime.pool.query(`SELECT password_hash FROM ui_user WHERE id = $1`, [response.json().id]);
    expect(rows[0].password_hash).toMatch(new RegExp(`^\\$scrypt\\$ln=${TEST_SCRYPT_LOG_N},r=8,p=1\\$`));
    expect((await admin('GET', `/tenants/${tenant.id}/users`)).json()).toEqual([response.json()]);
  });

  it('refuses a second user of the same name in the tenant (409), whatever the case, but allows it in another tenant', async () => {
    const [a, b] = [await createTenant(system.app), await createTenant(system.app)];
    await createUiUser(system.app, a.id, { username: 'sam' });
    const again = await admin('POST', `/tenants/${a.id}/users`, { username: 'SAM', password: 'another long password', displayName: 'Sam' });
    expect(again.statusCode).toBe(409);
    expect(again.headers['content-type']).toMatch(/application\/problem\+json/);
    expect((await admin('POST', `/tenants/${b.id}/users`, { username: 'sam', password: 'another long password', displayName: 'Sam' })).statusCode).toBe(201);
  });

  it('refuses a short password and a bad username with problem details naming the fields', async () => {
    const tenant = await createTenant(system.app);
    const response = await admin('POST', `/tenants/${tenant.id}/users`, { username: 'no spaces', password: 'short', displayName: '' });
    expect(response.statusCode).toBe(400);
    expect(
      response
        .json()
        .errors.map((e: { path: string }) => e.path)
        .sort(),
    ).toEqual(['displayName', 'password', 'username']);
  });

  it('answers 404 for an unknown tenant or a user of another tenant', async () => {
    const [a, b] = [await createTenant(system.app), await createTenant(system.app)];
    const user = await createUiUser(system.app, a.id);
    expect(
      (await admin('POST', `/tenants/00000000-0000-4000-8000-000000000000/users`, { username: 'x', password: 'long enough password', displayName: 'X' }))
        .statusCode,
    ).toBe(404);
    expect((await admin('POST', `/tenants/${b.id}/users/${user.id}/disable`)).statusCode).toBe(404);
    expect((await admin('GET', `/tenants/${b.id}/users/${user.id}`)).statusCode).toBe(404);
  });

  it('needs the admin token', async () => {
    const tenant = await createTenant(system.app);
    const response = await system.app.inject({ method: 'GET', url: `/admin/v1/tenants/${tenant.id}/users` });
    expect(response.statusCode).toBe(401);
  });

  it('disabling a user ends its sessions at once and refuses its sign-ins; enabling lets it back in', async () => {
    const { tenant, user, credentials } = await tenantWithUser();
    const session = await signIn(system.app, credentials);
    const disabled = await admin('POST', `/tenants/${tenant.id}/users/${user.id}/disable`);
    expect(disabled.json()).toMatchObject({ id: user.id, disabled: true });
    expect((await page('/ui', session.cookie)).statusCode).toBe(303);
    expect((await postLogin(system.app, '/ui/login', credentials)).statusCode).toBe(401);
    await admin('POST', `/tenants/${tenant.id}/users/${user.id}/enable`);
    await signIn(system.app, credentials);
  });

  it('resetting a password ends the old sessions, refuses the old password, accepts the new one', async () => {
    const { tenant, user, credentials } = await tenantWithUser();
    const session = await signIn(system.app, credentials);
    const reset = await admin('POST', `/tenants/${tenant.id}/users/${user.id}/password`, { password: 'a brand new password' });
    expect(reset.statusCode, reset.body).toBe(200);
    expect(reset.body).not.toMatch(/password"/);
    expect((await page('/ui', session.cookie)).statusCode).toBe(303);
    expect((await postLogin(system.app, '/ui/login', credentials)).statusCode).toBe(401);
    await signIn(system.app, { ...credentials, password: 'a brand new password' });
  });
});

describe('signing in', () => {
  it('refuses a wrong password, an unknown user and an unknown tenant with the same words, and sets no session', async () => {
    const { credentials } = await tenantWithUser();
    for (const attempt of [
      { ...credentials, password: 'wrong password!' },
      { ...credentials, username: 'nobody' },
      { ...credentials, tenant: 'no-such-tenant' },
    ]) {
      const response = await postLogin(system.app, '/ui/login', attempt);
      expect(response.statusCode).toBe(401);
      expect(response.body).toContain('Wrong organisation, username or password');
      expect(cookieOf(response, 'pf_session')).toBeUndefined();
      // The form keeps what was typed, except the password.
      expect(response.body).toContain(`value="${attempt.username}"`);
      expect(response.body).not.toContain(attempt.password);
    }
  });

  it('is case-insensitive in the username and sends the browser where it was going', async () => {
    const { credentials } = await tenantWithUser();
    const response = await postLogin(system.app, '/ui/login', {
      ...credentials,
      username: credentials.username.toUpperCase(),
      next: '/ui/contacts?contactId=x',
    });
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe('/ui/contacts?contactId=x');
  });

  it('never redirects to another site after signing in', async () => {
    const { credentials } = await tenantWithUser();
    const climbing = ['/ui/../metrics', '/ui/%2e%2e/documentation', '/ui/contacts/./..', '/ui/%2E%2E%2Fmetrics', '/ui/%5c..', '/ui/%zz'];
    for (const next of ['https://evil.example/', '//evil.example/ui', '/\\evil.example', '/uix', ...climbing]) {
      const response = await postLogin(system.app, '/ui/login', { ...credentials, next });
      expect(response.headers.location, next).toBe('/ui');
    }
  });

  it('sends a browser without a session to the sign-in page and answers 401 to scripts', async () => {
    const response = await page('/ui/contacts/3fa85f64-5717-4562-b3fc-2c963f66afa6?filter=Active');
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe('/ui/login?next=%2Fui%2Fcontacts%2F3fa85f64-5717-4562-b3fc-2c963f66afa6%3Ffilter%3DActive');
    const script = await system.app.inject({ url: '/ui/contacts/3fa85f64-5717-4562-b3fc-2c963f66afa6', headers: { accept: 'application/json' } });
    expect(script.statusCode).toBe(401);
    expect(script.headers['content-type']).toMatch(/application\/problem\+json/);
  });

  it('sets the session cookie HttpOnly, SameSite=Lax, scoped to /ui, and not Secure over plain HTTP', async () => {
    const { credentials } = await tenantWithUser();
    const response = await postLogin(system.app, '/ui/login', credentials);
    const line = setCookieLine(response, 'pf_session')!;
    expect(line).toMatch(/; HttpOnly/);
    expect(line).toMatch(/; SameSite=Lax/);
    expect(line).toMatch(/; Path=\/ui(;|$)/);
    expect(line).toMatch(/; Max-Age=43200/);
    expect(line).not.toMatch(/Secure/);
    // Only a hash of the token is stored.
    const token = cookieOf(response, 'pf_session')!.split('=')[1]!;
    const { rows } = await system.runtime.pool.query(`SELECT count(*) AS n FROM ui_session WHERE token_hash = $1`, [token]);
    expect(rows[0].n).toBe(0);
  });

  it('sets the cookie Secure when the request came over TLS through a trusted proxy', async () => {
    const proxied = await startSystem({ DATABASE_URL: system.runtime.config.databaseUrl, TRUST_PROXY: '127.0.0.1' }, { clock });
    try {
      const tenant = await createTenant(proxied.app);
      const user = await createUiUser(proxied.app, tenant.id);
      const response = await postLogin(
        proxied.app,
        '/ui/login',
        { tenant: tenant.name, username: user.username, password: user.password },
        { 'x-forwarded-proto': 'https' },
      );
      expect(setCookieLine(response, 'pf_session')).toMatch(/; Secure/);
      expect(response.headers['strict-transport-security']).toBe('max-age=31536000');
    } finally {
      await proxied.close();
    }
  });

  it('ends a session after an hour without use, and after 12 hours in any case', async () => {
    const { credentials } = await tenantWithUser();
    const idle = await signIn(system.app, credentials);
    clock.advance(59 * MINUTE);
    expect((await page('/ui', idle.cookie)).statusCode).toBe(200);
    clock.advance(59 * MINUTE);
    expect((await page('/ui', idle.cookie)).statusCode).toBe(200);
    clock.advance(61 * MINUTE);
    expect((await page('/ui', idle.cookie)).statusCode).toBe(303);

    const busy = await signIn(system.app, credentials);
    for (let hour = 0; hour < 12; hour++) {
      expect((await page('/ui', busy.cookie)).statusCode).toBe(200);
      clock.advance(50 * MINUTE);
      expect((await page('/ui', busy.cookie)).statusCode).toBe(200);
      clock.advance(10 * MINUTE);
    }
    expect((await page('/ui', busy.cookie)).statusCode).toBe(303);
  });

  it('signs out: the session ends on the server, the cookie is cleared', async () => {
    const { credentials } = await tenantWithUser();
    const session = await signIn(system.app, credentials);
    const response = await system.app.inject({
      method: 'POST',
      url: '/ui/logout',
      headers: { ...HTML, ...FORM, cookie: session.cookie },
      payload: form({ _csrf: session.csrf }),
    });
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe('/ui/login');
    expect(setCookieLine(response, 'pf_session')).toMatch(/Expires=Thu, 01 Jan 1970/);
    expect((await page('/ui', session.cookie)).statusCode).toBe(303);
  });
});

describe('lock-out after failed sign-ins', () => {
  it('locks a username after 5 failures in 15 minutes, refusing even the right password, for 15 minutes', async () => {
    const { credentials } = await tenantWithUser();
    for (let i = 0; i < 5; i++) {
      expect((await postLogin(system.app, '/ui/login', { ...credentials, password: `wrong-${i}` })).statusCode).toBe(401);
    }
    const locked = await postLogin(system.app, '/ui/login', credentials);
    expect(locked.statusCode).toBe(429);
    expect(locked.headers['retry-after']).toBe('900');
    expect(locked.body).toContain('Too many failed sign-ins. Try again in 15 minutes.');
    // Another person of the same tenant is not affected.
    clock.advance(14 * MINUTE);
    expect((await postLogin(system.app, '/ui/login', credentials)).statusCode).toBe(429);
    clock.advance(MINUTE + 1000);
    expect((await postLogin(system.app, '/ui/login', credentials)).statusCode).toBe(303);
  });

  it('locks a client address after 20 failures across usernames, leaving other addresses alone', async () => {
    const { credentials } = await tenantWithUser();
    const from = (remoteAddress: string, fields: Record<string, string>) => postLoginFrom(remoteAddress, fields);
    for (let i = 0; i < 20; i++) {
      expect((await from('10.9.8.7', { ...credentials, username: `guess-${i}` })).statusCode).toBe(401);
    }
    expect((await from('10.9.8.7', credentials)).statusCode).toBe(429);
    expect((await from('10.9.8.8', credentials)).statusCode).toBe(303);
    clock.advance(16 * MINUTE);
  });

  it('a password reset lifts the lock-out of that user', async () => {
    const { tenant, user, credentials } = await tenantWithUser();
    for (let i = 0; i < 5; i++) await postLogin(system.app, '/ui/login', { ...credentials, password: `wrong-${i}` });
    expect((await postLogin(system.app, '/ui/login', credentials)).statusCode).toBe(429);
    await admin('POST', `/tenants/${tenant.id}/users/${user.id}/password`, { password: 'the reset password' });
    expect((await postLogin(system.app, '/ui/login', { ...credentials, password: 'the reset password' })).statusCode).toBe(303);
  });

  it('counts attempts in SQL exactly as the domain rule says, refusals while locked and concurrent attempts included', async () => {
    const sessions = system.runtime.db.uiSessions;
    const key = `test:${Math.random()}`;
    let model: ThrottleState | null = null;
    const start = clock.now().getTime();
    for (const minutes of [0, 1, 2, 16, 17, 18, 19, 20, 21, 22, 36, 37, 40, 41]) {
      const at = new Date(start + minutes * MINUTE);
      const next = afterAttempt(model, at, PAIR_THROTTLE);
      const counted = await system.runtime.db.transaction((tx) => tx.uiSessions.countAttempt(key, at, PAIR_THROTTLE));
      expect(counted, `minute ${minutes}`).toEqual(next ? { counted: next } : { lockedUntil: model!.lockedUntil });
      model = next ?? model;
    }
    const burst = `test:${Math.random()}`;
    const results = await Promise.all(
      Array.from({ length: 25 }, () => system.runtime.db.transaction((tx) => tx.uiSessions.countAttempt(burst, clock.now(), ADDRESS_THROTTLE))),
    );
    expect(results.filter((result) => 'counted' in result)).toHaveLength(ADDRESS_THROTTLE.maxAttempts);
    const { rows } = await system.runtime.pool.query(`SELECT failures, locked_until FROM ui_login_throttle WHERE key = $1`, [burst]);
    expect(rows[0].failures).toBe(ADDRESS_THROTTLE.maxAttempts);
    expect(rows[0].locked_until).not.toBeNull();
    await sessions.clear(burst);
  });
});

describe('sign-in attempts sent in parallel', () => {
  const statuses = (responses: { statusCode: number }[]) => responses.map((response) => response.statusCode).sort();
  const count = (codes: number[], code: number) => codes.filter((c) => c === code).length;

  it('lets at most 10 of 40 parallel wrong passwords for one user, from 40 addresses, reach the password check', async () => {
    const { credentials } = await tenantWithUser();
    const forms = await Promise.all(Array.from({ length: 40 }, (_, i) => loginFormFrom(`10.40.0.${i + 1}`)));
    const codes = statuses(await Promise.all(forms.map((f, i) => f.post({ ...credentials, password: `wrong-${i}` }))));
    expect(count(codes, 401)).toBe(USER_SLOWDOWN.maxAttempts);
    expect(count(codes, 429)).toBe(40 - USER_SLOWDOWN.maxAttempts);
    // The username is slowed, not locked: the owner gets in once the short wait is over.
    const slowed = await postLoginFrom('10.41.0.1', credentials);
    expect(slowed.statusCode).toBe(429);
    expect(Number(slowed.headers['retry-after'])).toBeLessThanOrEqual(USER_SLOWDOWN.lockMs / 1000);
    clock.advance(USER_SLOWDOWN.lockMs + 1000);
    expect((await postLoginFrom('10.41.0.1', credentials)).statusCode).toBe(303);
    clock.advance(16 * MINUTE);
  });

  it('lets at most 5 of 40 parallel wrong passwords for one user from one address reach the check', async () => {
    const { credentials } = await tenantWithUser();
    const forms = await Promise.all(Array.from({ length: 40 }, () => loginFormFrom('10.42.0.1')));
    const codes = statuses(await Promise.all(forms.map((f, i) => f.post({ ...credentials, password: `wrong-${i}` }))));
    expect(count(codes, 401)).toBe(PAIR_THROTTLE.maxAttempts);
    expect(count(codes, 429)).toBe(40 - PAIR_THROTTLE.maxAttempts);
    clock.advance(16 * MINUTE);
  });

  it('lets at most 20 of 60 parallel attempts from one address, across usernames, reach the check', async () => {
    const { credentials } = await tenantWithUser();
    const forms = await Promise.all(Array.from({ length: 60 }, () => loginFormFrom('10.43.0.1')));
    const codes = statuses(await Promise.all(forms.map((f, i) => f.post({ ...credentials, username: `guess-${i}` }))));
    expect(count(codes, 401)).toBe(ADDRESS_THROTTLE.maxAttempts);
    expect(count(codes, 429)).toBe(60 - ADDRESS_THROTTLE.maxAttempts);
    clock.advance(16 * MINUTE);
  });
});

describe('lock-out split between the (user, address) pair and the user', () => {
  it('a stranger who knows a username locks only their own address out, not its owner', async () => {
    const { credentials } = await tenantWithUser();
    for (let i = 0; i < PAIR_THROTTLE.maxAttempts; i++) {
      expect((await postLoginFrom('10.50.0.1', { ...credentials, password: `wrong-${i}` })).statusCode).toBe(401);
    }
    expect((await postLoginFrom('10.50.0.1', credentials)).statusCode).toBe(429);
    expect((await postLoginFrom('10.50.0.2', credentials)).statusCode).toBe(303);
    clock.advance(16 * MINUTE);
  });

  it('past 10 failures from anywhere the username takes one attempt per 30 seconds, never a 15-minute lock', async () => {
    const { credentials } = await tenantWithUser();
    for (let i = 0; i < USER_SLOWDOWN.maxAttempts; i++) {
      expect((await postLoginFrom(`10.51.0.${i}`, { ...credentials, password: `wrong-${i}` })).statusCode).toBe(401);
    }
    const slowed = await postLoginFrom('10.51.1.1', { ...credentials, password: 'wrong-again' });
    expect(slowed.statusCode).toBe(429);
    expect(slowed.headers['retry-after']).toBe('30');
    expect(slowed.body).toContain('Try again in 30 seconds.');
    clock.advance(USER_SLOWDOWN.lockMs);
    expect((await postLoginFrom('10.51.1.1', { ...credentials, password: 'wrong-again' })).statusCode).toBe(401);
    expect((await postLoginFrom('10.51.1.2', credentials)).statusCode).toBe(429);
    clock.advance(USER_SLOWDOWN.lockMs);
    expect((await postLoginFrom('10.51.1.2', credentials)).statusCode).toBe(303);
    clock.advance(16 * MINUTE);
  });
});

async function loginFormFrom(remoteAddress: string) {
  const form0 = await system.app.inject({ url: '/ui/login', headers: HTML, remoteAddress });
  return {
    post: (fields: Record<string, string>) =>
      system.app.inject({
        method: 'POST',
        url: '/ui/login',
        remoteAddress,
        headers: { ...HTML, ...FORM, cookie: cookieOf(form0, 'pf_login_csrf')! },
        payload: form({ _csrf: csrfOf(form0.body), ...fields }),
      }),
  };
}

async function postLoginFrom(remoteAddress: string, fields: Record<string, string>) {
  const form0 = await system.app.inject({ url: '/ui/login', headers: HTML, remoteAddress });
  return system.app.inject({
    method: 'POST',
    url: '/ui/login',
    remoteAddress,
    headers: { ...HTML, ...FORM, cookie: cookieOf(form0, 'pf_login_csrf')! },
    payload: form({ _csrf: csrfOf(form0.body), ...fields }),
  });
}

describe('CSRF', () => {
  it('refuses a state-changing request without the session token, with another token, or from another site', async () => {
    const { credentials } = await tenantWithUser();
    const session = await signIn(system.app, credentials);
    const logout = (payload: Record<string, string>, headers: Record<string, string> = {}) =>
      system.app.inject({ method: 'POST', url: '/ui/logout', headers: { ...HTML, ...FORM, cookie: session.cookie, ...headers }, payload: form(payload) });
    const other = await signIn(system.app, credentials);

    for (const [payload, headers] of [
      [{}, {}],
      [{ _csrf: 'x' }, {}],
      [{ _csrf: other.csrf }, {}],
      [{ _csrf: session.csrf }, { origin: 'https://evil.example' }],
      [{ _csrf: session.csrf }, { 'sec-fetch-site': 'cross-site' }],
    ] as [Record<string, string>, Record<string, string>][]) {
      const response = await logout(payload, headers);
      expect(response.statusCode, JSON.stringify([payload, headers])).toBe(403);
      expect(response.body).toMatch(/did not come from this site|Requests from other sites are refused/);
    }
    // Still signed in: nothing happened.
    expect((await page('/ui', session.cookie)).statusCode).toBe(200);
    const ok = await logout({ _csrf: session.csrf }, { origin: 'http://localhost:8080', host: 'localhost:8080' });
    expect(ok.statusCode).toBe(303);
  });

  it('takes the token from the x-csrf-token header for scripts', async () => {
    const { credentials } = await tenantWithUser();
    const session = await signIn(system.app, credentials);
    const response = await system.app.inject({ method: 'POST', url: '/ui/logout', headers: { cookie: session.cookie, 'x-csrf-token': session.csrf } });
    expect(response.statusCode).toBe(303);
  });

  it('refuses a sign-in form that was not served to this browser', async () => {
    const { credentials } = await tenantWithUser();
    const noCookie = await system.app.inject({
      method: 'POST',
      url: '/ui/login',
      headers: { ...HTML, ...FORM },
      payload: form({ ...credentials, _csrf: 'forged' }),
    });
    expect(noCookie.statusCode).toBe(403);
    expect(noCookie.body).toContain('The sign-in form expired or did not come from this site');
    expect(cookieOf(noCookie, 'pf_session')).toBeUndefined();
    const loginPage = await page('/ui/login');
    const mismatch = await system.app.inject({
      method: 'POST',
      url: '/ui/login',
      headers: { ...HTML, ...FORM, cookie: cookieOf(loginPage, 'pf_login_csrf')! },
      payload: form({ ...credentials, _csrf: 'forged' }),
    });
    expect(mismatch.statusCode).toBe(403);
  });
});

describe('security headers', () => {
  it('sends a strict CSP (no inline script), frame and sniffing protection and no caching on every UI page', async () => {
    const { credentials } = await tenantWithUser();
    const session = await signIn(system.app, credentials);
    for (const response of [
      await page('/ui/login'),
      await page('/ui', session.cookie),
      await page('/ui/nope', session.cookie),
      await page('/ui/admin/login'),
    ]) {
      const csp = String(response.headers['content-security-policy']);
      expect(csp).toContain("script-src 'self'");
      expect(csp).not.toContain('unsafe-inline');
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toContain("default-src 'none'");
      expect(response.headers['x-frame-options']).toBe('DENY');
      expect(response.headers['x-content-type-options']).toBe('nosniff');
      expect(response.headers['referrer-policy']).toBe('same-origin');
      expect(response.headers['cache-control']).toBe('no-store');
      expect(response.headers['strict-transport-security']).toBeUndefined();
    }
  });

  it('serves its own assets (no other origin) and answers 404 pages as HTML to browsers', async () => {
    const css = await page('/ui/assets/card.css');
    expect(css.statusCode).toBe(200);
    expect(css.headers['content-type']).toMatch(/text\/css/);
    expect((await page('/ui/assets/card.js')).headers['content-type']).toMatch(/javascript/);
    const login = await page('/ui/login');
    expect(login.body).not.toMatch(/(src|href)="https?:/);
    const missing = await page('/ui/assets/nope.js');
    expect(missing.statusCode).toBe(404);
  });
});

describe('operator pages', () => {
  it('keep the queue dashboard and overview behind the admin sign-in', async () => {
    const anonymous = await page('/ui/admin/queues');
    expect(anonymous.statusCode).toBe(303);
    expect(anonymous.headers.location).toBe('/ui/admin/login?next=%2Fui%2Fadmin%2Fqueues');
    expect((await system.app.inject({ url: '/ui/admin/queues/api/queues' })).statusCode).toBe(401);
    expect((await page('/ui/admin')).statusCode).toBe(303);

    // A contact card session is not an operator session.
    const { credentials } = await tenantWithUser();
    const user = await signIn(system.app, credentials);
    expect((await system.app.inject({ url: '/ui/admin/queues/api/queues', headers: { cookie: user.cookie } })).statusCode).toBe(401);

    const wrong = await postLogin(system.app, '/ui/admin/login', { token: 'not-the-admin-token' });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.body).toContain('Wrong admin token');

    const operator = await signInAdmin(system.app, ADMIN_TOKEN);
    const dashboard = await page('/ui/admin/queues', operator.cookie);
    expect(dashboard.statusCode).toBe(200);
    expect(dashboard.body).not.toContain('fonts.googleapis.com');
    expect(dashboard.headers['content-security-policy']).toMatch(/script-src 'self';/);
    const api = await system.app.inject({ url: '/ui/admin/queues/api/queues', headers: { cookie: operator.cookie } });
    expect(api.statusCode).toBe(200);
    expect(api.json().queues.map((q: { name: string }) => q.name)).toContain('ingest');
    // The dashboard's own state-changing calls are refused from other sites.
    const crossSite = await system.app.inject({
      method: 'PUT',
      url: '/ui/admin/queues/api/queues/ingest/pause',
      headers: { cookie: operator.cookie, origin: 'https://evil.example' },
    });
    expect(crossSite.statusCode).toBe(403);
  });

  it("gives the dashboard the session's CSRF token in its client's XSRF-TOKEN cookie, and refuses its state-changing calls without it", async () => {
    const operator = await signInAdmin(system.app, ADMIN_TOKEN);
    const dashboard = await page('/ui/admin/queues', operator.cookie);
    const line = setCookieLine(dashboard, 'XSRF-TOKEN')!;
    expect(line.split(';')[0]).toBe(`XSRF-TOKEN=${operator.csrf}`);
    expect(line).toMatch(/; Path=\/ui\/admin\/queues(;|$)/);
    expect(line).toMatch(/; SameSite=Strict/);
    expect(line).not.toMatch(/HttpOnly/); // the dashboard's script must read it
    // Once the browser holds it, it is not sent again.
    const again = await page('/ui/admin/queues', `${operator.cookie}; XSRF-TOKEN=${operator.csrf}`);
    expect(setCookieLine(again, 'XSRF-TOKEN')).toBeUndefined();

    const pause = (headers: Record<string, string>) =>
      system.app.inject({
        method: 'PUT',
        url: '/ui/admin/queues/api/queues/ingest/pause',
        headers: { cookie: `${operator.cookie}; XSRF-TOKEN=${operator.csrf}`, ...headers },
      });
    // The cookie alone, as a form or fetch from anywhere would send it, is not enough; nor is a wrong token.
    for (const refused of [await pause({}), await pause({ 'x-xsrf-token': 'not-the-token' }), await pause({ 'x-xsrf-token': `${operator.csrf}x` })]) {
      expect(refused.statusCode).toBe(403);
      expect(refused.json()).toMatchObject({ detail: 'This request did not carry the dashboard token; reload the dashboard and try again' });
    }
    expect(await system.runtime.ingestQueue.isPaused()).toBe(false);
    // Another session's token does not do either.
    const other = await signInAdmin(system.app, ADMIN_TOKEN);
    expect((await pause({ 'x-xsrf-token': other.csrf })).statusCode).toBe(403);

    const paused = await pause({ 'x-xsrf-token': operator.csrf });
    expect(paused.statusCode, paused.body).toBeLessThan(300);
    expect(await system.runtime.ingestQueue.isPaused()).toBe(true);
    const resumed = await system.app.inject({
      method: 'PUT',
      url: '/ui/admin/queues/api/queues/ingest/resume',
      headers: { cookie: operator.cookie, 'x-csrf-token': operator.csrf },
    });
    expect(resumed.statusCode, resumed.body).toBeLessThan(300);
    expect(await system.runtime.ingestQueue.isPaused()).toBe(false);

    // Signing out clears it with the session cookie.
    const out = await system.app.inject({
      method: 'POST',
      url: '/ui/admin/logout',
      headers: { ...FORM, cookie: operator.cookie },
      payload: form({ _csrf: operator.csrf }),
    });
    expect(setCookieLine(out, 'XSRF-TOKEN')).toMatch(/^XSRF-TOKEN=;.*Path=\/ui\/admin\/queues/);
  });

  it("refuses a NUL character in the dashboard's input with a 400 problem, which its own validation answered with a 500", async () => {
    const operator = await signInAdmin(system.app, ADMIN_TOKEN);
    const headers = { cookie: operator.cookie, 'x-csrf-token': operator.csrf, 'content-type': 'application/json' };
    const body = await system.app.inject({ method: 'POST', url: '/ui/admin/queues/api/queues/ingest/add', headers, payload: JSON.stringify('a\u0000b') });
    expect(body.statusCode).toBe(400);
    expect(body.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(body.json()).toMatchObject({ status: 400, detail: 'The request holds a NUL character' });
    const query = await system.app.inject({ url: '/ui/admin/queues/api/queues?activeQueue=a%00b', headers: { cookie: operator.cookie } });
    expect(query.statusCode).toBe(400);
    expect(await system.runtime.ingestQueue.getJobCounts()).toMatchObject({ waiting: 0 });
  });

  it('sets the admin cookie SameSite=Strict and scoped to /ui/admin', async () => {
    const response = await postLogin(system.app, '/ui/admin/login', { token: ADMIN_TOKEN });
    const line = setCookieLine(response, 'pf_admin')!;
    expect(line).toMatch(/; HttpOnly/);
    expect(line).toMatch(/; SameSite=Strict/);
    expect(line).toMatch(/; Path=\/ui\/admin(;|$)/);
  });

  it('ends operator sessions when the admin token changes', async () => {
    const operator = await signInAdmin(system.app, ADMIN_TOKEN);
    const rotated = await startSystem({ DATABASE_URL: system.runtime.config.databaseUrl, ADMIN_TOKEN: 'a-new-admin-token-after-rotation' }, { clock });
    try {
      expect((await rotated.app.inject({ url: '/ui/admin', headers: { ...HTML, cookie: operator.cookie } })).statusCode).toBe(303);
    } finally {
      await rotated.close();
    }
  });
});
