import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PointMaster } from '../../examples/point-master/app.ts';
import { automation, manual } from '../support/adjustments.ts';
import { connectPointMaster } from '../support/point-master.ts';
import { ADMIN_TOKEN, createTenant, startSystem, type TestSystem, waitForBatch } from '../support/system.ts';
import { createUiUser, FORM, form, HTML, signIn } from '../support/ui.ts';

type Tenant = Awaited<ReturnType<typeof createTenant>>;

let system: TestSystem;
let followerUrl: string;
const masters: PointMaster[] = [];

beforeAll(async () => {
  system = await startSystem({ OUTBOUND_ALLOW_PRIVATE: 'true', WEBHOOK_RETRY_SCHEDULE: '100ms' });
  // The reference master pushes balances back over HTTP, so the follower listens for real.
  followerUrl = await system.app.listen({ host: '127.0.0.1', port: 0 });
  await system.startWorker();
});
afterAll(async () => {
  for (const master of masters) await master.app.close();
  await system?.close();
});

const FIVE_PLACES = 'must have at most 4 decimal places';
const OUT_OF_RANGE = 'must be between -2147483648 and 2147483647';

const post = (tenant: Tenant, url: string, payload: unknown) => system.app.inject({ method: 'POST', url, headers: tenant.headers, payload: payload as object });
const get = async (tenant: Tenant, url: string) => {
  const response = await system.app.inject({ url, headers: tenant.headers });
  expect(response.statusCode, response.body).toBe(200);
  return response.json();
};

async function pushAndWait(tenant: Tenant, url: string, payload: unknown[]) {
  const response = await post(tenant, url, payload);
  expect(response.statusCode, response.body).toBe(202);
  return { answer: response.json(), status: await waitForBatch(system.app, tenant.headers, response.json().id) };
}

const accountOf = async (tenant: Tenant, contactId: string) => (await get(tenant, `/api/v2/point-accounts?contactId=${contactId}`)).items[0];

const balance = (contactId: string, amount: number, timeStamp = new Date().toISOString()) => ({ contactId, amount, definitionId: 1, timeStamp });
const purchase = (contactId: string, amount: number, extra: object = {}) => ({
  contactId,
  amount,
  definitionId: 1,
  source: 'Purchase',
  description: `Receipt for ${amount}`,
  ...extra,
});

/** The stored text of a column, as Postgres keeps it: proof that nothing was rounded on the way in. */
async function stored(sql: string, params: unknown[]): Promise<string[]> {
  const { rows } = await system.runtime.pool.query<{ value: string }>(sql, params);
  return rows.map((row) => row.value);
}

