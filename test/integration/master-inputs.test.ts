import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, createTenant, startSystem, type TestSystem, waitForBatch } from '../support/system.ts';

/**
 * The inputs real masters and hand-written Engage clients send: times
 * without an offset (read in the tenant's time zone), enum query values in
 * any case, and contacts the follower has never heard of.
 */
let system: TestSystem;
beforeAll(async () => {
  system = await startSystem();
  await system.startWorker();
});
afterAll(() => system?.close());

type Tenant = Awaited<ReturnType<typeof createTenant>>;

async function inZone(tenant: Tenant, timeZone: string) {
  const response = await system.app.inject({
    method: 'PATCH',
    url: `/admin/v1/tenants/${tenant.id}`,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    payload: { timeZone },
  });
  expect(response.statusCode, response.body).toBe(200);
  return tenant;
}

const get = async (tenant: Tenant, url: string, status = 200) => {
  const response = await system.app.inject({ url, headers: tenant.headers });
  expect(response.statusCode, `${url}: ${response.body}`).toBe(status);
  return response.json();
};

const post = (tenant: Tenant, url: string, payload: unknown) => system.app.inject({ method: 'POST', url, headers: tenant.headers, payload: payload as object });

const row = (contactId: string, extra: Record<string, unknown> = {}) => ({
  contactId,
  amount: 10,
  definitionId: 1,
  source: 'Purchase',
  description: 'Local',
  ...extra,
});

