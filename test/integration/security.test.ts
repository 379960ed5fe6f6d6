import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fillRoute, listRoutes, routeParams } from '../support/routes.ts';
import { ADMIN_TOKEN, adminPost, createTenant, startSystem, type TestSystem, waitForBatch } from '../support/system.ts';
import { createUiUser, signIn, signInAdmin } from '../support/ui.ts';

let system: TestSystem;
beforeAll(async () => {
  // The sweeps below send every route bad credentials from one address; failed-auth limiting has its own test file.
  system = await startSystem({ RATE_LIMIT_PER_SECOND: '0', AUTH_FAILURE_LIMIT: '0' });
  await system.startWorker();
});
afterAll(() => system?.close());

type Tenant = Awaited<ReturnType<typeof createTenant>>;

describe('tenant isolation', () => {
  it("every tenant route answers another tenant's ids with 404 or an empty list, never its data", async () => {
    const { app } = system;
    const owner = await createTenant(app, { mode: 'all-transaction', definitions: [1, 7] });
    const owner2 = await createTenant(app, { mode: 'balance-only', definitions: [1, 7] });
    // The intruder's own definition id is one no id of the owner's can equal.
    const intruder = await createTenant(app, { mode: 'all-transaction', definitions: [5000] });
    const contactId = randomUUID();
    const secretAmount = 987_654_321;
    // The owner allows adjustments that large, so the same figure is in its ledger, balance and adjustment.
    const limit = await app.inject({
      method: 'PATCH',
      url: `/admin/v1/tenants/${owner.id}`,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      payload: { maxAdjustmentPoints: secretAmount },
    });
    expect(limit.statusCode, limit.body).toBe(200);

    const tx = await app.inject({
      method: 'POST',
      url: '/api/v2/point-accounts/transactions',
      headers: owner.headers,
      payload: [{ contactId, amount: secretAmount, definitionId: 7, source: 'Purchase', description: 'secret description' }],
    });
    expect(tx.statusCode).toBe(202);
    await waitForBatch(app, owner.headers, tx.json().id);
    const balance = await app.inject({
      method: 'POST',
      url: '/api/v2/point-accounts/balances',
      headers: owner2.headers,
      payload: [{ contactId, amount: secretAmount, definitionId: 7, timeStamp: '2024-01-01T00:00:00Z' }],
    });
    expect(balance.statusCode).toBe(202);
    await waitForBatch(app, owner2.headers, balance.json().id);

    const adjustment = await app.inject({
      method: 'POST',
      url: '/api/v2/point-accounts/adjustments',
      headers: owner.headers,
      payload: {
        contactId,
        definitionId: 7,
        amount: secretAmount,
        description: 'secret adjustment',
        source: 'Manual',
        userId: randomUUID(),
        userName: 'Secret Agent',
      },
    });
    expect(adjustment.statusCode, adjustment.body).toBe(202);

    const accounts = (await app.inject({ url: `/api/v2/point-accounts?contactId=${contactId}`, headers: owner.headers })).json();
    const accountId = accounts.items[0].id as number;
    const balanceAccountId = (await app.inject({ url: `/api/v2/point-accounts?contactId=${contactId}`, headers: owner2.headers })).json().items[0].id as number;
    const entries = (await app.inject({ url: `/api/v2/point-accounts/transactions?accountId=${accountId}`, headers: owner.headers })).json();
    const v3Account = (await app.inject({ url: `/api/v3/point-accounts?contactId=${contactId}`, headers: owner.headers })).json().items[0];
    const v3BalanceAccount = (await app.inject({ url: `/api/v3/point-accounts?contactId=${contactId}`, headers: owner2.headers })).json().items[0];
    const v3Entry = (await app.inject({ url: `/api/v3/point-transactions?accountId=${v3Account.id}`, headers: owner.headers })).json().items[0];
    const ids: Record<string, [Tenant, string]> = {
      'transactions batch id': [owner, tx.json().id],
      'balances batch id': [owner2, balance.json().id],
      'account id (ledger)': [owner, String(accountId)],
      'account id (balance-only)': [owner2, String(balanceAccountId)],
      'transaction id': [owner, String(entries.items[0].id)],
      'account GUID (ledger)': [owner, v3Account.id],
      'account GUID (balance-only)': [owner2, v3BalanceAccount.id],
      'transaction GUID': [owner, v3Entry.id],
      'definition id': [owner, '7'],
      'contact id': [owner, contactId],
      'adjustment id': [owner, adjustment.json().id],
      'adjustment event id': [owner, adjustment.json().eventId],
    };
    const secrets = [
      contactId,
      String(secretAmount),
      'secret description',
      'secret adjustment',
      'Secret Agent',
      tx.json().id,
      balance.json().id,
      adjustment.json().id,
      adjustment.json().eventId,
    ];

    const tenantGets = listRoutes(app).filter((r) => r.method === 'GET' && /^\/api\/v[23]\//.test(r.url));
    let refused = 0;
    for (const route of tenantGets) {
      const params = routeParams(route.url);
      for (const [kind, [ownerTenant, id]] of Object.entries(ids)) {
        const queries = ['', `?contactId=${id}`, `?accountId=${id}`, `?contactId=${id}&definitionId=7`, `?contactId=${contactId}&definitionId=${id}`];
        for (const query of params.length > 0 ? [''] : queries) {
          const url = fillRoute(route.url, Object.fromEntries(params.map((p) => [p, id]))) + query;
          const asOwner = await app.inject({ url, headers: ownerTenant.headers });
          const asIntruder = await app.inject({ url, headers: intruder.headers });
          const context = `${kind} ${url}: ${asIntruder.statusCode} ${asIntruder.body.slice(0, 300)}`;
          // Links echo the request's own query; anything else of the owner's must not show.
          for (const secret of secrets.filter((value) => !url.includes(value))) expect(asIntruder.body, context).not.toContain(secret);
          if (asIntruder.statusCode === 200) {
            // Lists answer empty; only data that is not the owner's (the definitions list: the intruder's own) may show.
            const body = asIntruder.json();
            if (route.url.endsWith('/point-definitions'))
              expect(
                body.items.map((d: { id: number }) => d.id),
                context,
              ).toEqual([5000]);
            else if (Array.isArray(body.items)) expect(body.totalCount, context).toBe(0);
          } else {
            expect([400, 404], context).toContain(asIntruder.statusCode);
          }
          // Where the id names something of the owner's, the owner sees it and the intruder gets 404, never 403;
          // a contact's history is a list, which answers the intruder empty (checked above).
          if (asOwner.statusCode === 200 && params.length > 0 && !Array.isArray(asOwner.json().items)) {
            expect(asIntruder.statusCode, context).toBe(404);
            refused++;
          }
        }
      }
    }
    // batch ids on both status routes (v2 and v3), both account ids and GUIDs, the transaction id and GUID, the definition id (v2 and v3), the adjustment id
    expect(refused).toBeGreaterThanOrEqual(14);
  }, 120_000); // it walks every tenant route; beside other files on a busy machine that took more than the default 30 s
});

describe('admin routes', () => {
  it('every /admin route refuses without the admin token, with a wrong one and with a tenant key', async () => {
    const tenant = await createTenant(system.app);
    const adminRoutes = listRoutes(system.app).filter((r) => r.url.startsWith('/admin/'));
    expect(adminRoutes.length).toBeGreaterThanOrEqual(11);
    for (const route of adminRoutes) {
      const url = fillRoute(route.url, Object.fromEntries(routeParams(route.url).map((p) => [p, p === 'tenantId' ? tenant.id : randomUUID()])));
      for (const headers of [
        {},
        { authorization: 'Bearer wrong-token-0123456789' },
        { authorization: `Bearer ${tenant.key}` },
        { apikey: tenant.key },
        { authorization: ADMIN_TOKEN },
      ]) {
        const response = await system.app.inject({
          method: route.method as 'GET',
          url,
          headers: { ...headers, 'content-type': 'application/json' },
          payload: route.method === 'GET' ? undefined : '{}',
        });
        expect(response.statusCode, `${route.method} ${url} ${JSON.stringify(headers)}`).toBe(401);
        expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      }
    }
  });
});

describe('CORS', () => {
  it('is closed: no Access-Control-Allow-Origin on any answer, and preflight is not allowed', async () => {
    const tenant = await createTenant(system.app);
    const origin = 'https://evil.example';
    for (const route of listRoutes(system.app)) {
      const url = fillRoute(route.url, Object.fromEntries(routeParams(route.url).map((p) => [p, randomUUID()])));
      const response = await system.app.inject({ method: route.method as 'GET', url, headers: { ...tenant.headers, origin } });
      expect(response.headers['access-control-allow-origin'], url).toBeUndefined();
      const preflight = await system.app.inject({
        method: 'OPTIONS',
        url,
        headers: { origin, 'access-control-request-method': route.method, 'access-control-request-headers': 'apikey, content-type' },
      });
      expect(preflight.statusCode, `OPTIONS ${url}`).toBeGreaterThanOrEqual(400);
      expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
      expect(preflight.headers['access-control-allow-methods']).toBeUndefined();
    }
  });
});

describe('log redaction', () => {
  let system: TestSystem;
  let app: FastifyInstance;
  const lines: string[] = [];
  beforeAll(async () => {
    system = await startSystem({ LOG_LEVEL: 'trace', RATE_LIMIT_PER_SECOND: '0' }, { logLines: lines });
    app = system.app;
  });
  afterAll(() => system?.close());

  it('no API key, admin token or other secret appears in any log line', async () => {
    const tenant = await createTenant(app);
    const second = await adminPost(app, `/tenants/${tenant.id}/api-keys`, { name: 'second' });
    const wrongKey = `pf_${randomUUID()}`;
    const requests = [
      { url: '/api/v2/point-accounts/definitions', headers: { apikey: tenant.key } },
      { url: '/api/v2/point-accounts/definitions', headers: { authorization: `Bearer ${second.key}` } },
      { url: '/api/v2/point-accounts/definitions', headers: { authorization: `bearer ${wrongKey}` } },
      { url: '/api/v2/point-accounts/definitions', headers: { apikey: wrongKey, cookie: `session=${wrongKey}` } },
      { url: '/api/v2/point-accounts/nope/x', headers: { apikey: tenant.key } },
      { url: '/admin/v1/tenants', headers: { authorization: `Bearer ${ADMIN_TOKEN}x` } },
      { url: `/admin/v1/tenants/${tenant.id}/api-keys`, headers: { authorization: `Bearer ${ADMIN_TOKEN}` } },
      {
        method: 'POST' as const,
        url: '/api/v2/point-accounts/balances',
        headers: { apikey: tenant.key, 'content-type': 'application/json' },
        payload: '{bad json',
      },
    ];
    for (const request of requests) await app.inject(request);

    // The point master integration's secrets, and the contact card's passwords and sessions.
    const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
    const webhook = (
      await app.inject({ method: 'PUT', url: `/admin/v1/tenants/${tenant.id}/webhook`, headers: admin, payload: { url: 'https://master.example/hook' } })
    ).json();
    const rotated = (await app.inject({ method: 'POST', url: `/admin/v1/tenants/${tenant.id}/webhook/rotate`, headers: admin, payload: {} })).json();
    const headerSecret = `hdr-${randomUUID()}`;
    await app.inject({
      method: 'PUT',
      url: `/admin/v1/tenants/${tenant.id}/points-log`,
      headers: admin,
      payload: { urlTemplate: 'https://master.example/points/{contactId}', authHeader: `X-Api-Key: ${headerSecret}` },
    });
    const user = await createUiUser(app, tenant.id);
    const session = await signIn(app, { tenant: tenant.name, username: user.username, password: user.password });
    await app.inject({ url: '/ui', headers: { cookie: session.cookie } });
    await app.inject({
      method: 'POST',
      url: '/ui/login',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `tenant=${tenant.name}&username=${user.username}&password=wrong-${user.password}`,
    });
    const adminSession = await signInAdmin(app, ADMIN_TOKEN);
    await app.inject({ url: '/ui/admin', headers: { cookie: adminSession.cookie } });

    expect(lines.length).toBeGreaterThan(20);
    const log = lines.join('\n');
    const secrets = [
      tenant.key,
      second.key,
      wrongKey,
      ADMIN_TOKEN,
      headerSecret,
      user.password,
      session.cookie.split('=')[1]!,
      session.csrf,
      adminSession.cookie.split('=')[1]!,
    ];
    secrets.push(webhook.encryptionKey, webhook.signingSecret, rotated.encryptionKey, rotated.signingSecret);
    expect(secrets.every((secret) => typeof secret === 'string' && secret.length >= 16)).toBe(true);
    for (const secret of secrets) expect(log).not.toContain(secret);
    expect(log).toContain('incoming request');
  });
});
