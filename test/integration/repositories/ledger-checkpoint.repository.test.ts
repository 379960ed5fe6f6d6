import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TenantRecord } from '../../../src/domain/tenants.ts';
import { at, DAY, HOUR, newTenant, openScratchDatabase, type ScratchDatabase, storedRow, T0 } from './scratch-database.ts';

let scratch: ScratchDatabase;
beforeAll(async () => {
  scratch = await openScratchDatabase();
});
afterAll(() => scratch?.close());

async function newAccount(tenant: TenantRecord) {
  const account = { contactId: randomUUID(), definitionId: 1 };
  await scratch.db.pointAccounts.ensure(tenant.id, [account], T0);
  return { ...account, id: (await scratch.db.pointAccounts.findId(tenant.id, account))! };
}

/** The account's entries by description, and whether the checkpoint covers each. */
async function coverage(tenant: TenantRecord, accountId: number): Promise<Record<string, boolean>> {
  const { rows } = await scratch.pool.query<{ description: string; settled: boolean }>(
    `SELECT description, settled FROM ledger_entry WHERE tenant_id = $1 AND account_id = $2 AND type <> 'Expiry' ORDER BY id`,
    [tenant.id, accountId],
  );
  return Object.fromEntries(rows.map((row) => [row.description, row.settled]));
}

const figures = async (tenant: TenantRecord, accountId: number, when: Date) => {
  const account = await scratch.db.pointAccounts.find(tenant, accountId, when);
  return { balance: account?.balance, pendingPoints: account?.pendingPoints, balanceExpires: account?.balanceExpires };
};

