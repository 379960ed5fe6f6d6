import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTenant, startSystem, type TestSystem, waitForBatch } from '../support/system.ts';

/** Engage's newer documentation names /api/v3 for the pushes: they and their status endpoints answer there too, identically. */
let system: TestSystem;
beforeAll(async () => {
  system = await startSystem();
  await system.startWorker();
});
afterAll(() => system?.close());

const timeStamp = '2026-01-01T00:00:00.000Z';

describe('/api/v3', () => {
  it('takes a balance batch and answers its status as /api/v2 does', async () => {
    const tenant = await createTenant(system.app);
    const contact = randomUUID();
    const response = await system.app.inject({
      method: 'POST',
      url: '/api/v3/point-accounts/balances',
      headers: tenant.headers,
      payload: [{ contactId: contact, amount: 42, definitionId: 1, timeStamp }],
    });
    expect(response.statusCode, response.body).toBe(202);
    const { id } = response.json();
    await waitForBatch(system.app, tenant.headers, id);
    const v3 = await system.app.inject({ url: `/api/v3/point-accounts/balances/status/${id}`, headers: tenant.headers });
    const v2 = await system.app.inject({ url: `/api/v2/point-accounts/balances/status/${id}`, headers: tenant.headers });
    expect(v3.statusCode).toBe(200);
    expect(v3.json()).toEqual(v2.json());
    expect(v3.json()).toMatchObject({ status: 'Completed', appliedCount: 1 });
    const accounts = await system.app.inject({ url: `/api/v2/point-accounts?contactId=${contact}`, headers: tenant.headers });
    expect(accounts.json().items[0].balance).toBe(42);
  });

  it('takes transactions with the same Idempotency-Key store as /api/v2: one route, two prefixes', async () => {
    const tenant = await createTenant(system.app, { mode: 'all-transaction' });
    const rows = [{ contactId: randomUUID(), amount: 5, definitionId: 1, source: 'Purchase', description: 'v3' }];
    const headers = { ...tenant.headers, 'idempotency-key': randomUUID() };
    const first = await system.app.inject({ method: 'POST', url: '/api/v3/point-accounts/transactions', headers, payload: rows });
    expect(first.statusCode, first.body).toBe(202);
    const replay = await system.app.inject({ method: 'POST', url: '/api/v2/point-accounts/transactions', headers, payload: rows });
    expect(replay.json()).toEqual(first.json());
    expect(replay.headers['idempotent-replayed']).toBe('true');
    const status = await system.app.inject({ url: `/api/v3/point-accounts/transactions/status/${first.json().id}`, headers: tenant.headers });
    expect(status.statusCode).toBe(200);
  });

  it('asks for the API key on the reads too', async () => {
    expect((await system.app.inject({ method: 'POST', url: '/api/v3/point-accounts/balances', payload: [] })).statusCode).toBe(401);
    for (const url of [
      `/api/v3/point-accounts?contactId=${randomUUID()}`,
      `/api/v3/point-transactions?accountId=${randomUUID()}`,
      '/api/v3/point-definitions',
    ]) {
      const response = await system.app.inject({ url });
      expect(response.statusCode, url).toBe(401);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    }
  });

  it('is listed in the OpenAPI document next to /api/v2, with the v3 reads', async () => {
    const doc = (await system.app.inject({ url: '/documentation/json' })).json();
    const paths = Object.keys(doc.paths);
    for (const path of [
      '/point-accounts/balances',
      '/point-accounts/transactions',
      '/point-accounts/balances/status/{id}',
      '/point-accounts/transactions/status/{id}',
    ]) {
      expect(paths).toContain(`/api/v2${path}`);
      expect(paths).toContain(`/api/v3${path}`);
    }
    expect(paths.filter((path) => path.startsWith('/api/v3')).sort()).toEqual(
      [
        '/api/v3/contacts/details',
        '/api/v3/point-accounts',
        '/api/v3/point-accounts/{id}',
        '/api/v3/point-accounts/balances',
        '/api/v3/point-accounts/balances/status/{id}',
        '/api/v3/point-accounts/transactions',
        '/api/v3/point-accounts/transactions/status/{id}',
        '/api/v3/point-definitions',
        '/api/v3/point-definitions/{id}',
        '/api/v3/point-transactions',
        '/api/v3/point-transactions/{id}',
      ].sort(),
    );
    const filter = doc.paths['/api/v3/point-transactions'].get.parameters.find((p: { name: string }) => p.name === 'filter');
    expect(JSON.stringify(filter.schema)).toContain('Active');
  });
});

