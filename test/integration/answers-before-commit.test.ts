import { randomUUID } from 'node:crypto';
import type { InjectOptions } from 'fastify';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { expectFailedAnswerStoresNothing } from '../support/answers.ts';
import { listRoutes } from '../support/routes.ts';
import { ADMIN_TOKEN, adminPost, createTenant, startSystem } from '../support/system.ts';
import { logRowChanges } from '../support/tables.ts';

/**
 * No 5xx once something is committed: every write route's answer is made to
 * fail where it is serialised (the response schema's serializer, which every
 * JSON answer goes through), and the 5xx that follows must leave every table
 * as it was, so a client that retries does not store the thing twice. The
 * same request without the failure then succeeds (and, but for the routes
 * that only read, writes), so each request here is one that commits.
 */

const injected = vi.hoisted(() => ({ failing: false }));

vi.mock('fastify-type-provider-zod', async (importOriginal) => {
  const zod = await importOriginal<typeof import('fastify-type-provider-zod')>();
  const serializerCompiler: typeof zod.serializerCompiler = (route) => {
    const serialize = zod.serializerCompiler(route);
    return (data) => {
      if (injected.failing) throw new Error('injected failure of the answer');
      return serialize(data);
    };
  };
  return { ...zod, serializerCompiler };
});

const system = await startSystem({ RATE_LIMIT_PER_SECOND: '0' });
afterAll(() => system.close());
const { app } = system;
const rowChanges = await logRowChanges(system.runtime.pool);

const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
// HTML forms answer with a redirect or a page, no serialised answer (form-answers-before-commit.test.ts); the queue dashboard writes to Redis only.
const answersHtml = (url: string) => url.startsWith('/ui/');
const writeRoutes = listRoutes(app).filter((route) => WRITES.has(route.method));

const now = () => new Date().toISOString();
const LEVELS = [
  { key: 'member', name: 'Member', threshold: 0 },
  { key: 'gold', name: 'Gold', threshold: 500 },
];

type Tenant = Awaited<ReturnType<typeof createTenant>>;
const tenantApi = (tenant: Tenant, method: InjectOptions['method'], url: string, payload?: object, headers: Record<string, string> = {}): InjectOptions => ({
  method,
  url,
  headers: { ...tenant.headers, ...headers },
  ...(payload && { payload }),
});
const adminApi = (method: InjectOptions['method'], url: string, payload?: object): InjectOptions => ({
  method,
  url: `/admin/v1${url}`,
  headers: admin,
  ...(payload && { payload }),
});

/** A failed webhook delivery of `tenant`, as the worker leaves one after its last attempt. */
async function failedDelivery(tenant: Tenant): Promise<string> {
  const contactId = randomUUID();
  const sent = await app.inject(
    tenantApi(tenant, 'POST', '/api/v2/point-accounts/adjustments', {
      contactId,
      definitionId: 1,
      amount: 5,
      description: 'Goodwill',
      source: 'Manual',
      userId: randomUUID(),
      userName: 'Ann',
    }),
  );
  expect(sent.statusCode, sent.body).toBe(202);
  const { rows } = await system.runtime.pool.query<{ id: string }>(
    `UPDATE webhook_delivery SET state = 'Failed' WHERE tenant_id = $1 AND adjustment_id = $2 RETURNING id::text`,
    [tenant.id, sent.json<{ id: string }>().id],
  );
  return rows[0]!.id;
}

async function openReconciliation(tenant: Tenant): Promise<string> {
  const opened = await app.inject(tenantApi(tenant, 'POST', '/api/v2/point-accounts/reconciliations', { asOf: now() }));
  expect(opened.statusCode, opened.body).toBe(201);
  return opened.json<{ id: string }>().id;
}

const ledgerTenant = () => createTenant(app, { mode: 'all-transaction' });
const balanceTenant = () => createTenant(app, { mode: 'balance-only' });
const pushBalances = (version: string) => async () =>
  tenantApi(await balanceTenant(), 'POST', `/api/${version}/point-accounts/balances`, [
    { contactId: randomUUID(), definitionId: 1, amount: 5, timeStamp: now() },
  ]);
