import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { ADMIN_TOKEN, adminPost, createTenant, startSystem, type TestSystem, waitForBatch } from '../support/system.ts';
import {
  nullPaths,
  pointAccount,
  pointAccountList,
  pointAccountV3,
  pointAccountV3List,
  pointDefinition,
  pointDefinitionV3List,
  pointTransaction,
  pointTransactionList,
  pointTransactionToAccountResult,
  pointTransactionV3,
  pointTransactionV3List,
} from './engage-models.ts';

/**
 * Drives the real service into every state that leaves an optional field out
 * and checks each Engage-shaped answer against Engage's models, as a client
 * generated from them does: any `null` or wrongly typed field fails it.
 */
let system: TestSystem;
beforeAll(async () => {
  system = await startSystem();
  await system.startWorker();
});
afterAll(() => system?.close());

type Tenant = Awaited<ReturnType<typeof createTenant>>;

/** Fetches an answer and validates it against the model as an Engage client would. */
async function engage<T extends z.ZodType>(tenant: Tenant, model: T, url: string, init: { method?: 'POST'; payload?: unknown; status?: number } = {}) {
  const response = await system.app.inject({
    method: init.method ?? 'GET',
    url,
    headers: tenant.headers,
    ...(init.payload === undefined ? {} : { payload: init.payload as object }),
  });
  expect(response.statusCode, response.body).toBe(init.status ?? 200);
  const body: unknown = response.json();
  expect(nullPaths(body), `${url}: ${response.body}`).toEqual([]);
  const parsed = model.safeParse(body);
  expect(parsed.error?.issues ?? [], `${url}: ${response.body}`).toEqual([]);
  return body as z.output<T> & Record<string, unknown>;
}

const row = (contactId: string, amount: number, extra: Record<string, unknown> = {}) => ({
  contactId,
  amount,
  definitionId: 1,
  source: 'Purchase',
  description: 'Contract',
  ...extra,
});

async function pushTransactions(tenant: Tenant, rows: unknown[]) {
  const body = await engage(tenant, pointTransactionToAccountResult, '/api/v2/point-accounts/transactions', { method: 'POST', payload: rows, status: 202 });
  await waitForBatch(system.app, tenant.headers, body.id as string);
  return body;
}

describe('balance-only mode', () => {
  it('serves accounts (no balanceExpires), their empty transaction lists and definitions with and without description', async () => {
    const tenant = await createTenant(system.app, { definitions: [1] });
    await adminPost(system.app, `/tenants/${tenant.id}/definitions`, { id: 2, name: 'Described', description: 'Points with a description' });
    const contact = randomUUID();
    const push = await system.app.inject({
      method: 'POST',
      url: '/api/v2/point-accounts/balances',
      headers: tenant.headers,
      payload: [
        { contactId: contact, amount: 10, definitionId: 1, timeStamp: '2026-01-01T00:00:00Z' },
        { contactId: contact, amount: 20, definitionId: 2, timeStamp: '2026-01-01T00:00:00Z' },
      ],
    });
    await waitForBatch(system.app, tenant.headers, push.json().id);

    const accounts = await engage(tenant, pointAccountList, `/api/v2/point-accounts?contactId=${contact}`);
    expect(accounts.items).toHaveLength(2);
    for (const account of accounts.items!) {
      expect(account).not.toHaveProperty('balanceExpires');
      await engage(tenant, pointAccount, `/api/v2/point-accounts/${account.id}`);
      // Balance-only history is kept apart from the ledger: an empty, still well-formed list.
      const history = await engage(tenant, pointTransactionList, `/api/v2/point-accounts/transactions?accountId=${account.id}`);
      expect(history).toMatchObject({ items: [], totalCount: 0 });
    }

    const definitions = await engage(tenant, pointDefinition.array(), '/api/v2/point-accounts/definitions');
    expect(definitions.map((d) => d.description)).toEqual([undefined, 'Points with a description']);
    expect(definitions[0]).not.toHaveProperty('description');
    await engage(tenant, pointDefinition, '/api/v2/point-accounts/definitions/1');
    await engage(tenant, pointDefinition, '/api/v2/point-accounts/definitions/2');

    const none = await engage(tenant, pointAccountList, `/api/v2/point-accounts?contactId=${randomUUID()}`);
    expect(none.items).toEqual([]);
  });
});

