import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TransactionFilter } from '../../../src/contracts/transactions.ts';
import type { TenantRecord } from '../../../src/domain/tenants.ts';
import { appendEntries, at, DAY, HOUR, newTenant, openScratchDatabase, type ScratchDatabase, storedRow, T0 } from './scratch-database.ts';

let scratch: ScratchDatabase;
beforeAll(async () => {
  scratch = await openScratchDatabase();
});
afterAll(() => scratch?.close());

const everything = { offset: 0, count: 100 };

async function newAccount(tenant: TenantRecord) {
  const account = { contactId: randomUUID(), definitionId: 1 };
  await scratch.db.pointAccounts.ensure(tenant.id, [account], T0);
  return { ...account, id: (await scratch.db.pointAccounts.findId(tenant.id, account))! };
}

const entries = (tenant: TenantRecord, accountId: number, filter: TransactionFilter = 'All', time = T0, page = everything) =>
  scratch.db.ledger.listEntries(tenant.id, accountId, filter, page, time);

describe('ledger.append', () => {
  it('adds one entry per row, typed by the sign of its amount, and answers the indexes it added', async () => {
    const tenant = await newTenant(scratch.db, 'all-transaction');
    const account = await newAccount(tenant);
    const rows = [
      storedRow(0, account, { amount: 100, from: at(-DAY), to: at(DAY), date: at(-2 * DAY) }),
      storedRow(1, account, { amount: -30, from: at(-HOUR) }),
    ];
    expect(await scratch.db.ledger.append(tenant.id, randomUUID(), rows, at(HOUR))).toMatchObject({ indexes: new Set([0, 1]), sequences: [] });
    const { items } = await entries(tenant, account.id);
    // Each entry has its own v3 GUID; both carry their account's.
    const guids = new Set(items.map((e) => e.guid));
    expect(guids.size).toBe(2);
    for (const guid of guids) expect(guid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(new Set(items.map((e) => e.accountGuid)).size).toBe(1);
    expect(await scratch.db.pointAccounts.findIdByGuid(tenant.id, items[0]!.accountGuid)).toBe(account.id);
    expect(await scratch.db.ledger.findEntryByGuid(tenant.id, items[0]!.guid)).toEqual(items[0]);
    expect(items.map(({ id: _, guid: _guid, accountGuid: _accountGuid, ...entry }) => entry)).toEqual([
      {
        accountId: account.id,
        amount: -30,
        type: 'Deduction',
        source: 'Purchase',
        description: 'row 1',
        transactionDate: at(-HOUR),
        validFrom: at(-HOUR),
        validTo: null,
        createdOn: at(HOUR),
        modifiedOn: at(HOUR),
        externalId: null,
        sequence: null,
      },
      {
        accountId: account.id,
        amount: 100,
        type: 'Addition',
        source: 'Purchase',
        description: 'row 0',
        transactionDate: at(-2 * DAY),
        validFrom: at(-DAY),
        validTo: at(DAY),
        createdOn: at(HOUR),
        modifiedOn: at(HOUR),
        externalId: null,
        sequence: null,
      },
    ]);
  });

  it('adds nothing for a (batch, row) already in the ledger', async () => {
    const tenant = await newTenant(scratch.db, 'all-transaction');
    const account = await newAccount(tenant);
    const batchId = randomUUID();
    const row = (index: number) => storedRow(index, account, { amount: 10 + index, from: at(-DAY) });
    await scratch.db.ledger.append(tenant.id, batchId, [row(0), row(1)], T0);
    expect((await scratch.db.ledger.append(tenant.id, batchId, [row(1), row(2)], T0)).indexes).toEqual(new Set([2]));
    expect((await scratch.db.ledger.append(tenant.id, randomUUID(), [row(1)], T0)).indexes).toEqual(new Set([1]));
    expect((await entries(tenant, account.id)).items.map((e) => e.amount).sort()).toEqual([10, 11, 11, 12]);
  });

  it('adds a row once per externalId and per sequence, and answers the sequences it added, in order', async () => {
    const tenant = await newTenant(scratch.db, 'all-transaction');
    const account = await newAccount(tenant);
    const row = (index: number, identity: { externalId?: string; sequence?: number }) => ({
      ...storedRow(index, account, { amount: 10 + index, from: at(-DAY) }),
      ...identity,
      sentFields: index,
    });
    const first = await scratch.db.ledger.append(tenant.id, randomUUID(), [row(0, { externalId: 'a', sequence: 7 }), row(1, { sequence: 3 })], T0);
    expect(first).toMatchObject({ indexes: new Set([0, 1]), sequences: [3, 7] });
    const again = await scratch.db.ledger.append(tenant.id, randomUUID(), [row(0, { externalId: 'a' }), row(1, { sequence: 3 }), row(2, { sequence: 4 })], T0);
    expect(again).toMatchObject({ indexes: new Set([2]), sequences: [4] });
    expect(await scratch.db.ledger.findIdentified(tenant.id, ['a'], [4])).toEqual(
      expect.arrayContaining([expect.objectContaining({ externalId: 'a', sequence: 7, sentFields: 0, amount: 10 }), expect.objectContaining({ sequence: 4 })]),
    );
  });

  it('adds nothing for a row whose account does not exist', async () => {
    const tenant = await newTenant(scratch.db, 'all-transaction');
    const missing = { contactId: randomUUID(), definitionId: 1 };
    expect((await scratch.db.ledger.append(tenant.id, randomUUID(), [storedRow(0, missing, { amount: 5, from: T0 })], T0)).indexes).toEqual(new Set());
  });
});

describe('ledger.listEntries', () => {
  it('All lists every entry of the account, newest transaction first, later id first on a tie', async () => {
    const tenant = await newTenant(scratch.db, 'all-transaction');
    const accountId = await appendEntries(scratch.db, tenant.id, { contactId: randomUUID(), definitionId: 1 }, [
      { amount: 1, from: at(-3 * DAY) },
      { amount: 2, from: at(-DAY) },
      { amount: 3, from: at(-3 * DAY), date: at(-DAY) },
      { amount: 4, from: at(-2 * DAY) },
    ]);
    await appendEntries(scratch.db, tenant.id, { contactId: randomUUID(), definitionId: 1 }, [{ amount: 9, from: at(-DAY) }]);
    const { items, totalCount } = await entries(tenant, accountId);
    expect(items.map((e) => e.amount)).toEqual([3, 2, 4, 1]);
    expect(totalCount).toBe(4);
  });

  it('pages through the entries, answering the total of the filter', async () => {
    const tenant = await newTenant(scratch.db, 'all-transaction');
    const accountId = await appendEntries(
      scratch.db,
      tenant.id,
      { contactId: randomUUID(), definitionId: 1 },
      [1, 2, 3, 4, 5].map((amount) => ({ amount, from: at(-amount * HOUR) })),
    );
    expect(await entries(tenant, accountId, 'All', T0, { offset: 1, count: 2 })).toMatchObject({ items: [{ amount: 2 }, { amount: 3 }], totalCount: 5 });
    expect(await entries(tenant, accountId, 'All', T0, { offset: 4, count: 2 })).toMatchObject({ items: [{ amount: 5 }], totalCount: 5 });
  });

  it('Active and Pending filter by each entry’s window at the given time', async () => {
    const tenant = await newTenant(scratch.db, 'all-transaction');
    const accountId = await appendEntries(scratch.db, tenant.id, { contactId: randomUUID(), definitionId: 1 }, [
      { amount: 1, from: at(-DAY), to: at(DAY) },
      { amount: 2, from: at(HOUR), date: at(-HOUR) },
      { amount: 3, from: at(-2 * DAY), to: T0 },
      { amount: 4, from: T0 },
    ]);
    const amounts = async (filter: TransactionFilter, time: Date) => (await entries(tenant, accountId, filter, time)).items.map((e) => e.amount);
    expect(await amounts('Active', T0)).toEqual([4, 1]);
    expect(await amounts('Pending', T0)).toEqual([2]);
    expect(await amounts('Active', at(HOUR))).toEqual([4, 2, 1]);
    expect(await amounts('Pending', at(HOUR))).toEqual([]);
    expect(await entries(tenant, accountId, 'Active', T0, { offset: 0, count: 1 })).toMatchObject({ totalCount: 2 });
  });

  it('All includes Expiry entries; Active and Pending never do', async () => {
    const tenant = await newTenant(scratch.db, 'all-transaction');
    const accountId = await appendEntries(scratch.db, tenant.id, { contactId: randomUUID(), definitionId: 1 }, [
      { amount: 8, from: at(-2 * DAY), to: at(-DAY) },
    ]);
    expect((await entries(tenant, accountId, 'All')).items.map((e) => e.type)).toEqual(['Expiry', 'Addition']);
    expect((await entries(tenant, accountId, 'Active')).items).toEqual([]);
    expect((await entries(tenant, accountId, 'Pending', at(-3 * DAY))).items.map((e) => e.type)).toEqual(['Addition']);
  });
});

describe('ledger.findEntry', () => {
  it('finds an entry only within its own tenant', async () => {
    const [tenant, other] = [await newTenant(scratch.db, 'all-transaction'), await newTenant(scratch.db, 'all-transaction')];
    const accountId = await appendEntries(scratch.db, tenant.id, { contactId: randomUUID(), definitionId: 1 }, [{ amount: 6, from: T0 }]);
    const [entry] = (await entries(tenant, accountId)).items;
    expect(await scratch.db.ledger.findEntry(tenant.id, entry!.id)).toEqual(entry);
    expect(await scratch.db.ledger.findEntry(other.id, entry!.id)).toBeNull();
  });
});

describe('ledger.sweep', () => {
  it('writes one Expiry entry per lot with points left when its validTo passes, for exactly what is left', async () => {
    const tenant = await newTenant(scratch.db, 'all-transaction');
    const accountId = await appendEntries(scratch.db, tenant.id, { contactId: randomUUID(), definitionId: 1 }, [
      { amount: 40, from: at(-2 * DAY), to: at(DAY) },
      { amount: -10, from: at(-2 * DAY) },
      { amount: 30, from: at(-2 * DAY), to: at(2 * DAY) },
      { amount: 5, from: at(-2 * DAY) },
    ]);
    const lot = (await entries(tenant, accountId)).items.find((e) => e.amount === 40)!;
    const expiries = async () => (await entries(tenant, accountId)).items.filter((e) => e.type === 'Expiry');
    expect(await expiries()).toEqual([]);
    expect(await scratch.db.ledger.sweep(tenant.id, at(DAY + HOUR))).toBe(1);
    // The deduction used the soonest-expiring lot: 30 of its 40 points were left to expire.
    expect(await expiries()).toMatchObject([
      {
        amount: -30,
        source: 'Expiry',
        description: `30 points of transaction ${lot.id} expired`,
        transactionDate: at(DAY),
        validFrom: at(DAY),
        validTo: null,
        createdOn: at(DAY + HOUR),
      },
    ]);
    expect(await scratch.db.pointAccounts.find(tenant, accountId, at(DAY + HOUR))).toMatchObject({ balance: 35, balanceExpires: at(2 * DAY) });
  });

  it('records each expiry once however often it runs, and none for a lot that was used up', async () => {
    const tenant = await newTenant(scratch.db, 'all-transaction');
    const accountId = await appendEntries(scratch.db, tenant.id, { contactId: randomUUID(), definitionId: 1 }, [
      { amount: 40, from: at(-2 * DAY), to: at(DAY) },
      { amount: -40, from: at(-DAY) },
      { amount: 30, from: at(-2 * DAY), to: at(2 * DAY) },
    ]);
    // The used-up lot changes nothing when its validTo passes: no account is due until the other lot's.
    expect(await scratch.db.ledger.sweep(tenant.id, at(1.5 * DAY))).toBe(0);
    expect(await scratch.db.ledger.sweep(tenant.id, at(3 * DAY))).toBe(1);
    expect(await scratch.db.ledger.sweep(tenant.id, at(3 * DAY))).toBe(0);
    expect((await entries(tenant, accountId)).items.filter((e) => e.type === 'Expiry').map((e) => e.amount)).toEqual([-30]);
  });

  it('leaves the served balance as it was, and other tenants’ entries alone', async () => {
    const [tenant, other] = [await newTenant(scratch.db, 'all-transaction'), await newTenant(scratch.db, 'all-transaction')];
    const spec = [
      { amount: 40, from: at(-2 * DAY), to: at(DAY) },
      { amount: 30, from: at(-2 * DAY) },
    ];
    const accountId = await appendEntries(scratch.db, tenant.id, { contactId: randomUUID(), definitionId: 1 }, spec);
    const otherAccountId = await appendEntries(scratch.db, other.id, { contactId: randomUUID(), definitionId: 1 }, spec);
    const find = () => scratch.db.pointAccounts.find(tenant, accountId, at(2 * DAY));
    const before = await find();
    await scratch.db.ledger.sweep(tenant.id, at(2 * DAY));
    expect(before).toMatchObject({ balance: 30 });
    expect(await find()).toEqual(before);
    expect((await entries(other, otherAccountId)).totalCount).toBe(2);
  });
});

describe('ledger.carryBalancesIn', () => {
  it('gives each account an OpeningBalance entry for the difference between its balance and its ledger now', async () => {
    const tenant = await newTenant(scratch.db, 'balance-only');
    const [fresh, partial, zero, settled] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    await scratch.db.pointAccounts.setBalances(
      tenant.id,
      randomUUID(),
      [fresh, partial, zero, settled].map((contactId, index) => ({
        index,
        contactId,
        definitionId: 1,
        amount: [100, 20, 0, 60][index]!,
        timeStamp: at(-HOUR).toISOString(),
      })),
    );
    const partialId = await appendEntries(scratch.db, tenant.id, { contactId: partial, definitionId: 1 }, [
      { amount: 50, from: at(-DAY) },
      { amount: 7, from: at(DAY) },
      { amount: 9, from: at(-2 * DAY), to: at(-DAY) },
    ]);
    await appendEntries(scratch.db, tenant.id, { contactId: settled, definitionId: 1 }, [{ amount: 60, from: at(-DAY) }]);

    expect(await scratch.db.ledger.carryBalancesIn(tenant.id, T0)).toBe(2);

    const asLedger = { id: tenant.id, mode: 'all-transaction' as const };
    const derived = async (contactId: string) => {
      const id = await scratch.db.pointAccounts.findId(tenant.id, { contactId, definitionId: 1 });
      return scratch.db.pointAccounts.find(asLedger, id!, T0);
    };
    expect(await derived(fresh)).toMatchObject({ balance: 100, pendingPoints: 0, balanceExpires: null });
    expect(await derived(partial)).toMatchObject({ balance: 20, pendingPoints: 7 });
    expect(await derived(zero)).toMatchObject({ balance: 0 });
    expect(await derived(settled)).toMatchObject({ balance: 60 });
    expect((await entries(tenant, partialId)).items.filter((e) => e.source === 'OpeningBalance')).toMatchObject([
      {
        type: 'Deduction',
        amount: -30,
        transactionDate: T0,
        validFrom: T0,
        validTo: null,
      },
    ]);
  });
});