describe('/api/v3 point reads', () => {
  async function allTransactionContact() {
    const tenant = await createTenant(system.app, { mode: 'all-transaction', definitions: [1, 2] });
    const contact = randomUUID();
    const push = await system.app.inject({
      method: 'POST',
      url: '/api/v2/point-accounts/transactions',
      headers: tenant.headers,
      payload: [
        { contactId: contact, amount: 100, definitionId: 1, source: 'Purchase', description: 'Jeans', validTo: '2099-01-01T00:00:00Z' },
        { contactId: contact, amount: 40, definitionId: 1, source: 'Purchase', description: 'Shirt', validFrom: '2098-01-01T00:00:00Z' },
        { contactId: contact, amount: -30, definitionId: 1, source: 'Return', description: 'Returned jeans' },
        { contactId: contact, amount: 7, definitionId: 2, source: 'Automation', description: 'Birthday' },
      ],
    });
    expect(push.statusCode, push.body).toBe(202);
    await waitForBatch(system.app, tenant.headers, push.json().id);
    return { tenant, contact };
  }
  const get = async (tenant: { headers: Record<string, string> }, url: string, status = 200) => {
    const response = await system.app.inject({ url, headers: tenant.headers });
    expect(response.statusCode, `${url}: ${response.body}`).toBe(status);
    return response.json();
  };
  const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

  it("reads a contact's accounts with GUID ids and the very figures v2 serves, and each account by its GUID", async () => {
    const { tenant, contact } = await allTransactionContact();
    const v2 = await get(tenant, `/api/v2/point-accounts?contactId=${contact}`);
    const v3 = await get(tenant, `/api/v3/point-accounts?contactId=${contact}`);
    expect(v3).toMatchObject({ totalCount: 2, offset: 0, count: 100 });
    expect(v3.links).toEqual([{ rel: 'self', href: `/api/v3/point-accounts?contactId=${contact}&offset=0&count=100`, method: 'GET' }]);
    expect(v3.items).toHaveLength(2);
    for (const [i, account] of v3.items.entries()) {
      const { id: _v2, links: _v2Links, ...figures } = v2.items[i];
      const { id, links, ...v3Figures } = account;
      expect(id).toMatch(GUID);
      expect(v3Figures).toEqual(figures);
      expect(links).toEqual([
        { rel: 'self', href: `/api/v3/point-accounts/${id}`, method: 'GET' },
        { rel: 'transactions', href: `/api/v3/point-transactions?accountId=${id}`, method: 'GET' },
        { rel: 'definition', href: `/api/v3/point-definitions/${account.definitionId}`, method: 'GET' },
      ]);
      expect(await get(tenant, `/api/v3/point-accounts/${id}`)).toEqual(account);
      // An id is stable: the same account reads with the same GUID again, and in upper case too.
      expect((await get(tenant, `/api/v3/point-accounts/${id.toUpperCase()}`)).id).toBe(id);
    }
    expect(v3.items[0]).toMatchObject({ definitionId: 1, balance: 70, pendingPoints: 40, balanceExpires: '2099-01-01T00:00:00.000Z' });
  });

  it('reads the top-level point-transactions by account GUID, or by contact and definition, filtered and paged', async () => {
    const { tenant, contact } = await allTransactionContact();
    const account = (await get(tenant, `/api/v3/point-accounts?contactId=${contact}`)).items[0];
    const v2Account = (await get(tenant, `/api/v2/point-accounts?contactId=${contact}`)).items[0];
    const all = await get(tenant, `/api/v3/point-transactions?accountId=${account.id}`);
    const v2All = await get(tenant, `/api/v2/point-accounts/transactions?accountId=${v2Account.id}`);
    expect(all.totalCount).toBe(3);
    expect(all.items.map((t: { amount: number }) => t.amount)).toEqual(v2All.items.map((t: { amount: number }) => t.amount));
    for (const [i, item] of all.items.entries()) {
      expect(item.id).toMatch(GUID);
      expect(item.accountId).toBe(account.id);
      const { id: _id, accountId: _accountId, links: _links, ...content } = v2All.items[i];
      expect(item).toMatchObject(content);
      expect(item.links).toEqual([
        { rel: 'self', href: `/api/v3/point-transactions/${item.id}`, method: 'GET' },
        { rel: 'account', href: `/api/v3/point-accounts/${account.id}`, method: 'GET' },
      ]);
      expect(await get(tenant, `/api/v3/point-transactions/${item.id}`)).toEqual(item);
    }
    const byContact = await get(tenant, `/api/v3/point-transactions?contactId=${contact}&definitionId=1`);
    expect(byContact.items).toEqual(all.items);
    const pending = await get(tenant, `/api/v3/point-transactions?accountId=${account.id}&filter=Pending`);
    expect(pending.items.map((t: { description: string }) => t.description)).toEqual(['Shirt']);
    const page = await get(tenant, `/api/v3/point-transactions?accountId=${account.id}&offset=1&count=1`);
    expect(page.items).toEqual([all.items[1]]);
    expect(page.links.map((l: { rel: string; href: string }) => [l.rel, l.href])).toEqual([
      ['self', `/api/v3/point-transactions?accountId=${account.id}&filter=All&offset=1&count=1`],
      ['next', `/api/v3/point-transactions?accountId=${account.id}&filter=All&offset=2&count=1`],
      ['previous', `/api/v3/point-transactions?accountId=${account.id}&filter=All&offset=0&count=1`],
    ]);
  });

  it('pages the definitions, and reads one', async () => {
    const { tenant } = await allTransactionContact();
    const definitions = await get(tenant, '/api/v3/point-definitions?count=1');
    expect(definitions).toMatchObject({ items: [{ id: 1, name: 'Definition 1' }], totalCount: 2, offset: 0, count: 1 });
    expect(definitions.items[0].links).toEqual([{ rel: 'self', href: '/api/v3/point-definitions/1', method: 'GET' }]);
    expect(definitions.links.map((l: { rel: string }) => l.rel)).toEqual(['self', 'next']);
    expect(await get(tenant, '/api/v3/point-definitions/2')).toEqual({
      id: 2,
      name: 'Definition 2',
      links: [{ rel: 'self', href: '/api/v3/point-definitions/2', method: 'GET' }],
    });
  });

  it("answers 404 for a GUID that names nothing, or another tenant's, and 400 naming a malformed id", async () => {
    const { tenant, contact } = await allTransactionContact();
    const other = await createTenant(system.app, { mode: 'all-transaction' });
    const account = (await get(tenant, `/api/v3/point-accounts?contactId=${contact}`)).items[0];
    const transaction = (await get(tenant, `/api/v3/point-transactions?accountId=${account.id}`)).items[0];
    await get(other, `/api/v3/point-accounts/${account.id}`, 404);
    await get(other, `/api/v3/point-transactions/${transaction.id}`, 404);
    await get(other, `/api/v3/point-transactions?accountId=${account.id}`, 404);
    await get(tenant, `/api/v3/point-accounts/${randomUUID()}`, 404);
    await get(tenant, '/api/v3/point-definitions/9', 404);
    const bad = await get(tenant, '/api/v3/point-accounts/1', 400);
    expect(JSON.stringify(bad.errors)).toContain('must be a GUID');
    const badQuery = await get(tenant, '/api/v3/point-transactions?accountId=17', 400);
    expect(JSON.stringify(badQuery.errors)).toContain('accountId');
    await get(tenant, '/api/v3/point-transactions?contactId=' + contact, 400);
  });

  it('serves a balance-only account by GUID with no expiry, and an empty history', async () => {
    const tenant = await createTenant(system.app);
    const contact = randomUUID();
    const push = await system.app.inject({
      method: 'POST',
      url: '/api/v3/point-accounts/balances',
      headers: tenant.headers,
      payload: [{ contactId: contact, amount: 12, definitionId: 1, timeStamp }],
    });
    await waitForBatch(system.app, tenant.headers, push.json().id);
    const [account] = (await get(tenant, `/api/v3/point-accounts?contactId=${contact}`)).items;
    expect(account).toMatchObject({ contactId: contact, definitionId: 1, balance: 12, pendingPoints: 0 });
    expect(account).not.toHaveProperty('balanceExpires');
    expect(await get(tenant, `/api/v3/point-transactions?accountId=${account.id}`)).toMatchObject({ items: [], totalCount: 0 });
  });
});
