import { randomBytes, randomUUID } from 'node:crypto';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Runtime } from '../../src/runtime.ts';
import { ADMIN_TOKEN, createTenant, startSystem, type TestSystem } from '../support/system.ts';
import { tableFingerprints } from '../support/tables.ts';
import { FORM, form, HTML, postLogin, signIn, signInAdmin, type UiSession } from '../support/ui.ts';

// The operator pages' forms without script, against the real database and Redis; every log line is kept to be searched for secrets.
let system: TestSystem;
let app: FastifyInstance;
let runtime: Runtime;
const lines: string[] = [];
let operator: UiSession;

beforeAll(async () => {
  system = await startSystem({ LOG_LEVEL: 'trace', RATE_LIMIT_PER_SECOND: '0' }, { logLines: lines });
  ({ app, runtime } = system);
  operator = await signInAdmin(app, ADMIN_TOKEN);
});
afterAll(() => system?.close());

const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

/** Posts a form of the operator pages as a browser would; `_csrf` is the session's token unless the fields say otherwise. */
const post = (url: string, fields: Record<string, string>, csrf: string | null = operator.csrf) =>
  app.inject({
    method: 'POST',
    url,
    headers: { ...HTML, ...FORM, cookie: operator.cookie },
    payload: form(csrf === null ? fields : { _csrf: csrf, ...fields }),
  });

const get = (url: string) => app.inject({ url, headers: { ...HTML, cookie: operator.cookie } });

/** Everything stored, except the sessions' own bookkeeping (a page view may touch the session). */
async function stored() {
  const { ui_session: _sessions, ui_login_throttle: _throttle, ...rest } = await tableFingerprints(runtime.pool);
  return rest;
}

/** Answers both refusals of a form post without the right token, and checks nothing was stored by either. */
async function expectRefusedWithoutToken(url: string, fields: Record<string, string>) {
  const before = await stored();
  const missing = await post(url, fields, null);
  expect(missing.statusCode, missing.body).toBe(403);
  const wrong = await post(url, fields, randomBytes(32).toString('base64url'));
  expect(wrong.statusCode, wrong.body).toBe(403);
  expect(await stored()).toEqual(before);
}

/** A refused form: the status, the field's error right under it, the input kept, and nothing stored. */
async function expectRefusal(url: string, fields: Record<string, string>, status: number, fieldId: string) {
  const before = await stored();
  const answer = await post(url, fields);
  expect(answer.statusCode, answer.body).toBe(status);
  expect(answer.headers['content-type']).toContain('text/html');
  expect(answer.body).toMatch(new RegExp(`id="${fieldId}"[^>]*aria-describedby="${fieldId}-error[^>]*aria-invalid="true"`));
  expect(answer.body).toContain(`<p class="field-error" id="${fieldId}-error">`);
  expect(await stored()).toEqual(before);
  return answer;
}

const secretOf = (response: LightMyRequestResponse) => {
  const match = /data-testid="secret-value">([^<]+)</.exec(response.body);
  if (!match) throw new Error('no secret on the page');
  return match[1]!;
};

const apiKeyWorks = async (key: string) => (await app.inject({ url: '/api/v2/point-accounts/definitions', headers: { apikey: key } })).statusCode;

describe('creating a tenant on the operator pages', () => {
  it('creates it through the form with the session token and opens its page with a confirmation; refuses the form without the token', async () => {
    const name = `acme-${randomBytes(4).toString('hex')}`;
    const fields = { name, mode: 'all-transaction', pointSystemActive: 'on' };
    await expectRefusedWithoutToken('/ui/admin/tenants', fields);
    expect((await app.inject({ url: '/admin/v1/tenants', headers: admin })).json().map((t: { name: string }) => t.name)).not.toContain(name);

    const created = await post('/ui/admin/tenants', fields);
    expect(created.statusCode, created.body).toBe(303);
    const location = String(created.headers.location);
    expect(location).toMatch(/^\/ui\/admin\/tenants\/[0-9a-f-]{36}\?done=tenant-created$/);
    const tenantId = location.split('/')[4]!.split('?')[0]!;
    const tenant = (await app.inject({ url: `/admin/v1/tenants/${tenantId}`, headers: admin })).json();
    expect(tenant).toMatchObject({ name, mode: 'all-transaction', pointSystemActive: true, requireKnownContacts: false });

    const page = await get(location);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('The tenant is created');
    expect(page.body).toContain(`<h1>${name}</h1>`);
    // The overview links the new tenant's page.
    expect((await get('/ui/admin')).body).toContain(`href="/ui/admin/tenants/${tenantId}"`);
  });

  it('re-renders the form for an empty name, an unknown mode, a too-long name (400) and a taken name (409), with the input kept and nothing stored', async () => {
    const form = await get('/ui/admin/tenants/new');
    expect(form.statusCode).toBe(200);
    expect(form.body).toContain('<label for="tenant-name">Name</label>');

    await expectRefusal('/ui/admin/tenants', { name: '', mode: 'balance-only' }, 400, 'tenant-name');
    const badMode = await post('/ui/admin/tenants', { name: 'kept-name', mode: 'sometimes', requireKnownContacts: 'on' });
    expect(badMode.statusCode).toBe(400);
    expect(badMode.body).toContain('<p class="field-error" id="tenant-mode-error">Mode: ');
    expect(badMode.body).toMatch(/id="tenant-name"[^>]*value="kept-name"/);
    expect(badMode.body).toMatch(/name="requireKnownContacts" value="on" checked/);
    expect(badMode.body).not.toMatch(/name="pointSystemActive" value="on" checked/);
    await expectRefusal('/ui/admin/tenants', { name: 'x'.repeat(101), mode: 'balance-only' }, 400, 'tenant-name');

    const taken = await createTenant(app);
    const conflict = await expectRefusal('/ui/admin/tenants', { name: taken.name, mode: 'balance-only' }, 409, 'tenant-name');
    expect(conflict.body).toContain('Name: is taken');
    expect(conflict.body).toContain(`value="${taken.name}"`);
  });
});