describe('amounts with up to 4 decimal places', () => {
  it('balance pushes: a 4-place balance is kept and answered exactly, a fifth place or 2^31 refused in words', async () => {
    const tenant = await createTenant(system.app);
    const contact = randomUUID();
    await pushAndWait(tenant, '/api/v2/point-accounts/balances', [balance(contact, 12.3456, '2024-01-01T00:00:00Z')]);
    expect(await accountOf(tenant, contact)).toMatchObject({ balance: 12.3456, pendingPoints: 0 });
    await pushAndWait(tenant, '/api/v2/point-accounts/balances', [balance(contact, 0.3, '2024-01-02T00:00:00Z')]);
    expect((await accountOf(tenant, contact)).balance).toBe(0.3);
    expect(await stored(`SELECT amount::text || ' -> ' || balance::text AS value FROM balance_history WHERE tenant_id = $1 ORDER BY id`, [tenant.id])).toEqual([
      '12.3456 -> 12.3456',
      '-12.0456 -> 0.3000',
    ]);

    const refused = await post(tenant, '/api/v2/point-accounts/balances', [balance(contact, 1), balance(contact, 1.23456), balance(contact, 2 ** 31)]);
    expect(refused.statusCode).toBe(400);
    expect(refused.headers['content-type']).toContain('application/problem+json');
    expect(refused.json().errors).toMatchObject([
      { path: '[1].amount', message: FIVE_PLACES },
      { path: '[2].amount', message: OUT_OF_RANGE },
    ]);
    expect((await accountOf(tenant, contact)).balance).toBe(0.3);
  });

  it('transaction pushes: 0.1 and 0.2 read 0.3, every figure exact, and a 5-place row refused on its own', async () => {
    const tenant = await createTenant(system.app, { mode: 'all-transaction' });
    const contact = randomUUID();
    const later = new Date(Date.now() + 86_400_000).toISOString();
    const { answer, status } = await pushAndWait(tenant, '/api/v2/point-accounts/transactions', [
      purchase(contact, 0.1),
      purchase(contact, 0.2),
      purchase(contact, 0.00001),
      purchase(contact, 2.0001, { validFrom: later }),
      purchase(contact, 1470.1234, { validTo: later }),
      purchase(contact, -1470.0234),
    ]);
    expect(answer).toMatchObject({ notAccepted: [purchase(contact, 0.00001)], errorMessages: [`Row [2].amount: ${FIVE_PLACES}`] });
    expect(status).toMatchObject({ status: 'CompletedWithErrors', appliedCount: 5, skippedCount: 1 });
    const account = await accountOf(tenant, contact);
    // 0.1 + 0.2 + 1470.1234 - 1470.0234 = 0.4, where adding JS numbers would give 0.40000000000002365.
    expect(account).toMatchObject({ balance: 0.4, pendingPoints: 2.0001, balanceExpires: later });
    expect(JSON.stringify(account)).toContain('"balance":0.4,');

    const listed = await get(tenant, `/api/v2/point-accounts/transactions?accountId=${account.id}`);
    expect(listed.items.map((t: { amount: number }) => t.amount).sort((a: number, b: number) => a - b)).toEqual([-1470.0234, 0.1, 0.2, 2.0001, 1470.1234]);
    const pending = await get(tenant, `/api/v2/point-accounts/transactions?accountId=${account.id}&filter=Pending`);
    expect(pending.items.map((t: { amount: number }) => t.amount)).toEqual([2.0001]);
    const history = await get(tenant, `/api/v2/contacts/${contact}/bonuspointtransactions`);
    expect(history.items.map((t: { amount: number }) => t.amount).sort((a: number, b: number) => a - b)).toEqual([-1470.0234, 0.1, 0.2, 2.0001, 1470.1234]);

    // The extremes of the range, summed exactly.
    const edge = randomUUID();
    await pushAndWait(tenant, '/api/v2/point-accounts/transactions', [purchase(edge, 2147483646.9999), purchase(edge, 0.0001)]);
    expect((await accountOf(tenant, edge)).balance).toBe(2147483647);
    const tooBig = await post(tenant, '/api/v2/point-accounts/transactions', [purchase(edge, 2 ** 31)]);
    expect(tooBig.json().errorMessages).toEqual([`Row [0].amount: ${OUT_OF_RANGE}`]);
  });

  it('adjustments: the API keeps 4 places, the webhook carries Amount as that number, and the balance the master pushes back is exact', async () => {
    const tenant = await createTenant(system.app);
    const admin = async (path: string, body: object) => {
      const response = await system.app.inject({ method: 'PUT', url: `/admin/v1${path}`, headers: { authorization: `Bearer ${ADMIN_TOKEN}` }, payload: body });
      expect(response.statusCode, response.body).toBe(200);
      return response.json();
    };
    const { master } = await connectPointMaster(admin, tenant, { followerUrl, logger: false });
    masters.push(master);
    const contact = randomUUID();
    master.store.book(contact, 1, 0.1, 'Opening points', new Date());

    const created = await post(tenant, '/api/v2/point-accounts/adjustments', automation(contact, 0.2));
    expect(created.statusCode, created.body).toBe(202);
    expect(created.json().amount).toBe(0.2);
    await expect
      .poll(async () => JSON.stringify(await get(tenant, `/api/v2/point-accounts/adjustments/${created.json().id}`)), { timeout: 5000 })
      .toContain('Delivered');
    await expect.poll(async () => (await accountOf(tenant, contact))?.balance, { timeout: 20_000 }).toBe(0.3);
    expect(master.store.applied.map((a) => a.adjustment.Amount)).toEqual([0.2]);
    expect(master.store.applied[0]?.balance).toBe(0.3);

    const removed = await post(tenant, '/api/v2/point-accounts/adjustments', manual(contact, -12.3456));
    expect(removed.json().amount).toBe(-12.3456);
    await expect.poll(async () => (await accountOf(tenant, contact))?.balance, { timeout: 20_000 }).toBe(-12.0456);
    expect(master.store.applied.map((a) => a.adjustment.Amount)).toEqual([0.2, -12.3456]);
    expect(await stored(`SELECT amount::text AS value FROM point_adjustment WHERE tenant_id = $1 ORDER BY seq`, [tenant.id])).toEqual(['0.2000', '-12.3456']);

    const refused = await post(tenant, '/api/v2/point-accounts/adjustments', automation(contact, 0.00005));
    expect(refused.statusCode).toBe(400);
    expect(refused.json().errors).toMatchObject([{ path: 'amount', message: FIVE_PLACES }]);
    expect((await post(tenant, '/api/v2/point-accounts/adjustments', automation(contact, 0))).json().errors).toMatchObject([
      { path: 'amount', message: 'must not be zero' },
    ]);
  });

  it('rewardpointtransaction: points with 4 places become the adjustment, and the answer shows the balance exactly', async () => {
    const tenant = await createTenant(system.app);
    const contact = randomUUID();
    await pushAndWait(tenant, '/api/v2/point-accounts/balances', [balance(contact, 1470.5)]);
    const reward = (points: unknown) => post(tenant, `/api/v2/contacts/${contact}/rewardpointtransaction`, { points, type: 'Review' });

    const given = await reward(0.0001);
    expect(given.statusCode, given.body).toBe(200);
    expect(given.json()).toEqual({ contactId: contact, totalRewardPoints: 1470.5 });
    const adjustments = await get(tenant, `/api/v2/point-accounts/adjustments?contactId=${contact}`);
    expect(adjustments.items.map((a: { amount: number }) => a.amount)).toEqual([0.0001]);

    const refused = await reward(0.00001);
    expect(refused.statusCode).toBe(400);
    expect(refused.json().errors).toMatchObject([{ path: 'points', message: FIVE_PLACES }]);
    expect((await reward(0)).json().errors).toMatchObject([{ path: 'points', message: 'must not be zero' }]);
  });

  it('reconciliation lines: a drift of 0.0001 is found and repaired exactly; a fifth place and 2^31 are refused in words', async () => {
    const tenant = await createTenant(system.app, { mode: 'all-transaction' });
    const contact = randomUUID();
    await pushAndWait(tenant, '/api/v2/point-accounts/transactions', [purchase(contact, 0.1), purchase(contact, 10.0233)]);
    const asOf = new Date().toISOString();
    const base = '/api/v2/point-accounts/reconciliations';
    const opened = await post(tenant, base, { asOf, scope: 'Listed', repair: true });
    expect(opened.statusCode, opened.body).toBe(201);
    const id = opened.json().id;

    const refused = await post(tenant, `${base}/${id}/accounts`, [
      { contactId: contact, definitionId: 1, balance: 10.12345 },
      { contactId: contact, definitionId: 1, balance: 2 ** 31 },
    ]);
    expect(refused.statusCode).toBe(400);
    expect(refused.json().errors).toMatchObject([
      { path: '[0].balance', message: FIVE_PLACES },
      { path: '[1].balance', message: OUT_OF_RANGE },
    ]);

    const listed = await post(tenant, `${base}/${id}/accounts`, [{ contactId: contact, definitionId: 1, balance: 10.1234 }]);
    expect(listed.statusCode, listed.body).toBe(200);
    expect((await post(tenant, `${base}/${id}/complete`, undefined)).statusCode).toBe(202);
    await expect.poll(async () => (await get(tenant, `${base}/${id}`)).status, { timeout: 20_000 }).toBe('Completed');
    expect(await get(tenant, `${base}/${id}`)).toMatchObject({ drifted: 1, repaired: 1 });
    expect((await get(tenant, `${base}/${id}/drifts`)).items).toEqual([
      expect.objectContaining({ contactId: contact, masterBalance: 10.1234, followerBalance: 10.1233, difference: 0.0001, kind: 'BalanceDiffers' }),
    ]);
    expect((await accountOf(tenant, contact)).balance).toBe(10.1234);
  });

  it('member levels: points earned with decimals count exactly, and what the next level needs is exact', async () => {
    const tenant = await createTenant(system.app, { mode: 'all-transaction' });
    const ladder = await system.app.inject({
      method: 'PUT',
      url: `/admin/v1/tenants/${tenant.id}/levels`,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      payload: {
        definitionId: 1,
        basis: 'PointsEarned',
        window: { type: 'Rolling', months: 12 },
        levels: [
          { key: 'base', name: 'Base', threshold: 0 },
          { key: 'one', name: 'One', threshold: 1 },
        ],
      },
    });
    expect(ladder.statusCode, ladder.body).toBe(200);
    const contact = randomUUID();
    await pushAndWait(tenant, '/api/v2/point-accounts/transactions', [purchase(contact, 0.4), purchase(contact, 0.5)]);
    // 1 - 0.9 in JS numbers would be 0.09999999999999998.
    expect(await get(tenant, `/api/v2/contacts/${contact}/member-level`)).toMatchObject({
      key: 'base',
      qualifying: 0.9,
      next: { key: 'one', threshold: 1, remaining: 0.1 },
    });
    await pushAndWait(tenant, '/api/v2/point-accounts/transactions', [purchase(contact, 0.1)]);
    expect(await get(tenant, `/api/v2/contacts/${contact}/member-level`)).toMatchObject({ key: 'one', qualifying: 1 });
  });

  it('the contact card shows decimals where they exist and its form gives them', async () => {
    const tenant = await createTenant(system.app);
    const contact = randomUUID();
    await pushAndWait(tenant, '/api/v2/point-accounts/balances', [balance(contact, 1470.5)]);
    const user = await createUiUser(system.app, tenant.id);
    const session = await signIn(system.app, { tenant: tenant.name, username: user.username, password: user.password });
    const card = await system.app.inject({ url: `/ui/contacts/${contact}`, headers: { ...HTML, cookie: session.cookie } });
    expect(card.statusCode).toBe(200);
    expect(card.body).toMatch(/<span class="figure">1,470\.5<\/span>/);

    const send = (amount: string) =>
      system.app.inject({
        method: 'POST',
        url: `/ui/contacts/${contact}/adjustments`,
        headers: { ...FORM, cookie: session.cookie, accept: 'application/json', 'x-csrf-token': session.csrf },
        payload: form({ definitionId: '1', direction: 'remove', amount, description: 'Goodwill, part refund' }),
      });
    const sent = await send('12.3456');
    expect(sent.statusCode, sent.body).toBe(202);
    const adjustments = await get(tenant, `/api/v2/point-accounts/adjustments?contactId=${contact}`);
    expect(adjustments.items.map((a: { amount: number }) => a.amount)).toEqual([-12.3456]);
    const list = await system.app.inject({ url: `/ui/contacts/${contact}/adjustments`, headers: { ...HTML, cookie: session.cookie } });
    expect(list.body).toContain('-12.3456');

    const refused = await send('12.34567');
    expect(refused.statusCode).toBe(400);
    expect(refused.json().errors).toMatchObject([{ path: 'amount', message: 'must have at most 4 decimal places, like 12.5' }]);
  });
});
