import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BalanceWinner } from '../../../src/domain/balances.ts';
import type { TenantRecord } from '../../../src/domain/tenants.ts';
import { appendEntries, at, DAY, HOUR, newTenant, openScratchDatabase, type ScratchDatabase, T0 } from './scratch-database.ts';

let scratch: ScratchDatabase;
beforeAll(async () => {
  scratch = await openScratchDatabase();
});
afterAll(() => scratch?.close());

const winner = (index: number, contactId: string, amount: number, time: Date, definitionId = 1): BalanceWinner => ({
  index,
  contactId,
  definitionId,
  amount,
  timeStamp: time.toISOString(),
});

/** Sets balances as one batch of its own, answering the refused indexes. */
const setBalances = (tenant: TenantRecord, ...winners: BalanceWinner[]) => scratch.db.pointAccounts.setBalances(tenant.id, randomUUID(), winners);

async function stored(tenant: TenantRecord, contactId: string, definitionId = 1) {
  const { rows } = await scratch.pool.query(`SELECT balance, balance_time FROM point_account WHERE tenant_id = $1 AND contact_id = $2 AND definition_id = $3`, [
    tenant.id,
    contactId,
    definitionId,
  ]);
  return rows[0] as { balance: number; balance_time: Date | null } | undefined;
}

async function history(tenant: TenantRecord) {
  const { rows } = await scratch.pool.query(
    `SELECT h.source, h.amount, h.balance, h.master_time, h.batch_id FROM balance_history h JOIN point_account a ON a.tenant_id = h.tenant_id AND a.id = h.account_id
      WHERE a.tenant_id = $1 ORDER BY h.id`,
    [tenant.id],
  );
  return rows as { source: string; amount: number; balance: number; master_time: Date; batch_id: string | null }[];
}

const asBalanceOnly = (tenant: TenantRecord) => ({ id: tenant.id, mode: 'balance-only' as const });
const asAllTransaction = (tenant: TenantRecord) => ({ id: tenant.id, mode: 'all-transaction' as const });

describe('pointAccounts.setBalances', () => {
  it('creates missing accounts with the balance and its time, refusing nothing', async () => {
    const tenant = await newTenant(scratch.db, 'balance-only');
    const [a, b] = [randomUUID(), randomUUID()];
    expect(await setBalances(tenant, winner(0, a, 100, at(HOUR)), winner(1, b, -5, at(2 * HOUR), 2))).toEqual(new Set());
    expect(await stored(tenant, a)).toEqual({ balance: 100, balance_time: at(HOUR) });
    expect(await stored(tenant, b, 2)).toEqual({ balance: -5, balance_time: at(2 * HOUR) });
  });

  it('refuses a timeStamp older than the applied one, leaving balance and balance_time as they were', async () => {
    const tenant = await newTenant(scratch.db, 'balance-only');
    const [a, b] = [randomUUID(), randomUUID()];
    await setBalances(tenant, winner(0, a, 100, at(2 * HOUR)));
    expect(await setBalances(tenant, winner(3, a, 50, at(HOUR)), winner(4, b, 7, at(HOUR)))).toEqual(new Set([3]));
    expect(await stored(tenant, a)).toEqual({ balance: 100, balance_time: at(2 * HOUR) });
    expect(await stored(tenant, b)).toEqual({ balance: 7, balance_time: at(HOUR) });
    expect((await history(tenant)).map((h) => h.balance)).toEqual([100, 7]);
  });

  it('applies a timeStamp equal to the applied one', async () => {
    const tenant = await newTenant(scratch.db, 'balance-only');
    const contact = randomUUID();
    await setBalances(tenant, winner(0, contact, 100, at(HOUR)));
    expect(await setBalances(tenant, winner(0, contact, 80, at(HOUR)))).toEqual(new Set());
    expect(await stored(tenant, contact)).toEqual({ balance: 80, balance_time: at(HOUR) });
  });

  it('writes a history row with the exact delta only when the balance moved', async () => {
    const tenant = await newTenant(scratch.db, 'balance-only');
    const contact = randomUUID();
    const [first, same, moved] = [randomUUID(), randomUUID(), randomUUID()];
    await scratch.db.pointAccounts.setBalances(tenant.id, first, [winner(0, contact, 100, at(HOUR))]);
    await scratch.db.pointAccounts.setBalances(tenant.id, same, [winner(0, contact, 100, at(2 * HOUR))]);
    await scratch.db.pointAccounts.setBalances(tenant.id, moved, [winner(0, contact, 130, at(3 * HOUR))]);
    expect(await history(tenant)).toEqual([
      { source: 'UpdateBalance', amount: 100, balance: 100, master_time: at(HOUR), batch_id: first },
      { source: 'UpdateBalance', amount: 30, balance: 130, master_time: at(3 * HOUR), batch_id: moved },
    ]);
    expect((await stored(tenant, contact))?.balance_time).toEqual(at(3 * HOUR));
  });

  it('records a new account at zero without history', async () => {
    const tenant = await newTenant(scratch.db, 'balance-only');
    await setBalances(tenant, winner(0, randomUUID(), 0, at(HOUR)));
    expect(await history(tenant)).toEqual([]);
  });

  it('records a swing wider than an int32 exactly', async () => {
    const tenant = await newTenant(scratch.db, 'balance-only');
    const contact = randomUUID();
    await setBalances(tenant, winner(0, contact, 2_147_483_647, at(HOUR)));
    await setBalances(tenant, winner(0, contact, -2_147_483_648, at(2 * HOUR)));
    expect((await history(tenant)).map((h) => h.amount)).toEqual([2_147_483_647, -4_294_967_295]);
  });
});