const pushTransactions = (version: string) => async () =>
  tenantApi(
    await ledgerTenant(),
    'POST',
    `/api/${version}/point-accounts/transactions`,
    [{ contactId: randomUUID(), definitionId: 1, amount: 7, source: 'Purchase', description: 'Purchase' }],
    { 'idempotency-key': randomUUID() },
  );
const pushContactDetails = (version: string) => async () =>
  tenantApi(await balanceTenant(), 'POST', `/api/${version}/contacts/details`, [{ contactId: randomUUID(), timeStamp: now(), displayName: 'Ann Lind' }]);
async function uiUser(tenant: Tenant): Promise<string> {
  return (
    await adminPost(app, `/tenants/${tenant.id}/users`, { username: `u-${randomUUID().slice(0, 8)}`, password: 'a long enough password', displayName: 'Ann' })
  ).id;
}

/** A subscription of `tenant` to point.balance.updated, as the admin API makes one. */
async function subscribed(tenant: Tenant): Promise<string> {
  return (await adminPost(app, `/tenants/${tenant.id}/subscriptions`, { url: 'https://subscriber.example/events', events: ['point.balance.updated'] })).id;
}

/** A subscription of `tenant` with one event in its outbox left Failed, as the sender leaves one after its last attempt. */
async function failedEvent(tenant: Tenant): Promise<string> {
  const id = await subscribed(tenant);
  await system.runtime.pool.query(
    `INSERT INTO balance_event (subscription_id, account_id, tenant_id, event_id, version, balance, changed_at, state, created_at, updated_at)
     VALUES ($1, 1, $2, $3, 1, 5, now(), 'Failed', now(), now())`,
    [id, tenant.id, randomUUID()],
  );
  return id;
}

/**
 * A request for every write route that commits when it succeeds (made ready
 * beforehand, outside the failure); a new write route fails the test below
 * until it has one here.
 */