describe('all-transaction mode', () => {
  it('serves accounts with and without expiry, and never-expiring, expiring, pending and expired transactions, paged', async () => {
    const tenant = await createTenant(system.app, { mode: 'all-transaction' });
    const [expiring, forever] = [randomUUID(), randomUUID()];
    await pushTransactions(tenant, [
      row(expiring, 50, { validTo: '2099-01-01T00:00:00Z' }),
      row(expiring, 7),
      row(expiring, 30, { validFrom: '2098-01-01T00:00:00Z' }),
      row(expiring, 5, { validFrom: '2020-01-01T00:00:00Z', validTo: '2021-01-01T00:00:00Z' }),
      row(expiring, -3, { source: 'Return' }),
      row(forever, 9),
    ]);

    const withExpiry = (await engage(tenant, pointAccountList, `/api/v2/point-accounts?contactId=${expiring}`)).items![0]!;
    expect(withExpiry).toMatchObject({ balance: 54, pendingPoints: 30, balanceExpires: '2099-01-01T00:00:00.000Z' });
    const foreverId = (await engage(tenant, pointAccountList, `/api/v2/point-accounts?contactId=${forever}`)).items![0]!.id!;
    const withoutExpiry = await engage(tenant, pointAccount, `/api/v2/point-accounts/${foreverId}`);
    expect(withoutExpiry).toMatchObject({ contactId: forever, balance: 9 });
    expect(withoutExpiry).not.toHaveProperty('balanceExpires');

    for (const filter of ['All', 'Active', 'Pending']) {
      await engage(tenant, pointTransactionList, `/api/v2/point-accounts/transactions?accountId=${withExpiry.id}&filter=${filter}`);
    }
    const all = await engage(tenant, pointTransactionList, `/api/v2/point-accounts/transactions?contactId=${expiring}&definitionId=1`);
    expect(all.items!.filter((t) => t.validTo === undefined).length).toBeGreaterThan(0);
    expect(all.items!.some((t) => t.validFrom === '2098-01-01T00:00:00.000Z')).toBe(true);
    for (const item of all.items!) {
      expect(item.links).toEqual([
        { rel: 'self', href: `/api/v2/point-accounts/transactions/${item.id}`, method: 'GET' },
        { rel: 'account', href: `/api/v2/point-accounts/${withExpiry.id}`, method: 'GET' },
      ]);
      await engage(tenant, pointTransaction, `/api/v2/point-accounts/transactions/${item.id}`);
    }

    const middle = await engage(tenant, pointTransactionList, `/api/v2/point-accounts/transactions?accountId=${withExpiry.id}&offset=1&count=1`);
    expect(middle.links!.map((l) => l.rel)).toEqual(['self', 'next', 'previous']);
    const pending = await engage(tenant, pointTransactionList, `/api/v2/point-accounts/transactions?accountId=${foreverId}&filter=Pending`);
    expect(pending).toMatchObject({ items: [], totalCount: 0 });
    const accounts = await engage(tenant, pointAccountList, `/api/v2/point-accounts?contactId=${expiring}&count=1&offset=0`);
    expect(accounts.links!.map((l) => l.rel)).toEqual(['self']);
  });

  it('answers every kind of refused row within the model: no null, no wrongly typed field', async () => {
    const tenant = await createTenant(system.app, { mode: 'all-transaction', requireKnownContacts: true });
    const known = randomUUID();
    const added = await system.app.inject({
      method: 'POST',
      url: `/admin/v1/tenants/${tenant.id}/contacts`,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      payload: { contactIds: [known] },
    });
    expect(added.statusCode, added.body).toBe(200);
    const refused = [
      row('not-a-uuid', 1),
      row(known, 0),
      row(known, 2.50001),
      row(known, '5' as unknown as number),
      row(known, 1, { definitionId: '1' }),
      row(known, 1, { definitionId: 99 }),
      row(randomUUID(), 1),
      row(known, 1, { source: undefined }),
      row(known, 1, { source: 42 }),
      row(known, 1, { description: '  ' }),
      row(known, 1, { description: null }),
      row(known, 1, { timeStamp: 'yesterday' }),
      row(known, 1, { validFrom: '2030-02-01T00:00:00Z', validTo: '2030-01-01T00:00:00Z' }),
      row(known, 0, { validTo: null }),
      row(known, 0, { validFrom: null, timeStamp: null }),
      'a string',
      null,
      [1, 2],
    ];
    const answer = await pushTransactions(tenant, [...refused, row(known, 4, { validTo: null })]);
    expect(answer.notAccepted).toHaveLength(refused.length);
    expect(answer.missingDefinitionIds).toEqual([99]);
    expect(answer.missingContactIds).toHaveLength(1);

    const allRefused = await engage(tenant, pointTransactionToAccountResult, '/api/v2/point-accounts/transactions', {
      method: 'POST',
      payload: [row(known, 0, { validTo: null })],
      status: 202,
    });
    expect(allRefused.notAccepted).toEqual([{ contactId: known, amount: 0, definitionId: 1, source: 'Purchase', description: 'Contract' }]);
    const noneRefused = await pushTransactions(tenant, [row(known, 1)]);
    expect(noneRefused).toMatchObject({ notAccepted: [], errorMessages: [], missingDefinitionIds: [], missingContactIds: [] });
  });

  it('replays an Idempotency-Key answer within the model too', async () => {
    const tenant = await createTenant(system.app, { mode: 'all-transaction' });
    const payload = [row(randomUUID(), 0, { validTo: null })];
    const headers = { ...tenant.headers, 'idempotency-key': randomUUID() };
    const first = await system.app.inject({ method: 'POST', url: '/api/v2/point-accounts/transactions', headers, payload });
    const replay = await system.app.inject({ method: 'POST', url: '/api/v2/point-accounts/transactions', headers, payload });
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.json()).toEqual(first.json());
    expect(nullPaths(replay.json())).toEqual([]);
  });
});