describe("a tenant's API keys on the operator pages", () => {
  it('shows a new key once, on the answer to the form (no-store, no redirect); the key authenticates; revoking asks first and then refuses it', async () => {
    const tenant = await createTenant(app);
    const url = `/ui/admin/tenants/${tenant.id}/api-keys`;
    await expectRefusedWithoutToken(url, { name: 'point master' });
    await expectRefusal(url, { name: '   ' }, 400, 'key-name');
    await expectRefusal(url, { name: 'k'.repeat(201) }, 400, 'key-name');

    const created = await post(url, { name: 'point master' });
    expect(created.statusCode, created.body).toBe(200);
    expect(created.headers.location).toBeUndefined();
    expect(created.headers['cache-control']).toBe('no-store');
    expect(created.body).toContain('it will not be shown again');
    const key = secretOf(created);
    expect(key).toMatch(/^pf_[A-Za-z0-9_-]{43}$/);
    expect(await apiKeyWorks(key)).toBe(200);

    // Only its prefix stays, on the tenant's page and anywhere else.
    const listed = await get(`/ui/admin/tenants/${tenant.id}`);
    expect(listed.body).toContain(`<code>${key.slice(0, 9)}…</code>`);
    for (const later of [listed, await get('/ui/admin'), await get(`/ui/admin/deliveries?tenant=${tenant.id}`)]) {
      expect(later.statusCode).toBe(200);
      expect(later.body).not.toContain(key);
    }

    const keyId = (await app.inject({ url: `/admin/v1/tenants/${tenant.id}/api-keys`, headers: admin }))
      .json()
      .find((k: { name: string }) => k.name === 'point master').id;
    const confirm = await get(`${url}/${keyId}/revoke`);
    expect(confirm.statusCode).toBe(200);
    expect(confirm.body).toContain('Yes, revoke the key');
    expect(await apiKeyWorks(key)).toBe(200);

    await expectRefusedWithoutToken(`${url}/${keyId}/revoke`, {});
    expect(await apiKeyWorks(key)).toBe(200);
    const revoked = await post(`${url}/${keyId}/revoke`, {});
    expect(revoked.statusCode, revoked.body).toBe(303);
    expect(await apiKeyWorks(key)).toBe(401);
    const after = await get(String(revoked.headers.location));
    expect(after.body).toContain('“point master”');
    expect(after.body).toContain('is revoked');
    expect(after.body).toMatch(new RegExp(`data-key-id="${keyId}"[\\s\\S]*?Revoked`));
    expect(after.body).not.toContain(key);

    // The actions are logged (by id), and no log line carries the key.
    expect(lines.some((line) => line.includes('API key created on the operator pages') && line.includes(keyId))).toBe(true);
    expect(lines.some((line) => line.includes('API key revoked on the operator pages'))).toBe(true);
    expect(lines.filter((line) => line.includes(key))).toEqual([]);
  });
});