describe('pointAccounts.balanceTimes', () => {
  it('answers the applied balance time by item index, only for accounts of the tenant that exist', async () => {
    const [tenant, other] = [await newTenant(scratch.db, 'balance-only'), await newTenant(scratch.db, 'balance-only')];
    const [a, b, elsewhere] = [randomUUID(), randomUUID(), randomUUID()];
    await setBalances(tenant, winner(0, a, 1, at(HOUR)), winner(1, b, 1, at(2 * HOUR), 2));
    await setBalances(other, winner(0, elsewhere, 1, at(HOUR)));
    const times = await scratch.db.pointAccounts.balanceTimes(tenant.id, [
      { contactId: b, definitionId: 2, index: 7 },
      { contactId: a, definitionId: 2, index: 8 },
      { contactId: elsewhere, definitionId: 1, index: 9 },
      { contactId: a, definitionId: 1, index: 10 },
    ]);
    expect(times).toEqual(
      new Map([
        [7, at(2 * HOUR)],
        [10, at(HOUR)],
      ]),
    );
  });
});

describe('pointAccounts.ensure', () => {
  it('creates the missing accounts at zero, and again creates none of those it made', async () => {
    const tenant = await newTenant(scratch.db, 'all-transaction');
    const [a, b] = [randomUUID(), randomUUID()];
    const accountsOf = (contactId: string) => scratch.db.pointAccounts.listByContact(asBalanceOnly(tenant), contactId, { offset: 0, count: 10 }, T0);
    await scratch.db.pointAccounts.ensure(
      tenant.id,
      [
        { contactId: a, definitionId: 1 },
        { contactId: a, definitionId: 2 },
      ],
      T0,
    );
    const before = await accountsOf(a);
    await scratch.db.pointAccounts.ensure(
      tenant.id,
      [
        { contactId: a, definitionId: 1 },
        { contactId: a, definitionId: 2 },
        { contactId: b, definitionId: 1 },
      ],
      at(HOUR),
    );
    expect(before.items.map((item) => [item.definitionId, item.balance])).toEqual([
      [1, 0],
      [2, 0],
    ]);
    expect(await accountsOf(a)).toEqual(before);
    expect((await accountsOf(b)).totalCount).toBe(1);
    expect((await stored(tenant, a))?.balance_time).toBeNull();
  });

  it('leaves an existing account’s balance and balance time alone', async () => {
    const tenant = await newTenant(scratch.db, 'all-transaction');
    const contact = randomUUID();
    await setBalances(tenant, winner(0, contact, 100, at(HOUR)));
    await scratch.db.pointAccounts.ensure(tenant.id, [{ contactId: contact, definitionId: 1 }], at(2 * HOUR));
    expect(await stored(tenant, contact)).toEqual({ balance: 100, balance_time: at(HOUR) });
  });
});