describe("times without an offset, read in the tenant's time zone", () => {
  it("reads a transaction row's timeStamp, validFrom and validTo so, and answers them in UTC (v2 and v3)", async () => {
    const tenant = await inZone(await createTenant(system.app, { mode: 'all-transaction' }), 'Europe/Stockholm');
    const contact = randomUUID();
    const sent = [
      row(contact, { timeStamp: '2026-12-01T12:20:03', validFrom: '2026-12-01', validTo: '2030-01-01' }),
      row(contact, { timeStamp: '2026-07-01T12:20:03.25', validFrom: '2026-07-01T12:00:00+02:00' }),
      row(contact, { timeStamp: '2026-02-30T12:00:00' }),
    ];
    const push = await post(tenant, '/api/v2/point-accounts/transactions', sent);
    expect(push.statusCode, push.body).toBe(202);
    // The refused row is echoed as it was sent, and its message says which forms are read.
    expect(push.json().notAccepted).toEqual([sent[2]]);
    expect(push.json().errorMessages).toEqual([
      "Row [2].timeStamp: must be an ISO-8601 date-time with an offset (2023-05-16T12:20:03.807Z), without one (2023-05-16T14:20:03, in the tenant's time zone), or a date (2023-05-16)",
    ]);
    await waitForBatch(system.app, tenant.headers, push.json().id);

    const v2 = await get(tenant, `/api/v2/point-accounts/transactions?contactId=${contact}&definitionId=1`);
    expect(v2.items.map((t: Record<string, unknown>) => [t.transactionDate, t.validFrom, t.validTo])).toEqual([
      ['2026-12-01T11:20:03.000Z', '2026-11-30T23:00:00.000Z', '2029-12-31T23:00:00.000Z'],
      ['2026-07-01T10:20:03.250Z', '2026-07-01T10:00:00.000Z', undefined],
    ]);
    const v3 = await get(tenant, `/api/v3/point-transactions?contactId=${contact}&definitionId=1`);
    expect(v3.items[0]).toMatchObject({
      transactionDate: '2026-12-01T11:20:03.000Z',
      validFrom: '2026-11-30T23:00:00.000Z',
      validTo: '2029-12-31T23:00:00.000Z',
    });
    const [account] = (await get(tenant, `/api/v3/point-accounts?contactId=${contact}`)).items;
    expect(account.balanceExpires).toBe('2029-12-31T23:00:00.000Z');
  });

  it('reads the same wall-clock time differently for a tenant in another zone', async () => {
    const tenant = await inZone(await createTenant(system.app, { mode: 'all-transaction' }), 'America/New_York');
    const contact = randomUUID();
    const push = await post(tenant, '/api/v2/point-accounts/transactions', [row(contact, { timeStamp: '2026-12-01T12:20:03' })]);
    await waitForBatch(system.app, tenant.headers, push.json().id);
    const [entry] = (await get(tenant, `/api/v2/point-accounts/transactions?contactId=${contact}&definitionId=1`)).items;
    expect(entry.transactionDate).toBe('2026-12-01T17:20:03.000Z');
  });

  it("orders balances by their timeStamp read in the tenant's zone: a local time before an applied UTC one is stale", async () => {
    const tenant = await inZone(await createTenant(system.app), 'Europe/Stockholm');
    const contact = randomUUID();
    const push = async (amount: number, timeStamp: string) => {
      const response = await post(tenant, '/api/v2/point-accounts/balances', [{ contactId: contact, amount, definitionId: 1, timeStamp }]);
      expect(response.statusCode, response.body).toBe(202);
      return waitForBatch(system.app, tenant.headers, response.json().id);
    };
    expect(await push(10, '2026-12-01T12:20:03')).toMatchObject({ status: 'Completed' });
    // 11:30Z is after 12:20:03 in Stockholm (11:20:03Z): applied.
    expect(await push(20, '2026-12-01T11:30:00Z')).toMatchObject({ status: 'Completed' });
    // 12:25 in Stockholm is 11:25Z, before the 11:30Z balance: stale, as it would be with its offset written out.
    expect(await push(30, '2026-12-01T12:25:00')).toMatchObject({ status: 'CompletedWithErrors', skippedCount: 1 });
    expect(await push(40, '2026-12-02')).toMatchObject({ status: 'Completed' });
    expect((await get(tenant, `/api/v2/point-accounts?contactId=${contact}`)).items[0].balance).toBe(40);

    const bad = await post(tenant, '/api/v3/point-accounts/balances', [{ contactId: contact, amount: 1, definitionId: 1, timeStamp: '2026-12-01T25:00:00' }]);
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors).toEqual([
      {
        path: '[0].timeStamp',
        message:
          "must be an ISO-8601 date-time with an offset (2023-05-16T12:20:03.807Z), without one (2023-05-16T14:20:03, in the tenant's time zone), or a date (2023-05-16)",
        code: 'invalid_format',
      },
    ]);
  });

  it("opens a reconciliation as of a date alone: the start of that day in the tenant's zone", async () => {
    const tenant = await inZone(await createTenant(system.app), 'Europe/Stockholm');
    const opened = await post(tenant, '/api/v2/point-accounts/reconciliations', { asOf: '2026-12-01' });
    expect(opened.statusCode, opened.body).toBe(201);
    expect(opened.json().asOf).toBe('2026-11-30T23:00:00.000Z');
    const local = await post(tenant, '/api/v2/point-accounts/reconciliations', { asOf: '2026-12-01T12:20:03' });
    expect(local.json().asOf).toBe('2026-12-01T11:20:03.000Z');
  });
});

