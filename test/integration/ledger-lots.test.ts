import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runLedgerMaintenance } from '../../src/jobs/ledger-maintenance.job.ts';
import { DAY, manualClock } from '../support/clock.ts';
import { ADMIN_TOKEN, createTenant, startSystem, type TestSystem, waitForBatch } from '../support/system.ts';

/**
 * The lot rule (DESIGN 2.2, docs/point-master-guide.md) through HTTP, one
 * test per numbered rule of issue "What the points mean", the three cases
 * that showed the old rule wrong among them.
 */
const START = new Date('2030-03-01T12:00:00.000Z');
const clock = manualClock(START);
let system: TestSystem;
beforeAll(async () => {
  system = await startSystem({}, { clock });
  await system.startWorker();
});
afterEach(() => clock.set(START));
afterAll(() => system?.close());

type Tenant = Awaited<ReturnType<typeof createTenant>>;
const SECOND = 1000;
const at = (ms: number) => new Date(START.getTime() + ms).toISOString();
const row = (contactId: string, amount: number, extra: Record<string, unknown> = {}) => ({
  contactId,
  amount,
  definitionId: 1,
  source: amount > 0 ? 'Purchase' : 'Redemption',
  description: `${amount}`,
  ...extra,
});

async function push(tenant: Tenant, rows: unknown[]) {
  const response = await system.app.inject({ method: 'POST', url: '/api/v2/point-accounts/transactions', headers: tenant.headers, payload: rows as object });
  expect(response.statusCode, response.body).toBe(202);
  expect(response.json().notAccepted).toEqual([]);
  expect((await waitForBatch(system.app, tenant.headers, response.json().id)).status).toBe('Completed');
}

async function account(tenant: Tenant, contactId: string) {
  const response = await system.app.inject({ url: `/api/v2/point-accounts?contactId=${contactId}`, headers: tenant.headers });
  expect(response.statusCode, response.body).toBe(200);
  return response.json().items[0];
}

async function expiryEntries(tenant: Tenant, contactId: string) {
  const { id } = await account(tenant, contactId);
  const response = await system.app.inject({ url: `/api/v2/point-accounts/transactions?accountId=${id}`, headers: tenant.headers });
  return response
    .json()
    .items.filter((t: { type: string }) => t.type === 'Expiry')
    .map((t: { amount: number; description: string; transactionDate: string }) => ({ amount: t.amount, description: t.description, at: t.transactionDate }));
}

/** Time passes, and the worker's maintenance pass runs, as it does every minute. */
async function pass(ms: number) {
  clock.advance(ms);
  await runLedgerMaintenance(system.runtime);
}

const ledgerTenant = () => createTenant(system.app, { mode: 'all-transaction' });

describe('the three cases the old rule got wrong', () => {
  it('points spent before they expire do not expire a second time: +100 expiring in 8 s, -100, reads 0 after the expiry', async () => {
    const tenant = await ledgerTenant();
    const contact = randomUUID();
    await push(tenant, [row(contact, 100, { validTo: at(8 * SECOND) }), row(contact, -100)]);
    expect(await account(tenant, contact)).toMatchObject({ balance: 0, pendingPoints: 0 });
    expect(await account(tenant, contact)).not.toHaveProperty('balanceExpires');
    await pass(9 * SECOND);
    expect(await account(tenant, contact)).toMatchObject({ balance: 0 });
    expect(await expiryEntries(tenant, contact)).toEqual([]);
  });

  it('a deduction uses the expiring lot first: +100 expiring, +50 never, -120 reads 30 before and after, with no balanceExpires', async () => {
    const tenant = await ledgerTenant();
    const contact = randomUUID();
    await push(tenant, [row(contact, 100, { validTo: at(8 * SECOND) }), row(contact, 50), row(contact, -120)]);
    const now = await account(tenant, contact);
    expect(now).toMatchObject({ balance: 30 });
    expect(now).not.toHaveProperty('balanceExpires');
    await pass(9 * SECOND);
    const after = await account(tenant, contact);
    expect(after).toMatchObject({ balance: 30 });
    expect(after).not.toHaveProperty('balanceExpires');
    expect(await expiryEntries(tenant, contact)).toEqual([]);
  });

  it('expiry takes only what is left: +100 expiring, -30 records an Expiry entry of 70', async () => {
    const tenant = await ledgerTenant();
    const contact = randomUUID();
    await push(tenant, [row(contact, 100, { validTo: at(8 * SECOND) }), row(contact, -30)]);
    expect(await account(tenant, contact)).toMatchObject({ balance: 70, balanceExpires: at(8 * SECOND), expiringWithin30Days: 70 });
    await pass(9 * SECOND);
    const after = await account(tenant, contact);
    expect(after).toMatchObject({ balance: 0 });
    expect(after).not.toHaveProperty('expiringWithin30Days');
    expect(await expiryEntries(tenant, contact)).toEqual([
      { amount: -70, description: expect.stringMatching(/^70 points of transaction \d+ expired$/), at: at(8 * SECOND) },
    ]);
  });
});