describe('pointAccounts.listByContact and find', () => {
  it('balance-only reads the stored balance, with nothing pending or expiring, whatever the ledger holds', async () => {
    const tenant = await newTenant(scratch.db, 'balance-only');
    const contact = randomUUID();
    await setBalances(tenant, winner(0, contact, 100, at(HOUR)));
    const id = await appendEntries(scratch.db, tenant.id, { contactId: contact, definitionId: 1 }, [{ amount: 5, from: at(-DAY), to: at(DAY) }]);
    const guid = (await scratch.db.pointAccounts.listByContact(asBalanceOnly(tenant), contact, { offset: 0, count: 1 }, T0)).items[0]!.guid;
    expect(await scratch.db.pointAccounts.findIdByGuid(tenant.id, guid)).toBe(id);
    expect(await scratch.db.pointAccounts.find(asBalanceOnly(tenant), id, T0)).toEqual({
      id,
      guid,
      contactId: contact,
      definitionId: 1,
      balance: 100,
      pendingPoints: 0,
      balanceExpires: null,
      expiresAmount: 0,
      expiringWithin30Days: 0,
      expiringWithin60Days: 0,
      expiringWithin90Days: 0,
    });
  });

  it('all-transaction derives balance, pendingPoints and balanceExpires from the ledger at the given time, by the lot rule', async () => {
    const tenant = await newTenant(scratch.db, 'all-transaction');
    const contact = randomUUID();
    const id = await appendEntries(scratch.db, tenant.id, { contactId: contact, definitionId: 1 }, [
      { amount: 100, from: at(-DAY), to: at(10 * DAY) },
      { amount: 50, from: at(-DAY), to: at(3 * DAY) },
      { amount: -10, from: at(-DAY), to: at(DAY) },
      { amount: -30, from: at(-DAY) },
      { amount: 20, from: at(DAY) },
      { amount: 40, from: at(-5 * DAY), to: at(-DAY) },
    ]);
    const find = (time: Date) => scratch.db.pointAccounts.find(asAllTransaction(tenant), id, time);
    // The 40 expired whole before anything was spent; the 40 deducted came out of the 50, the soonest to expire.
    expect(await find(T0)).toEqual({
      id,
      guid: expect.stringMatching(/^[0-9a-f-]{36}$/),
      contactId: contact,
      definitionId: 1,
      balance: 110,
      pendingPoints: 20,
      balanceExpires: at(3 * DAY),
      expiresAmount: 10,
      expiringWithin30Days: 110,
      expiringWithin60Days: 110,
      expiringWithin90Days: 110,
    });
    // The 10 left of the 50 expired; the 20 turned active; a deduction's validTo changes nothing.
    expect(await find(at(5 * DAY))).toMatchObject({ balance: 120, pendingPoints: 0, balanceExpires: at(10 * DAY), expiringWithin30Days: 100 });
  });

  it('listByContact lists the contact’s accounts by definition, paged, with the total', async () => {
    const tenant = await newTenant(scratch.db, 'all-transaction');
    const contact = randomUUID();
    await appendEntries(scratch.db, tenant.id, { contactId: contact, definitionId: 2 }, [{ amount: 7, from: at(-DAY) }]);
    await appendEntries(scratch.db, tenant.id, { contactId: contact, definitionId: 1 }, [{ amount: 3, from: at(DAY) }]);
    await appendEntries(scratch.db, tenant.id, { contactId: randomUUID(), definitionId: 1 }, [{ amount: 1, from: at(-DAY) }]);
    const list = (offset: number, count: number) => scratch.db.pointAccounts.listByContact(asAllTransaction(tenant), contact, { offset, count }, T0);
    expect((await list(0, 10)).items.map((a) => [a.definitionId, a.balance, a.pendingPoints])).toEqual([
      [1, 0, 3],
      [2, 7, 0],
    ]);
    const page = await list(1, 1);
    expect(page.items.map((a) => a.definitionId)).toEqual([2]);
    expect(page.totalCount).toBe(2);
  });

  it('find does not answer another tenant’s account', async () => {
    const [tenant, other] = [await newTenant(scratch.db, 'balance-only'), await newTenant(scratch.db, 'balance-only')];
    const contact = randomUUID();
    await setBalances(other, winner(0, contact, 1, at(HOUR)));
    const id = await scratch.db.pointAccounts.findId(other.id, { contactId: contact, definitionId: 1 });
    expect(id).not.toBeNull();
    expect(await scratch.db.pointAccounts.find(asBalanceOnly(tenant), id!, T0)).toBeNull();
  });
});