describe('v3 point reads', () => {
  it('serves balance-only accounts (no balanceExpires), their empty transaction lists, and definitions with and without description', async () => {
    const tenant = await createTenant(system.app, { definitions: [1] });
    await adminPost(system.app, `/tenants/${tenant.id}/definitions`, { id: 2, name: 'Described', description: 'Points with a description' });
    const contact = randomUUID();
    const push = await system.app.inject({
      method: 'POST',
      url: '/api/v3/point-accounts/balances',
      headers: tenant.headers,
      payload: [
        { contactId: contact, amount: 10, definitionId: 1, timeStamp: '2026-01-01T00:00:00' },
        { contactId: contact, amount: 20, definitionId: 2, timeStamp: '2026-01-01' },
      ],
    });
    await waitForBatch(system.app, tenant.headers, push.json().id);

    const accounts = await engage(tenant, pointAccountV3List, `/api/v3/point-accounts?contactId=${contact}`);
    expect(accounts.items).toHaveLength(2);
    for (const account of accounts.items!) {
      expect(account).not.toHaveProperty('balanceExpires');
      await engage(tenant, pointAccountV3, `/api/v3/point-accounts/${account.id}`);
      const history = await engage(tenant, pointTransactionV3List, `/api/v3/point-transactions?accountId=${account.id}`);
      expect(history).toMatchObject({ items: [], totalCount: 0 });
    }
    const definitions = await engage(tenant, pointDefinitionV3List, '/api/v3/point-definitions');
    expect(definitions.items!.map((d) => d.description)).toEqual([undefined, 'Points with a description']);
    await engage(tenant, pointDefinition, '/api/v3/point-definitions/1');
    await engage(tenant, pointDefinition, '/api/v3/point-definitions/2');
    const none = await engage(tenant, pointAccountV3List, `/api/v3/point-accounts?contactId=${randomUUID()}`);
    expect(none.items).toEqual([]);
    const noneTransactions = await engage(tenant, pointTransactionV3List, `/api/v3/point-transactions?contactId=${randomUUID()}&definitionId=1`);
    expect(noneTransactions.items).toEqual([]);
    expect((await engage(tenant, pointDefinitionV3List, '/api/v3/point-definitions?offset=5')).items).toEqual([]);
  });

  it('serves all-transaction accounts with and without expiry, and every kind of transaction, paged, with and without master ids', async () => {
    const tenant = await createTenant(system.app, { mode: 'all-transaction' });
    const [expiring, forever] = [randomUUID(), randomUUID()];
    await pushTransactions(tenant, [
      row(expiring, 50, { validTo: '2099-01-01T00:00:00Z', externalId: `x-${randomUUID()}`, sequence: 1 }),
      row(expiring, 7),
      row(expiring, 30, { validFrom: '2098-01-01T00:00:00Z' }),
      row(expiring, 5, { validFrom: '2020-01-01T00:00:00Z', validTo: '2021-01-01T00:00:00Z' }),
      row(expiring, -3, { source: 'Return' }),
      row(forever, 9),
    ]);

    const withExpiry = (await engage(tenant, pointAccountV3List, `/api/v3/point-accounts?contactId=${expiring}`)).items![0]!;
    expect(withExpiry).toMatchObject({ balance: 54, pendingPoints: 30, balanceExpires: '2099-01-01T00:00:00.000Z' });
    const foreverId = (await engage(tenant, pointAccountV3List, `/api/v3/point-accounts?contactId=${forever}`)).items![0]!.id!;
    const withoutExpiry = await engage(tenant, pointAccountV3, `/api/v3/point-accounts/${foreverId}`);
    expect(withoutExpiry).not.toHaveProperty('balanceExpires');

    for (const filter of ['All', 'Active', 'Pending', 'active']) {
      await engage(tenant, pointTransactionV3List, `/api/v3/point-transactions?accountId=${withExpiry.id}&filter=${filter}`);
    }
    // The five rows, and the Expiry entry of the lot that had expired before it arrived.
    const all = await engage(tenant, pointTransactionV3List, `/api/v3/point-transactions?contactId=${expiring}&definitionId=1`);
    expect(all.items).toHaveLength(6);
    expect(all.items!.some((t) => t.validTo === undefined)).toBe(true);
    expect(all.items!.some((t) => 'externalId' in t && 'sequence' in t)).toBe(true);
    for (const item of all.items!) {
      expect(item.accountId).toBe(withExpiry.id);
      await engage(tenant, pointTransactionV3, `/api/v3/point-transactions/${item.id}`);
    }
    const middle = await engage(tenant, pointTransactionV3List, `/api/v3/point-transactions?accountId=${withExpiry.id}&offset=1&count=1`);
    expect(middle.links!.map((l) => l.rel)).toEqual(['self', 'next', 'previous']);
  });
});

describe("the follower's own answers under /api", () => {
  it('leave out what has no value in adjustments too', async () => {
    const tenant = await createTenant(system.app);
    const contact = randomUUID();
    const adjustment = {
      contactId: contact,
      definitionId: 1,
      amount: 5,
      description: 'Birthday',
      source: 'Automation',
      reason: 'Birthday',
      processId: randomUUID(),
      workflowId: randomUUID(),
    };
    const created = await system.app.inject({ method: 'POST', url: '/api/v2/point-accounts/adjustments', headers: tenant.headers, payload: adjustment });
    expect(created.statusCode, created.body).toBe(202);
    expect(nullPaths(created.json())).toEqual([]);
    const list = await system.app.inject({ url: `/api/v2/point-accounts/adjustments?contactId=${contact}`, headers: tenant.headers });
    expect(list.json().items).toHaveLength(1);
    expect(nullPaths(list.json())).toEqual([]);
  });
});