describe('each rule', () => {
  it('1. a positive row is a lot: pending before validFrom, active from it, what is left expires at validTo', async () => {
    const tenant = await ledgerTenant();
    const contact = randomUUID();
    await push(tenant, [row(contact, 40, { validFrom: at(DAY), validTo: at(3 * DAY) })]);
    expect(await account(tenant, contact)).toMatchObject({ balance: 0, pendingPoints: 40 });
    await pass(DAY);
    expect(await account(tenant, contact)).toMatchObject({ balance: 40, pendingPoints: 0, balanceExpires: at(3 * DAY) });
    await pass(2 * DAY);
    expect(await account(tenant, contact)).toMatchObject({ balance: 0, pendingPoints: 0 });
    expect((await expiryEntries(tenant, contact)).map((e: { amount: number }) => e.amount)).toEqual([-40]);
  });

  it('2. deductions use up active lots soonest-expiring first, never-expiring last; pending lots cannot be used', async () => {
    const tenant = await ledgerTenant();
    const contact = randomUUID();
    await push(tenant, [
      row(contact, 30, { validTo: at(10 * DAY) }),
      row(contact, 30, { validTo: at(5 * DAY) }),
      row(contact, 30),
      row(contact, 500, { validFrom: at(DAY) }),
      row(contact, -40, { source: 'Return' }),
    ]);
    // The lot expiring in 5 days is used up, then 10 of the one expiring in 10; the pending 500 is untouched.
    expect(await account(tenant, contact)).toMatchObject({
      balance: 50,
      pendingPoints: 500,
      balanceExpires: at(10 * DAY),
      expiringWithin30Days: 20,
      expiringWithin60Days: 20,
      expiringWithin90Days: 20,
    });
    await pass(11 * DAY);
    expect(await account(tenant, contact)).toMatchObject({ balance: 530 });
    expect((await expiryEntries(tenant, contact)).map((e: { amount: number }) => e.amount)).toEqual([-20]);
  });

  it('3. what cannot be covered is owed, and a lot pays it first the moment it turns active', async () => {
    const tenant = await ledgerTenant();
    const contact = randomUUID();
    await push(tenant, [row(contact, -40, { source: 'Return' }), row(contact, 100, { validFrom: at(DAY), validTo: at(2 * DAY) })]);
    expect(await account(tenant, contact)).toMatchObject({ balance: -40, pendingPoints: 100 });
    await pass(DAY);
    expect(await account(tenant, contact)).toMatchObject({ balance: 60, pendingPoints: 0, balanceExpires: at(2 * DAY) });
    await pass(DAY);
    expect(await account(tenant, contact)).toMatchObject({ balance: 0 });
    expect((await expiryEntries(tenant, contact)).map((e: { amount: number }) => e.amount)).toEqual([-60]);
  });

  it('5. order does not matter: a back-dated row replays the account and rewrites what expired', async () => {
    const tenant = await ledgerTenant();
    const [first, second] = [randomUUID(), randomUUID()];
    const lot = (contact: string) => row(contact, 100, { validFrom: at(-10 * DAY), validTo: at(-DAY) });
    const spent = (contact: string) => row(contact, -60, { validFrom: at(-5 * DAY) });
    await push(tenant, [lot(first)]);
    expect((await expiryEntries(tenant, first)).map((e: { amount: number }) => e.amount)).toEqual([-100]);
    await push(tenant, [spent(first)]);
    await push(tenant, [spent(second)]);
    await push(tenant, [lot(second)]);
    for (const contact of [first, second]) {
      expect(await account(tenant, contact)).toMatchObject({ balance: 0 });
      expect((await expiryEntries(tenant, contact)).map((e: { amount: number; at: string }) => [e.amount, e.at])).toEqual([[-40, at(-DAY)]]);
    }
  });

  it('6. the account read carries what is left of lots expiring within 30, 60 and 90 days, left out when none', async () => {
    const tenant = await ledgerTenant();
    const contact = randomUUID();
    await push(tenant, [
      row(contact, 10, { validTo: at(20 * DAY) }),
      row(contact, 20, { validTo: at(45 * DAY) }),
      row(contact, 40, { validTo: at(80 * DAY) }),
      row(contact, 5),
    ]);
    expect(await account(tenant, contact)).toMatchObject({
      balance: 75,
      balanceExpires: at(20 * DAY),
      expiringWithin30Days: 10,
      expiringWithin60Days: 30,
      expiringWithin90Days: 70,
    });
    const never = randomUUID();
    await push(tenant, [row(never, 5)]);
    for (const field of ['balanceExpires', 'expiringWithin30Days', 'expiringWithin60Days', 'expiringWithin90Days']) {
      expect(await account(tenant, never)).not.toHaveProperty(field);
    }
  });

  it('7. with expiry owned by the master, validTo is shown but nothing is taken off until the master sends it', async () => {
    const tenant = await ledgerTenant();
    const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
    const patched = await system.app.inject({ method: 'PATCH', url: `/admin/v1/tenants/${tenant.id}`, headers: admin, payload: { expiry: 'master' } });
    expect(patched.statusCode, patched.body).toBe(200);
    expect(patched.json().expiry).toBe('master');
    const contact = randomUUID();
    await push(tenant, [row(contact, 100, { validTo: at(DAY) }), row(contact, 10)]);
    expect(await account(tenant, contact)).toMatchObject({ balance: 110, balanceExpires: at(DAY) });
    await pass(2 * DAY);
    const after = await account(tenant, contact);
    expect(after).toMatchObject({ balance: 110 });
    expect(after).not.toHaveProperty('balanceExpires');
    expect(await expiryEntries(tenant, contact)).toEqual([]);
    // The master's own expiry row takes the points off, from the lot that was due first.
    await push(tenant, [row(contact, -100, { source: 'Expiry', description: 'Expired', validFrom: at(DAY) })]);
    expect(await account(tenant, contact)).toMatchObject({ balance: 10 });

    // Handing expiry back to the follower replays every account under the follower's rule at once: the lot now expires
    // at its validTo, before the master's row of the same instant, which then takes 100 more. Hence the setting.
    const back = await system.app.inject({ method: 'PATCH', url: `/admin/v1/tenants/${tenant.id}`, headers: admin, payload: { expiry: 'follower' } });
    expect(back.statusCode, back.body).toBe(200);
    expect(await account(tenant, contact)).toMatchObject({ balance: -90 });
    expect((await expiryEntries(tenant, contact)).map((e: { amount: number }) => e.amount)).toEqual([-100]);
  });

  it('9. one rule everywhere: a reconciliation as of a past instant compares the balance served as of then', async () => {
    const tenant = await ledgerTenant();
    const contact = randomUUID();
    await push(tenant, [row(contact, 100, { validTo: at(DAY) }), row(contact, -30)]);
    await pass(2 * DAY);
    const reconcile = async (asOf: string, balance: number) => {
      const base = '/api/v2/point-accounts/reconciliations';
      const opened = await system.app.inject({ method: 'POST', url: base, headers: tenant.headers, payload: { asOf, scope: 'Listed' } });
      const { id } = opened.json();
      await system.app.inject({
        method: 'POST',
        url: `${base}/${id}/accounts`,
        headers: tenant.headers,
        payload: [{ contactId: contact, definitionId: 1, balance }],
      });
      await system.app.inject({ method: 'POST', url: `${base}/${id}/complete`, headers: tenant.headers });
      await expect
        .poll(async () => (await system.app.inject({ url: `${base}/${id}`, headers: tenant.headers })).json().status, { timeout: 20_000 })
        .toBe('Completed');
      return (await system.app.inject({ url: `${base}/${id}`, headers: tenant.headers })).json();
    };
    // 70 before the expiry, 0 after: what a master counting lots holds.
    expect(await reconcile(at(DAY / 2), 70)).toMatchObject({ compared: 1, matched: 1, drifted: 0 });
    expect(await reconcile(at(1.5 * DAY), 0)).toMatchObject({ compared: 1, matched: 1, drifted: 0 });
  });

  it('10. operators can list the accounts the move to lots changed (none for a tenant made since)', async () => {
    const tenant = await ledgerTenant();
    const response = await system.app.inject({ url: `/admin/v1/tenants/${tenant.id}/rule-changes`, headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json()).toEqual({ items: [], totalCount: 0, offset: 0, count: 100 });
  });
});

describe('the figure compared is the figure served, and the self-audit', () => {
  it('compares the served balance when a settled entry is deleted by hand, and the audit names the account and mends it', async () => {
    const tenant = await ledgerTenant();
    const contact = randomUUID();
    await push(tenant, [row(contact, 100), row(contact, -30, { description: 'Returned shirt' })]);
    const { id: accountId } = await account(tenant, contact);
    // Someone deletes an entry the checkpoint already holds: the ledger now says 100, the checkpoint still 70.
    await system.runtime.pool.query(`DELETE FROM ledger_entry WHERE tenant_id = $1 AND account_id = $2 AND description = 'Returned shirt'`, [
      tenant.id,
      accountId,
    ]);
    expect(await account(tenant, contact)).toMatchObject({ balance: 70 });

    // A master holding 70 finds no drift: the compare reads what clients are served, so no repair moves the balance off 70.
    const base = '/api/v2/point-accounts/reconciliations';
    const opened = await system.app.inject({ method: 'POST', url: base, headers: tenant.headers, payload: { asOf: at(0), scope: 'Listed', repair: true } });
    const { id } = opened.json();
    await system.app.inject({
      method: 'POST',
      url: `${base}/${id}/accounts`,
      headers: tenant.headers,
      payload: [{ contactId: contact, definitionId: 1, balance: 70 }],
    });
    await system.app.inject({ method: 'POST', url: `${base}/${id}/complete`, headers: tenant.headers });
    await expect
      .poll(async () => (await system.app.inject({ url: `${base}/${id}`, headers: tenant.headers })).json().status, { timeout: 20_000 })
      .toBe('Completed');
    expect((await system.app.inject({ url: `${base}/${id}`, headers: tenant.headers })).json()).toMatchObject({ matched: 1, drifted: 0, repaired: 0 });
    expect(await account(tenant, contact)).toMatchObject({ balance: 70 });

    const audit = (mend: boolean) =>
      system.app.inject({
        method: 'POST',
        url: `/admin/v1/tenants/${tenant.id}/ledger-audit`,
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
        payload: { mend },
      });
    const found = await audit(false);
    expect(found.statusCode, found.body).toBe(200);
    expect(found.json()).toEqual({
      checkedAt: START.toISOString(),
      splits: [{ accountId, contactId: contact, definitionId: 1, served: { balance: 70, pendingPoints: 0 }, ledger: { balance: 100, pendingPoints: 0 } }],
      mended: 0,
    });
    expect((await audit(true)).json()).toMatchObject({ mended: 1 });
    expect(await account(tenant, contact)).toMatchObject({ balance: 100 });
    expect((await audit(false)).json()).toMatchObject({ splits: [], mended: 0 });
    const metrics = await system.app.inject({ url: '/metrics' });
    expect(metrics.body).toMatch(/pf_ledger_audit_splits_total [1-9]/);
  });
});