describe('pointAccounts.findId', () => {
  it('finds an account by id or by (contact, definition), only within the tenant', async () => {
    const [tenant, other] = [await newTenant(scratch.db, 'balance-only'), await newTenant(scratch.db, 'balance-only')];
    const contact = randomUUID();
    await setBalances(tenant, winner(0, contact, 1, at(HOUR)));
    const id = await scratch.db.pointAccounts.findId(tenant.id, { contactId: contact, definitionId: 1 });
    expect(id).toEqual(expect.any(Number));
    expect(await scratch.db.pointAccounts.findId(tenant.id, { accountId: id! })).toBe(id);
    expect(await scratch.db.pointAccounts.findId(other.id, { accountId: id! })).toBeNull();
    expect(await scratch.db.pointAccounts.findId(other.id, { contactId: contact, definitionId: 1 })).toBeNull();
    expect(await scratch.db.pointAccounts.findId(tenant.id, { contactId: contact, definitionId: 2 })).toBeNull();
  });
});

describe('pointAccounts.snapshotLedgerBalances', () => {
  it('sets each account’s balance to its ledger’s active sum, with ModeSwitch history only where it moved', async () => {
    const tenant = await newTenant(scratch.db, 'all-transaction');
    const [fromLedger, unchanged, matching, dropped] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    await setBalances(tenant, winner(0, matching, 25, at(-HOUR)), winner(1, dropped, 40, at(-HOUR)));
    await appendEntries(scratch.db, tenant.id, { contactId: fromLedger, definitionId: 1 }, [
      { amount: 70, from: at(-DAY) },
      { amount: 10, from: at(DAY) },
      { amount: 5, from: at(-2 * DAY), to: at(-DAY) },
    ]);
    await appendEntries(scratch.db, tenant.id, { contactId: matching, definitionId: 1 }, [{ amount: 25, from: at(-DAY) }]);
    await scratch.db.pointAccounts.ensure(tenant.id, [{ contactId: unchanged, definitionId: 1 }], T0);

    expect(await scratch.db.pointAccounts.snapshotLedgerBalances(tenant.id, T0)).toBe(2);

    for (const [contact, balance] of [
      [fromLedger, 70],
      [unchanged, 0],
      [matching, 25],
      [dropped, 0],
    ] as const) {
      expect((await stored(tenant, contact))?.balance, contact).toBe(balance);
    }
    const modeSwitches = (await history(tenant)).filter((h) => h.source === 'ModeSwitch').sort((x, y) => x.amount - y.amount);
    expect(modeSwitches).toEqual([
      { source: 'ModeSwitch', amount: -40, balance: 0, master_time: T0, batch_id: null },
      { source: 'ModeSwitch', amount: 70, balance: 70, master_time: T0, batch_id: null },
    ]);
  });
});