describe('enum query values in any case', () => {
  it('takes filter in any case on v2 and v3, and answers with its canonical spelling', async () => {
    const tenant = await createTenant(system.app, { mode: 'all-transaction' });
    const contact = randomUUID();
    const push = await post(tenant, '/api/v2/point-accounts/transactions', [row(contact), row(contact, { validFrom: '2099-01-01T00:00:00Z', amount: 5 })]);
    await waitForBatch(system.app, tenant.headers, push.json().id);
    const [v2Account] = (await get(tenant, `/api/v2/point-accounts?contactId=${contact}`)).items;
    const [v3Account] = (await get(tenant, `/api/v3/point-accounts?contactId=${contact}`)).items;
    for (const [sent, canonical, amounts] of [
      ['active', 'Active', [10]],
      ['PENDING', 'Pending', [5]],
      ['aLL', 'All', [10, 5]],
    ] as const) {
      for (const url of [
        `/api/v2/point-accounts/transactions?accountId=${v2Account.id}&filter=${sent}`,
        `/api/v2/point-accounts/transactions?contactId=${contact}&definitionId=1&filter=${sent}`,
        `/api/v3/point-transactions?accountId=${v3Account.id}&filter=${sent}`,
      ]) {
        const list = await get(tenant, url);
        expect(list.items.map((t: { amount: number }) => t.amount).sort(), url).toEqual([...amounts].sort());
        expect(list.links[0].href, url).toContain(`filter=${canonical}&`);
      }
    }
    const bad = await get(tenant, `/api/v2/point-accounts/transactions?accountId=${v2Account.id}&filter=expired`, 400);
    expect(bad.errors.map((e: { path: string }) => e.path)).toEqual(['query.filter']);
  });

  it("takes the drifts' kind and the deliveries' state in any case", async () => {
    const tenant = await createTenant(system.app);
    const opened = await post(tenant, '/api/v2/point-accounts/reconciliations', { asOf: new Date(Date.now() - 60_000).toISOString() });
    const id = opened.json().id;
    const drifts = await get(tenant, `/api/v2/point-accounts/reconciliations/${id}/drifts?kind=balancediffers`);
    expect(drifts).toMatchObject({ items: [], totalCount: 0 });
    await get(tenant, `/api/v2/point-accounts/reconciliations/${id}/drifts?kind=NoSuchKind`, 400);
    const admin = (url: string, method: 'GET' | 'POST' = 'GET') =>
      system.app.inject({ method, url: `/admin/v1/tenants/${tenant.id}${url}`, headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect((await admin('/deliveries?state=failed')).statusCode).toBe(200);
    expect((await admin('/deliveries?state=AWAITINGCONFIGURATION')).statusCode).toBe(200);
    expect((await admin('/deliveries?state=lost')).statusCode).toBe(400);
    expect((await admin('/deliveries/replay?state=failed', 'POST')).json()).toEqual({ replayed: 0 });
  });
});

describe('a contact without accounts', () => {
  it('answers 200 with an empty list on every read by contact, in both modes, whether unknown or known on another definition', async () => {
    for (const mode of ['all-transaction', 'balance-only'] as const) {
      const tenant = await createTenant(system.app, { mode, definitions: [1, 2] });
      const known = randomUUID();
      const push =
        mode === 'all-transaction'
          ? await post(tenant, '/api/v2/point-accounts/transactions', [row(known)])
          : await post(tenant, '/api/v2/point-accounts/balances', [{ contactId: known, amount: 3, definitionId: 1, timeStamp: '2026-01-01T00:00:00Z' }]);
      await waitForBatch(system.app, tenant.headers, push.json().id);
      const unknown = randomUUID();
      const reads = [
        `/api/v2/point-accounts?contactId=${unknown}`,
        `/api/v2/point-accounts/transactions?contactId=${unknown}&definitionId=1`,
        `/api/v2/point-accounts/transactions?contactId=${known}&definitionId=2`,
        `/api/v2/point-accounts/adjustments?contactId=${unknown}`,
        `/api/v3/point-accounts?contactId=${unknown}`,
        `/api/v3/point-transactions?contactId=${unknown}&definitionId=1`,
        `/api/v3/point-transactions?contactId=${known}&definitionId=2`,
        // Balance-only history is the master's points log, which this tenant has not configured (404 by design).
        ...(mode === 'all-transaction' ? [`/api/v2/contacts/${unknown}/bonuspointtransactions`] : []),
      ];
      for (const url of reads) {
        const list = await get(tenant, url);
        expect(list.items, `${mode} ${url}`).toEqual([]);
        expect(list.totalCount, `${mode} ${url}`).toBe(0);
      }
      // The known contact's own account still answers, so the empty lists above are not an empty tenant.
      expect((await get(tenant, `/api/v3/point-transactions?contactId=${known}&definitionId=1`)).totalCount).toBe(mode === 'all-transaction' ? 1 : 0);
      expect((await get(tenant, `/api/v2/point-accounts?contactId=${known}`)).totalCount).toBe(1);
    }
  });
});