describe("a tenant's contact card users on the operator pages", () => {
  it('creates a user who can sign in to the card; refuses bad input (400), a taken username (409) and a post without the token, storing nothing', async () => {
    const tenant = await createTenant(app);
    const url = `/ui/admin/tenants/${tenant.id}/users`;
    const password = `pw-${randomBytes(8).toString('hex')}`;
    const fields = { username: 'Maria.Lindqvist', displayName: 'Maria Lindqvist', password };
    await expectRefusedWithoutToken(url, fields);

    const badName = await expectRefusal(url, { ...fields, username: 'maria lindqvist!' }, 400, 'user-username');
    expect(badName.body).toMatch(/id="user-displayName"[^>]*value="Maria Lindqvist"/);
    expect(badName.body).not.toContain(password);
    await expectRefusal(url, { ...fields, password: 'short' }, 400, 'user-password');
    await expectRefusal(url, { ...fields, displayName: '' }, 400, 'user-displayName');
    await expectRefusal(url, { ...fields, displayName: 'd'.repeat(201) }, 400, 'user-displayName');

    const created = await post(url, fields);
    expect(created.statusCode, created.body).toBe(303);
    const page = await get(String(created.headers.location));
    expect(page.body).toContain('maria.lindqvist can sign in to the contact card now');
    expect(page.body).not.toContain(password);
    await signIn(app, { tenant: tenant.name, username: 'maria.lindqvist', password });

    const taken = await expectRefusal(url, { ...fields, username: 'MARIA.lindqvist' }, 409, 'user-username');
    expect(taken.body).toContain('Username: is taken');
    expect(lines.filter((line) => line.includes(password))).toEqual([]);
  });

  it('generates a password when none is typed, shows it once, and resets, disables and enables a user', async () => {
    const tenant = await createTenant(app);
    const url = `/ui/admin/tenants/${tenant.id}/users`;
    const created = await post(url, { username: 'sam', displayName: 'Sam Support', password: '' });
    expect(created.statusCode, created.body).toBe(200);
    expect(created.headers['cache-control']).toBe('no-store');
    const generated = secretOf(created);
    expect(generated.length).toBeGreaterThanOrEqual(12);
    await signIn(app, { tenant: tenant.name, username: 'sam', password: generated });
    expect((await get(`/ui/admin/tenants/${tenant.id}`)).body).not.toContain(generated);

    const userId = /data-user-id="([0-9a-f-]{36})"/.exec(created.body)![1]!;
    const resetUrl = `${url}/${userId}/password`;
    expect((await get(resetUrl)).body).toContain('<label for="new-password">New password</label>');
    await expectRefusedWithoutToken(resetUrl, { password: '' });
    await expectRefusal(resetUrl, { password: 'too-short' }, 400, 'new-password');
    const reset = await post(resetUrl, { password: '' });
    expect(reset.statusCode, reset.body).toBe(200);
    const second = secretOf(reset);
    expect(second).not.toBe(generated);
    expect((await postLogin(app, '/ui/login', { tenant: tenant.name, username: 'sam', password: generated })).statusCode).not.toBe(303);
    await signIn(app, { tenant: tenant.name, username: 'sam', password: second });

    await expectRefusedWithoutToken(`${url}/${userId}/disable`, {});
    const disabled = await post(`${url}/${userId}/disable`, {});
    expect(disabled.statusCode).toBe(303);
    expect((await get(String(disabled.headers.location))).body).toContain('sam is disabled');
    expect((await postLogin(app, '/ui/login', { tenant: tenant.name, username: 'sam', password: second })).statusCode).not.toBe(303);
    const enabled = await post(`${url}/${userId}/enable`, {});
    expect(enabled.statusCode).toBe(303);
    await signIn(app, { tenant: tenant.name, username: 'sam', password: second });

    expect(lines.filter((line) => line.includes(generated) || line.includes(second))).toEqual([]);
  });

  it('answers 404 pages for a tenant or user that does not exist, and changes nothing', async () => {
    const before = await stored();
    expect((await get(`/ui/admin/tenants/${randomUUID()}`)).statusCode).toBe(404);
    expect((await post(`/ui/admin/tenants/${randomUUID()}/api-keys`, { name: 'x' })).statusCode).toBe(404);
    expect((await post(`/ui/admin/tenants/${randomUUID()}/users`, { username: 'x', displayName: 'X', password: '' })).statusCode).toBe(404);
    expect(await stored()).toEqual(before);

    const tenant = await createTenant(app);
    const withTenant = await stored();
    expect((await post(`/ui/admin/tenants/${tenant.id}/users/${randomUUID()}/disable`, {})).statusCode).toBe(404);
    expect((await post(`/ui/admin/tenants/${tenant.id}/api-keys/${randomUUID()}/revoke`, {})).statusCode).toBe(404);
    expect((await get(`/ui/admin/tenants/${tenant.id}/api-keys/${randomUUID()}/revoke`)).statusCode).toBe(404);
    expect(await stored()).toEqual(withTenant);
  });
});