const requests: Record<string, () => Promise<InjectOptions>> = {
  'POST /api/v2/point-accounts/balances': pushBalances('v2'),
  'POST /api/v3/point-accounts/balances': pushBalances('v3'),
  'POST /api/v2/point-accounts/transactions': pushTransactions('v2'),
  'POST /api/v3/point-accounts/transactions': pushTransactions('v3'),
  'POST /api/v2/point-accounts/digests': async () =>
    tenantApi(await balanceTenant(), 'POST', '/api/v2/point-accounts/digests', { asOf: now(), prefixes: [''], depth: 1 }),
  'POST /api/v2/point-accounts/digests/accounts': async () =>
    tenantApi(await balanceTenant(), 'POST', '/api/v2/point-accounts/digests/accounts', { asOf: now(), prefixes: ['0'] }),
  'POST /api/v2/point-accounts/adjustments': async () =>
    tenantApi(
      await balanceTenant(),
      'POST',
      '/api/v2/point-accounts/adjustments',
      { contactId: randomUUID(), definitionId: 1, amount: 5, description: 'Goodwill', source: 'Manual', userId: randomUUID(), userName: 'Ann' },
      { 'idempotency-key': randomUUID() },
    ),
  'POST /api/v2/point-accounts/reconciliations': async () =>
    tenantApi(await balanceTenant(), 'POST', '/api/v2/point-accounts/reconciliations', { asOf: now(), scope: 'Full' }),
  'POST /api/v2/point-accounts/reconciliations/:id/accounts': async () => {
    const tenant = await balanceTenant();
    return tenantApi(tenant, 'POST', `/api/v2/point-accounts/reconciliations/${await openReconciliation(tenant)}/accounts`, [
      { contactId: randomUUID(), definitionId: 1, balance: 3 },
    ]);
  },
  'POST /api/v2/point-accounts/reconciliations/:id/complete': async () => {
    const tenant = await balanceTenant();
    return tenantApi(tenant, 'POST', `/api/v2/point-accounts/reconciliations/${await openReconciliation(tenant)}/complete`);
  },
  'POST /api/v2/contacts/details': pushContactDetails('v2'),
  'POST /api/v3/contacts/details': pushContactDetails('v3'),
  'POST /api/v2/contacts/:contactId/rewardpointtransaction': async () =>
    tenantApi(
      await balanceTenant(),
      'POST',
      `/api/v2/contacts/${randomUUID()}/rewardpointtransaction`,
      { points: 10, description: 'Birthday' },
      {
        'idempotency-key': randomUUID(),
      },
    ),
  'POST /admin/v1/tenants': async () => adminApi('POST', '/tenants', { name: `t-${randomUUID().slice(0, 8)}`, mode: 'balance-only' }),
  'PATCH /admin/v1/tenants/:tenantId': async () => adminApi('PATCH', `/tenants/${(await balanceTenant()).id}`, { mode: 'all-transaction' }),
  'POST /admin/v1/tenants/:tenantId/definitions': async () => adminApi('POST', `/tenants/${(await balanceTenant()).id}/definitions`, { id: 5, name: 'Five' }),
  'POST /admin/v1/tenants/:tenantId/deliveries/replay': async () => {
    const tenant = await balanceTenant();
    await failedDelivery(tenant);
    return adminApi('POST', `/tenants/${tenant.id}/deliveries/replay`);
  },
  'POST /admin/v1/tenants/:tenantId/deliveries/:id/replay': async () => {
    const tenant = await balanceTenant();
    return adminApi('POST', `/tenants/${tenant.id}/deliveries/${await failedDelivery(tenant)}/replay`);
  },
  'POST /admin/v1/tenants/:tenantId/api-keys': async () => adminApi('POST', `/tenants/${(await balanceTenant()).id}/api-keys`, { name: 'another' }),
  'DELETE /admin/v1/tenants/:tenantId/api-keys/:id': async () => {
    const tenant = await balanceTenant();
    const key = await adminPost(app, `/tenants/${tenant.id}/api-keys`, { name: 'to revoke' });
    return adminApi('DELETE', `/tenants/${tenant.id}/api-keys/${key.id}`);
  },
  'POST /admin/v1/tenants/:tenantId/ledger-audit': async () => adminApi('POST', `/tenants/${(await ledgerTenant()).id}/ledger-audit`, { mend: true }),
  'PUT /admin/v1/tenants/:tenantId/levels': async () =>
    adminApi('PUT', `/tenants/${(await ledgerTenant()).id}/levels`, {
      definitionId: 1,
      basis: 'PointsEarned',
      window: { type: 'Rolling', months: 12 },
      levels: LEVELS,
    }),
  'POST /admin/v1/tenants/:tenantId/contacts': async () => adminApi('POST', `/tenants/${(await balanceTenant()).id}/contacts`, { contactIds: [randomUUID()] }),
  'DELETE /admin/v1/tenants/:tenantId/contacts/:contactId': async () => {
    const tenant = await balanceTenant();
    const contactId = randomUUID();
    await adminPost(app, `/tenants/${tenant.id}/contacts`, { contactIds: [contactId] }).catch(() => undefined);
    return adminApi('DELETE', `/tenants/${tenant.id}/contacts/${contactId}`);
  },
  'PUT /admin/v1/tenants/:tenantId/contacts/:contactId': async () =>
    adminApi('PUT', `/tenants/${(await balanceTenant()).id}/contacts/${randomUUID()}`, { displayName: 'Ann Lind', email: 'ann@example.com' }),
  'DELETE /admin/v1/tenants/:tenantId/contacts/:contactId/personal-data': async () => {
    const tenant = await balanceTenant();
    const contactId = randomUUID();
    await app.inject(adminApi('PUT', `/tenants/${tenant.id}/contacts/${contactId}`, { displayName: 'Ann Lind' }));
    return adminApi('DELETE', `/tenants/${tenant.id}/contacts/${contactId}/personal-data`);
  },
  'PUT /admin/v1/tenants/:tenantId/webhook': async () =>
    adminApi('PUT', `/tenants/${(await balanceTenant()).id}/webhook`, { url: 'https://master.example/hook' }),
  'POST /admin/v1/tenants/:tenantId/webhook/rotate': async () => {
    const tenant = await balanceTenant();
    expect((await app.inject(adminApi('PUT', `/tenants/${tenant.id}/webhook`, { url: 'https://master.example/hook' }))).statusCode).toBe(200);
    return adminApi('POST', `/tenants/${tenant.id}/webhook/rotate`);
  },
  'PUT /admin/v1/tenants/:tenantId/points-log': async () =>
    adminApi('PUT', `/tenants/${(await balanceTenant()).id}/points-log`, {
      urlTemplate: 'https://master.example/points/{contactId}',
      authHeader: 'Authorization: Bearer a-secret',
    }),
  'POST /admin/v1/tenants/:tenantId/users': async () =>
    adminApi('POST', `/tenants/${(await balanceTenant()).id}/users`, { username: 'ann', password: 'a long enough password', displayName: 'Ann' }),
  'POST /admin/v1/tenants/:tenantId/users/:id/disable': async () => {
    const tenant = await balanceTenant();
    return adminApi('POST', `/tenants/${tenant.id}/users/${await uiUser(tenant)}/disable`);
  },
  'POST /admin/v1/tenants/:tenantId/users/:id/enable': async () => {
    const tenant = await balanceTenant();
    const id = await uiUser(tenant);
    expect((await app.inject(adminApi('POST', `/tenants/${tenant.id}/users/${id}/disable`))).statusCode).toBe(200);
    return adminApi('POST', `/tenants/${tenant.id}/users/${id}/enable`);
  },
  'POST /admin/v1/tenants/:tenantId/users/:id/password': async () => {
    const tenant = await balanceTenant();
    return adminApi('POST', `/tenants/${tenant.id}/users/${await uiUser(tenant)}/password`, { password: 'another long password' });
  },
  'POST /admin/v1/tenants/:tenantId/subscriptions': async () =>
    adminApi('POST', `/tenants/${(await balanceTenant()).id}/subscriptions`, { url: 'https://subscriber.example/events', events: ['point.balance.updated'] }),
  'PATCH /admin/v1/tenants/:tenantId/subscriptions/:id': async () => {
    const tenant = await balanceTenant();
    return adminApi('PATCH', `/tenants/${tenant.id}/subscriptions/${await subscribed(tenant)}`, { batch: true });
  },
  'DELETE /admin/v1/tenants/:tenantId/subscriptions/:id': async () => {
    const tenant = await balanceTenant();
    return adminApi('DELETE', `/tenants/${tenant.id}/subscriptions/${await subscribed(tenant)}`);
  },
  'POST /admin/v1/tenants/:tenantId/subscriptions/:id/rotate': async () => {
    const tenant = await balanceTenant();
    return adminApi('POST', `/tenants/${tenant.id}/subscriptions/${await subscribed(tenant)}/rotate`);
  },
  'POST /admin/v1/tenants/:tenantId/subscriptions/:id/replay': async () => {
    const tenant = await balanceTenant();
    return adminApi('POST', `/tenants/${tenant.id}/subscriptions/${await failedEvent(tenant)}/replay`);
  },
};
// These answer from what they read; with nothing to mend, the audit writes nothing either.
const readsOnly = new Set([
  'POST /api/v2/point-accounts/digests',
  'POST /api/v2/point-accounts/digests/accounts',
  'POST /admin/v1/tenants/:tenantId/ledger-audit',
]);

describe('a write whose answer fails leaves nothing stored', () => {
  it('finds the write routes of the tenant and admin APIs', () => {
    expect(writeRoutes.filter((route) => !answersHtml(route.url)).length).toBeGreaterThanOrEqual(29);
  });

  for (const route of writeRoutes.filter((r) => !answersHtml(r.url))) {
    const name = `${route.method} ${route.url}`;
    it(`${name}: a 5xx for a failed answer, every table unchanged; without the failure it commits`, () =>
      expectFailedAnswerStoresNothing({ app, rowChanges, injected, name, requests, successBelow: 300, writes: !readsOnly.has(name) }));
  }
});
