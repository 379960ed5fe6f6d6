import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, createTenant, startSystem, type TestSystem } from '../support/system.ts';

let system: TestSystem;
beforeAll(async () => {
  system = await startSystem();
});
afterAll(() => system?.close());

const admin = (method: 'GET' | 'POST' | 'DELETE', url: string, payload?: unknown, token = ADMIN_TOKEN) =>
  system.app.inject({ method, url: `/admin/v1${url}`, headers: { authorization: `Bearer ${token}` }, ...(payload ? { payload: payload } : {}) });

describe('admin API', () => {
  it('refuses requests without the admin token or with a wrong one', async () => {
    expect((await system.app.inject({ url: '/admin/v1/tenants' })).statusCode).toBe(401);
    const wrong = await admin('GET', '/tenants', undefined, 'not-the-admin-token');
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json()).toMatchObject({ title: 'Unauthorized', status: 401 });
  });

  it('a tenant API key is not an admin token', async () => {
    const tenant = await createTenant(system.app);
    expect((await admin('GET', '/tenants', undefined, tenant.key)).statusCode).toBe(401);
  });

  it('creates a tenant and refuses a duplicate name or a bad mode', async () => {
    const name = `shop-${randomUUID().slice(0, 8)}`;
    const created = await admin('POST', '/tenants', { name, mode: 'balance-only' });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toEqual({
      id: expect.any(String),
      name,
      mode: 'balance-only',
      pointSystemActive: true,
      requireKnownContacts: false,
      timeZone: 'UTC',
      maxAdjustmentPoints: 100_000,
      expiry: 'follower',
    });

    const again = await admin('POST', '/tenants', { name, mode: 'balance-only' });
    expect(again.statusCode).toBe(409);
    expect(again.json().detail).toBe(`A tenant named ${name} already exists`);

    const bad = await admin('POST', '/tenants', { name: 'x y', mode: 'points' });
    expect(bad.statusCode).toBe(400);
    expect(
      bad
        .json()
        .errors.map((e: { path: string }) => e.path)
        .sort(),
    ).toEqual(['mode', 'name']);

    const read = await admin('GET', `/tenants/${created.json().id}`);
    expect(read.json()).toEqual(created.json());
  });

  it('adds definitions with operator-chosen ids, once, to existing tenants only', async () => {
    const tenant = (await admin('POST', '/tenants', { name: `d-${randomUUID().slice(0, 8)}`, mode: 'balance-only' })).json();
    const created = await admin('POST', `/tenants/${tenant.id}/definitions`, { id: 7, name: 'Bonus', description: 'Birthday bonus' });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toEqual({ id: 7, name: 'Bonus', description: 'Birthday bonus' });
    expect((await admin('POST', `/tenants/${tenant.id}/definitions`, { id: 7, name: 'Again' })).statusCode).toBe(409);
    expect((await admin('POST', `/tenants/${randomUUID()}/definitions`, { id: 1, name: 'X' })).statusCode).toBe(404);
    expect((await admin('POST', `/tenants/${tenant.id}/definitions`, { id: -1, name: '' })).statusCode).toBe(400);
    expect((await admin('GET', `/tenants/${tenant.id}/definitions`)).json()).toEqual([{ id: 7, name: 'Bonus', description: 'Birthday bonus' }]);
  });

  it('shows an API key once, stores only its hash, and revokes it', async () => {
    const tenant = (await admin('POST', '/tenants', { name: `k-${randomUUID().slice(0, 8)}`, mode: 'balance-only' })).json();
    const created = await admin('POST', `/tenants/${tenant.id}/api-keys`, { name: 'master' });
    expect(created.statusCode).toBe(201);
    const { id, key } = created.json();
    expect(key).toMatch(/^pf_[A-Za-z0-9_-]{43}$/);

    const listed = (await admin('GET', `/tenants/${tenant.id}/api-keys`)).json();
    expect(listed).toEqual([{ id, name: 'master', prefix: key.slice(0, 9), createdAt: expect.any(String), revokedAt: null }]);
    expect(JSON.stringify(listed)).not.toContain(key);
    const { rows } = await system.runtime.pool.query(`SELECT key_hash FROM api_key WHERE id = $1`, [id]);
    expect(rows[0].key_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(rows[0].key_hash).not.toContain(key);

    expect((await admin('DELETE', `/tenants/${tenant.id}/api-keys/${id}`)).statusCode).toBe(204);
    expect((await admin('DELETE', `/tenants/${tenant.id}/api-keys/${randomUUID()}`)).statusCode).toBe(404);
    expect((await admin('GET', `/tenants/${tenant.id}/api-keys`)).json()[0].revokedAt).not.toBeNull();
  });
});

describe('definitions through the tenant API', () => {
  it("lists and reads the tenant's own definitions only", async () => {
    const tenant = await createTenant(system.app, { definitions: [1, 2] });
    const other = await createTenant(system.app, { definitions: [3] });
    const list = await system.app.inject({ url: '/api/v2/point-accounts/definitions', headers: tenant.headers });
    expect(list.json()).toEqual([
      { id: 1, name: 'Definition 1', links: [{ rel: 'self', href: '/api/v2/point-accounts/definitions/1', method: 'GET' }] },
      { id: 2, name: 'Definition 2', links: [{ rel: 'self', href: '/api/v2/point-accounts/definitions/2', method: 'GET' }] },
    ]);
    const paged = await system.app.inject({ url: '/api/v2/point-accounts/definitions?offset=1&count=1', headers: tenant.headers });
    expect(paged.json().map((d: { id: number }) => d.id)).toEqual([2]);
    expect((await system.app.inject({ url: '/api/v2/point-accounts/definitions/2', headers: tenant.headers })).json().name).toBe('Definition 2');
    expect((await system.app.inject({ url: '/api/v2/point-accounts/definitions/3', headers: tenant.headers })).statusCode).toBe(404);
    expect((await system.app.inject({ url: '/api/v2/point-accounts/definitions/3', headers: other.headers })).statusCode).toBe(200);
    const bad = await system.app.inject({ url: '/api/v2/point-accounts/definitions/abc', headers: tenant.headers });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors[0].path).toBe('params.id');
  });
});

describe('point account reads', () => {
  it('validates the query and the id', async () => {
    const tenant = await createTenant(system.app);
    const missing = await system.app.inject({ url: '/api/v2/point-accounts', headers: tenant.headers });
    expect(missing.statusCode).toBe(400);
    expect(missing.json().errors).toEqual([{ path: 'query.contactId', message: 'is required', code: 'invalid_type' }]);
    const count = await system.app.inject({ url: `/api/v2/point-accounts?contactId=${randomUUID()}&count=5000`, headers: tenant.headers });
    expect(count.json().errors[0].path).toBe('query.count');
    expect((await system.app.inject({ url: '/api/v2/point-accounts/0', headers: tenant.headers })).statusCode).toBe(400);
    expect((await system.app.inject({ url: '/api/v2/point-accounts/999999999', headers: tenant.headers })).statusCode).toBe(404);
  });
});
