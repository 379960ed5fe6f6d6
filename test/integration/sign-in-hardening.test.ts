import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TENANT_CEILING } from '../../src/domain/login-throttle.ts';
import { HOUR, manualClock } from '../support/clock.ts';
import { ADMIN_TOKEN, startSystem, type TestSystem } from '../support/system.ts';
import { cookieOf, createUiUser, csrfOf, FORM, form, HTML, postLogin, signIn, signInAdmin } from '../support/ui.ts';

/** Sign-in findings of the third attack pass: one name per tenant, throttles by whom, sessions that stay dead, CSRF at rest, the tenant ceiling. */
const clock = manualClock('2030-06-01T08:00:00.000Z');
let system: TestSystem;
beforeAll(async () => {
  // The proxy in front is this machine (inject's address): X-Forwarded-For then names the client.
  system = await startSystem({ TRUST_PROXY: '127.0.0.1' }, { clock });
});
afterAll(() => system?.close());

const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
const adminCall = (method: 'POST' | 'PATCH', url: string, payload?: object) =>
  system.app.inject({ method, url: `/admin/v1${url}`, headers: admin, ...(payload ? { payload } : {}) });
const from = (address: string) => ({ 'x-forwarded-for': address });

async function tenantWithUser(name = `rt-${randomBytes(4).toString('hex')}`) {
  const created = await adminCall('POST', '/tenants', { name, mode: 'balance-only' });
  expect(created.statusCode, created.body).toBe(201);
  const tenant = created.json<{ id: string; name: string }>();
  const user = await createUiUser(system.app, tenant.id);
  return { tenant, user, credentials: { tenant: tenant.name, username: user.username, password: user.password } };
}

/** Whether a session cookie still opens the contact card. */
const alive = async (cookie: string) => (await system.app.inject({ url: '/ui', headers: { ...HTML, cookie } })).statusCode === 200;

describe('one name per tenant', () => {
  it('refuses a tenant whose name differs from another only in case, naming the one that exists', async () => {
    const { tenant } = await tenantWithUser();
    const again = await adminCall('POST', '/tenants', { name: tenant.name.toUpperCase(), mode: 'balance-only' });
    expect(again.statusCode).toBe(409);
    expect(again.json().detail).toContain(`A tenant named ${tenant.name} already exists`);
    const renamed = await tenantWithUser();
    const clash = await adminCall('PATCH', `/tenants/${renamed.tenant.id}`, { name: tenant.name.toUpperCase() });
    expect(clash.statusCode).toBe(409);
  });

  it('locks the user out under every spelling of the organisation once five wrong passwords lock it', async () => {
    const { credentials } = await tenantWithUser(`rt-victim-${randomBytes(3).toString('hex')}`);
    const address = from('203.0.113.10');
    for (let i = 0; i < 5; i++) {
      const wrong = await postLogin(system.app, '/ui/login', { ...credentials, password: 'wrong-password' }, address);
      expect(wrong.statusCode).toBe(401);
    }
    const spellings = [credentials.tenant, credentials.tenant.toUpperCase(), credentials.tenant.replace('i', '\u0130'), credentials.tenant.replace('r', 'ｒ')];
    for (const tenant of spellings) {
      const right = await postLogin(system.app, '/ui/login', { ...credentials, tenant }, address);
      expect(right.statusCode, tenant).not.toBe(303);
      expect([401, 429], tenant).toContain(right.statusCode);
    }
  });

  it('matches the folded name exactly: a dotted capital İ is another name, a full-width or upper-case spelling the same one', async () => {
    const { credentials } = await tenantWithUser(`rt-victim-${randomBytes(3).toString('hex')}`);
    const dotted = await postLogin(system.app, '/ui/login', { ...credentials, tenant: credentials.tenant.replace('i', '\u0130') }, from('203.0.113.20'));
    expect(dotted.statusCode).toBe(401);
    const upper = await postLogin(system.app, '/ui/login', { ...credentials, tenant: credentials.tenant.toUpperCase() }, from('203.0.113.21'));
    expect(upper.statusCode).toBe(303);
    const wide = await postLogin(system.app, '/ui/login', { ...credentials, tenant: credentials.tenant.replace('r', 'ｒ') }, from('203.0.113.22'));
    expect(wide.statusCode).toBe(303);
  });
});

