import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bonusPointType } from '../../src/domain/bonus-points.ts';
import { nullPaths, pagedResultOfBonusPointTransactionModel } from '../contract/engage-models.ts';
import { json, type RecordedRequest, type ScriptedServer, startScriptedServer } from '../support/http-server.ts';
import { ADMIN_TOKEN, createTenant, startSystem, type TestSystem, waitForBatch } from '../support/system.ts';

type Tenant = Awaited<ReturnType<typeof createTenant>>;

let system: TestSystem;
let master: ScriptedServer;
let answer: (request: RecordedRequest, response: ServerResponse) => void = (_request, response) => json(response, 200, []);

beforeAll(async () => {
  system = await startSystem({ OUTBOUND_ALLOW_PRIVATE: 'true', POINTS_LOG_TIMEOUT_MS: '300' });
  await system.startWorker();
  master = await startScriptedServer((request, response) => answer(request, response));
});
afterAll(async () => {
  await master?.close();
  await system?.close();
});

/** Fetches a contact's history and holds it to Engage's PagedResultOfBonusPointTransactionModel. */
async function history(tenant: Tenant, contactId: string, query = '') {
  const response = await system.app.inject({ url: `/api/v2/contacts/${contactId}/bonuspointtransactions${query}`, headers: tenant.headers });
  if (response.statusCode === 200) {
    expect(nullPaths(response.json())).toEqual([]);
    expect(pagedResultOfBonusPointTransactionModel.safeParse(response.json()).error?.issues ?? []).toEqual([]);
  }
  return response;
}

const row = (contactId: string, amount: number, source: string, timeStamp: string, definitionId = 1) => ({
  contactId,
  amount,
  definitionId,
  source,
  description: `${source} ${amount}`,
  timeStamp,
});

describe('GET /api/v2/contacts/{contactId}/bonuspointtransactions', () => {
  it("all-transaction mode: the contact's ledger on every account, newest first, sources mapped to Engage types, paged", async () => {
    const tenant = await createTenant(system.app, { mode: 'all-transaction', definitions: [1, 2] });
    const contact = randomUUID();
    const post = await system.app.inject({
      method: 'POST',
      url: '/api/v2/point-accounts/transactions',
      headers: tenant.headers,
      payload: [
        row(contact, 100, 'Purchase', '2026-01-01T10:00:00Z'),
        row(contact, -20, 'Return', '2026-01-02T10:00:00Z'),
        row(contact, 15, 'Automation', '2026-01-03T10:00:00Z', 2),
        row(contact, 5, 'Manual', '2026-01-04T10:00:00Z'),
        row(randomUUID(), 1, 'Purchase', '2026-01-05T10:00:00Z'),
      ],
    });
    await waitForBatch(system.app, tenant.headers, post.json().id);

    const response = await history(tenant, contact);
    expect(response.statusCode, response.body).toBe(200);
    const body = response.json();
    expect(body).toMatchObject({ totalCount: 4, offset: 0, count: 100 });
    expect(body.items.map((item: { amount: number; type: string }) => [item.amount, item.type])).toEqual([
      [5, 'Adjustment'],
      [15, 'FromAutomation'],
      [-20, 'Return'],
      [100, 'Purchase'],
    ]);
    expect(body.items[3]).toEqual({
      id: expect.stringMatching(/^\d+$/),
      amount: 100,
      transactionDateTime: '2026-01-01T10:00:00.000Z',
      description: 'Purchase 100',
      type: 'Purchase',
    });

    const page = (await history(tenant, contact, '?offset=1&count=2')).json();
    expect(page).toMatchObject({ totalCount: 4, offset: 1, count: 2 });
    expect(page.items.map((item: { amount: number }) => item.amount)).toEqual([15, -20]);
  });

  it("gives another tenant's contact, and an unknown one, an empty history", async () => {
    const owner = await createTenant(system.app, { mode: 'all-transaction' });
    const other = await createTenant(system.app, { mode: 'all-transaction' });
    const contact = randomUUID();
    const post = await system.app.inject({
      method: 'POST',
      url: '/api/v2/point-accounts/transactions',
      headers: owner.headers,
      payload: [row(contact, 10, 'Purchase', '2026-01-01T10:00:00Z')],
    });
    await waitForBatch(system.app, owner.headers, post.json().id);
    expect((await history(owner, contact)).json().totalCount).toBe(1);
    expect((await history(other, contact)).json()).toEqual({ items: [], totalCount: 0, offset: 0, count: 100 });
    expect((await history(owner, randomUUID())).json()).toEqual({ items: [], totalCount: 0, offset: 0, count: 100 });
  });

  it("balance-only mode: the master's points log, newest first and paged, through the points-log proxy", async () => {
    const tenant = await createTenant(system.app);
    const configured = await system.app.inject({
      method: 'PUT',
      url: `/admin/v1/tenants/${tenant.id}/points-log`,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      payload: { urlTemplate: `${master.url}/points/{contactId}` },
    });
    expect(configured.statusCode, configured.body).toBe(200);
    const contact = randomUUID();
    answer = (_request, response) =>
      json(response, 200, [
        { transactionDate: '2023-05-08T12:02:55Z', amount: 1500, description: 'Purchase of jeans' },
        { transactionDate: '2023-05-08T12:06:58Z', amount: 1900, description: 'Purchase of tshirt' },
        { transactionDate: '2023-05-07T12:00:00Z', amount: -100, description: 'Return' },
      ]);
    const response = await history(tenant, contact, '?offset=1&count=1');
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json()).toEqual({
      items: [{ amount: 1500, transactionDateTime: '2023-05-08T12:02:55Z', description: 'Purchase of jeans' }],
      totalCount: 3,
      offset: 1,
      count: 1,
    });
    expect(master.requests.at(-1)?.url).toBe(`/points/${contact}`);

    answer = (_request, response) => json(response, 500, { error: 'down' });
    expect((await history(tenant, contact)).statusCode).toBe(502);
    answer = () => undefined; // never answers
    expect((await history(tenant, contact)).statusCode).toBe(504);
  });

  it('answers 404 in balance-only mode when no points-log URL is configured', async () => {
    const tenant = await createTenant(system.app);
    const response = await history(tenant, randomUUID());
    expect(response.statusCode).toBe(404);
    expect(response.headers['content-type']).toContain('application/problem+json');
  });

  it('refuses a contactId that is not a uuid and paging out of range with a problem naming them', async () => {
    const tenant = await createTenant(system.app, { mode: 'all-transaction' });
    const bad = await history(tenant, 'not-a-uuid');
    expect(bad.statusCode).toBe(400);
    expect(bad.headers['content-type']).toContain('application/problem+json');
    expect(bad.body).toContain('contactId');
    const count = await history(tenant, randomUUID(), '?count=0');
    expect(count.statusCode).toBe(400);
    expect(count.body).toContain('count');
  });
});

describe('source to Engage type', () => {
  it('maps the known sources and makes anything else an Adjustment', () => {
    expect(
      ['Purchase', 'Return', 'Expiry', 'Automation', 'UpdateBalance', 'OpeningBalance', 'Manual', 'Adjustment', 'toString', 'Campaign'].map(bonusPointType),
    ).toEqual([
      'Purchase',
      'Return',
      'DueDate',
      'FromAutomation',
      'BonusBalanceAdjustment',
      'BonusBalanceAdjustment',
      'Adjustment',
      'Adjustment',
      'Adjustment',
      'Adjustment',
    ]);
  });
});