describe('ledger checkpoint', () => {
  it('covers at the apply the entries already settled, and moves on as the sweeps cover the rest', async () => {
    const tenant = await newTenant(scratch.db, 'all-transaction');
    const account = await newAccount(tenant);
    await scratch.db.ledger.append(
      tenant.id,
      randomUUID(),
      [
        storedRow(0, account, { amount: 100, from: at(-2 * DAY) }), // never expires, active: settled
        storedRow(1, account, { amount: -30, from: at(-HOUR) }), // a deduction, the same
        storedRow(2, account, { amount: 50, from: at(DAY) }), // pending: settles when it turns active
        storedRow(3, account, { amount: 70, from: at(-DAY), to: at(2 * DAY) }), // active, expires: settles when it lapses
        storedRow(4, account, { amount: 20, from: at(-3 * DAY), to: at(-2 * DAY) }), // lapsed already: settles once its lapse is recorded
      ],
      T0,
    );
    expect(await coverage(tenant, account.id)).toEqual({ 'row 0': true, 'row 1': true, 'row 2': false, 'row 3': false, 'row 4': false });
    expect(await scratch.db.ledger.checkpoint(tenant.id, account.id)).toEqual({ settledThrough: at(-HOUR), balance: 70, entries: 2 });
    expect(await figures(tenant, account.id, T0)).toEqual({ balance: 140, pendingPoints: 50, balanceExpires: at(2 * DAY) });

    // The lapse sweep covers row 4 (it adds nothing: it no longer counts); the checkpoint's instant does not go back.
    expect(await scratch.db.ledger.recordExpiries(tenant.id, T0)).toBe(1);
    expect(await scratch.db.ledger.checkpoint(tenant.id, account.id)).toEqual({ settledThrough: at(-HOUR), balance: 70, entries: 3 });

    // A day and a half on, row 2 has turned active for good; three days on, row 3 has lapsed.
    expect(await scratch.db.ledger.settleNeverExpiring(tenant.id, at(1.5 * DAY))).toBe(1);
    expect(await scratch.db.ledger.checkpoint(tenant.id, account.id)).toEqual({ settledThrough: at(DAY), balance: 120, entries: 4 });
    expect(await scratch.db.ledger.recordExpiries(tenant.id, at(3 * DAY))).toBe(1);
    expect(await scratch.db.ledger.checkpoint(tenant.id, account.id)).toEqual({ settledThrough: at(2 * DAY), balance: 120, entries: 5 });
    expect(await coverage(tenant, account.id)).toEqual({ 'row 0': true, 'row 1': true, 'row 2': true, 'row 3': true, 'row 4': true });
    // Nothing left to cover: a second pass covers nothing.
    expect(await scratch.db.ledger.settleNeverExpiring(tenant.id, at(3 * DAY))).toBe(0);
    expect(await scratch.db.ledger.recordExpiries(tenant.id, at(3 * DAY))).toBe(0);

    // After the checkpoint the figures come from it; before it (a clock that went back) from every entry.
    expect(await figures(tenant, account.id, at(3 * DAY))).toEqual({ balance: 120, pendingPoints: 0, balanceExpires: null });
    expect(await figures(tenant, account.id, T0)).toEqual({ balance: 140, pendingPoints: 50, balanceExpires: at(2 * DAY) });
    expect(await figures(tenant, account.id, at(-2.5 * DAY))).toEqual({ balance: 20, pendingPoints: 100 - 30 + 50 + 70, balanceExpires: at(-2 * DAY) });
  });

  it('counts a back-dated arrival before any sweep covers it, then covers it without moving the checkpoint back', async () => {
    const tenant = await newTenant(scratch.db, 'all-transaction');
    const account = await newAccount(tenant);
    await scratch.db.ledger.append(tenant.id, randomUUID(), [storedRow(0, account, { amount: 100, from: at(-HOUR) })], T0);
    // Entries another path writes (here the switch from balance-only mode, whose balance was 0) are not covered when written.
    await scratch.db.ledger.carryBalancesIn(tenant.id, at(HOUR));
    expect(await coverage(tenant, account.id)).toEqual({ 'row 0': true, 'Balance carried over from balance-only mode': false });
    expect(await figures(tenant, account.id, at(2 * HOUR))).toEqual({ balance: 0, pendingPoints: 0, balanceExpires: null });

    expect(await scratch.db.ledger.settleNeverExpiring(tenant.id, at(2 * HOUR))).toBe(1);
    expect(await scratch.db.ledger.checkpoint(tenant.id, account.id)).toEqual({ settledThrough: at(HOUR), balance: 0, entries: 2 });

    // Back-dated far before the checkpoint: still counted at once, and covered by the next pass; settledThrough stays.
    await scratch.db.ledger.append(tenant.id, randomUUID(), [storedRow(0, account, { amount: 40, from: at(-30 * DAY), to: at(-20 * DAY) })], at(2 * HOUR));
    await scratch.db.ledger.append(tenant.id, randomUUID(), [storedRow(0, account, { amount: 15, from: at(-30 * DAY) })], at(2 * HOUR));
    expect(await figures(tenant, account.id, at(2 * HOUR))).toEqual({ balance: 15, pendingPoints: 0, balanceExpires: null });
    expect(await scratch.db.ledger.checkpoint(tenant.id, account.id)).toEqual({ settledThrough: at(HOUR), balance: 15, entries: 3 });
    expect(await scratch.db.ledger.recordExpiries(tenant.id, at(2 * HOUR))).toBe(1);
    expect(await scratch.db.ledger.checkpoint(tenant.id, account.id)).toEqual({ settledThrough: at(HOUR), balance: 15, entries: 4 });
    expect(await figures(tenant, account.id, at(2 * HOUR))).toEqual({ balance: 15, pendingPoints: 0, balanceExpires: null });
    expect(await figures(tenant, account.id, at(-25 * DAY))).toEqual({ balance: 55, pendingPoints: 100 - 100, balanceExpires: at(-20 * DAY) });
  });

  it('keeps each tenant to its own checkpoints', async () => {
    const [a, b] = [await newTenant(scratch.db, 'all-transaction'), await newTenant(scratch.db, 'all-transaction')];
    const account = await newAccount(a);
    await scratch.db.ledger.append(a.id, randomUUID(), [storedRow(0, account, { amount: 10, from: at(DAY) })], T0);
    expect(await scratch.db.ledger.settleNeverExpiring(b.id, at(2 * DAY))).toBe(0);
    expect(await scratch.db.ledger.checkpoint(b.id, account.id)).toBeNull();
    expect(await scratch.db.ledger.checkpoint(a.id, account.id)).toBeNull();
    expect(await scratch.db.ledger.settleNeverExpiring(a.id, at(2 * DAY))).toBe(1);
    expect(await scratch.db.ledger.checkpoint(a.id, account.id)).toEqual({ settledThrough: at(DAY), balance: 10, entries: 1 });
  });
});