describe('sessions stay dead', () => {
  /**
   * Makes the race deterministic: an operator session, expired by the clock,
   * is held FOR UPDATE by another connection. Sign-in deletes stale sessions
   * after the password check and before it opens its own, so it waits right
   * there; the test sees it waiting, does `meanwhile`, then lets it go.
   */
  async function signInAcross(credentials: { tenant: string; username: string; password: string }, meanwhile: () => Promise<void>) {
    await signInAdmin(system.app, ADMIN_TOKEN);
    clock.advance(13 * HOUR);
    const holder = new pg.Client({ connectionString: system.runtime.config.databaseUrl });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      const held = await holder.query(`SELECT token_hash FROM ui_session WHERE kind = 'admin' AND expires_at <= $1 FOR UPDATE`, [clock.now()]);
      expect(held.rowCount).toBeGreaterThan(0);
      const attempt = postLogin(system.app, '/ui/login', credentials, from(`192.0.2.${Math.floor(Math.random() * 200) + 1}`));
      // Asked through another connection: inside the holder's transaction the activity view would not change.
      const waiting = async () =>
        (
          await system.runtime.pool.query<{ n: number }>(
            `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE 'DELETE FROM ui_session%'`,
          )
        ).rows[0]!.n;
      await expect.poll(waiting, { timeout: 10_000, message: 'sign-in waiting on the held session row' }).toBe(1);
      await meanwhile();
      await holder.query('COMMIT');
      return await attempt;
    } finally {
      await holder.end();
    }
  }

  it('a sign-in whose password was checked before an operator reset it opens no live session', async () => {
    const { tenant, user, credentials } = await tenantWithUser();
    const response = await signInAcross(credentials, async () => {
      const reset = await adminCall('POST', `/tenants/${tenant.id}/users/${user.id}/password`, { password: 'a-brand-new-password-1' });
      expect(reset.statusCode, reset.body).toBe(200);
    });
    const cookie = cookieOf(response, 'pf_session');
    expect(response.statusCode === 303 && cookie !== undefined && (await alive(cookie))).toBe(false);
  });

  it('a sign-in that straddles a disable is dead, and enabling the user again revives nothing', async () => {
    const { tenant, user, credentials } = await tenantWithUser();
    const response = await signInAcross(credentials, async () => {
      expect((await adminCall('POST', `/tenants/${tenant.id}/users/${user.id}/disable`)).statusCode).toBe(200);
      expect((await adminCall('POST', `/tenants/${tenant.id}/users/${user.id}/enable`)).statusCode).toBe(200);
    });
    const cookie = cookieOf(response, 'pf_session');
    expect(response.statusCode === 303 && cookie !== undefined && (await alive(cookie))).toBe(false);
    // A fresh sign-in after the enable works.
    expect(await alive((await signIn(system.app, credentials, from('192.0.2.250'))).cookie)).toBe(true);
  });
});

describe('CSRF tokens at rest', () => {
  it('the session table holds neither the cookie nor the CSRF token the pages carry', async () => {
    const { credentials } = await tenantWithUser();
    const session = await signIn(system.app, credentials, from('203.0.113.30'));
    const token = session.cookie.split('=')[1]!;
    const { rows } = await system.runtime.pool.query(`SELECT * FROM ui_session`);
    const stored = JSON.stringify(rows);
    expect(stored).not.toContain(token);
    expect(stored).not.toContain(session.csrf);
    // The token still works: a form post with it is accepted, one with another token refused.
    const logout = await system.app.inject({ method: 'POST', url: '/ui/logout', headers: { ...HTML, cookie: session.cookie, 'x-csrf-token': 'x'.repeat(43) } });
    expect(logout.statusCode).toBe(403);
  });
});

describe('the ceiling on one tenant’s failed sign-ins', () => {
  it('refuses the tenant’s sign-ins past 100 failures from any number of addresses, and alerts operators', async () => {
    const { tenant, credentials } = await tenantWithUser();
    // One sign-in form for all the guesses, as a script would.
    const page = await system.app.inject({ url: '/ui/login', headers: HTML });
    const loginHeaders = { ...HTML, ...FORM, cookie: cookieOf(page, 'pf_login_csrf')! };
    const csrf = csrfOf(page.body);
    const guess = (i: number) =>
      system.app.inject({
        method: 'POST',
        url: '/ui/login',
        headers: { ...loginHeaders, ...from(`10.9.0.${i + 1}`) },
        payload: form({ _csrf: csrf, tenant: credentials.tenant, username: `guess-${i}`, password: 'guess' }),
      });
    const counted = async () =>
      (await system.runtime.pool.query<{ failures: number }>(`SELECT failures FROM ui_login_throttle WHERE key = $1`, [`tenant:${tenant.id}`])).rows[0]
        ?.failures;
    // Ten guesses from ten addresses all count against the tenant...
    for (let i = 0; i < 10; i++) expect((await guess(i)).statusCode).toBe(401);
    expect(await counted()).toBe(10);
    // ...and 89 more are counted by the statement sign-in uses (each guess costs a password hash, too slow to send them all here)...
    for (let i = 0; i < TENANT_CEILING.maxAttempts - 11; i++)
      await system.runtime.db.uiSessions.countAttempt(`tenant:${tenant.id}`, clock.now(), TENANT_CEILING);
    // ...so the next guess reaches the ceiling.
    expect((await guess(99)).statusCode).toBe(401);
    expect(await counted()).toBe(TENANT_CEILING.maxAttempts);
    const right = await postLogin(system.app, '/ui/login', credentials, from('10.8.0.1'));
    expect(right.statusCode).toBe(429);
    expect(Number(right.headers['retry-after'])).toBeGreaterThan(0);
    const metrics = await system.runtime.metrics.registry.getSingleMetricAsString('pf_ui_signin_ceiling_reached_total');
    expect(metrics).toContain(`pf_ui_signin_ceiling_reached_total{tenant="${tenant.id}"} 1`);
    // Another tenant is not held by it.
    const other = await tenantWithUser();
    expect((await postLogin(system.app, '/ui/login', other.credentials, from('10.8.0.2'))).statusCode).toBe(303);
  });
});
