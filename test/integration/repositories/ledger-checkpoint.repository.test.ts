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

/** The account's rows by description: what each still does (0 waiting, 1 an open lot, 2 done) and what is left of a lot. */
async function phases(tenant: TenantRecord, accountId: number): Promise<Record<string, [number, number | null]>> {
  const { rows } = await scratch.pool.query<{ description: string; phase: number; remaining: number | null }>(
    `SELECT description, phase, remaining FROM ledger_entry WHERE tenant_id = $1 AND account_id = $2 AND type <> 'Expiry' ORDER BY id`,
    [tenant.id, accountId],
  );
  return Object.fromEntries(rows.map((row) => [row.description, [row.phase, row.remaining]]));
}

const expiries = async (tenant: TenantRecord, accountId: number) => {
  const { items } = await scratch.db.ledger.listEntries(tenant.id, accountId, 'All', { offset: 0, count: 100 }, T0);
  return items.filter((e) => e.type === 'Expiry').map((e) => ({ amount: e.amount, at: e.validFrom }));
};

const figures = async (tenant: TenantRecord, accountId: number, when: Date) => {
  const account = await scratch.db.pointAccounts.find(tenant, accountId, when);
  return { balance: account?.balance, pendingPoints: account?.pendingPoints, balanceExpires: account?.balanceExpires };
};

describe('ledger checkpoint', () => {
  it('folds in at the apply what has happened by then, and moves on as time brings the rest', async () => {
    const tenant = await newTenant(scratch.db, 'all-transaction');
    const account = await newAccount(tenant);
    await scratch.db.ledger.append(
      tenant.id,
      randomUUID(),
      [
        storedRow(0, account, { amount: 100, from: at(-2 * DAY) }), // never expires: used last
        storedRow(1, account, { amount: -30, from: at(-HOUR) }), // uses row 3 first, the soonest-expiring lot
        storedRow(2, account, { amount: 50, from: at(DAY) }), // pending
        storedRow(3, account, { amount: 70, from: at(-DAY), to: at(2 * DAY) }),
        storedRow(4, account, { amount: 20, from: at(-3 * DAY), to: at(-2 * DAY) }), // expired already, untouched
      ],
      T0,
    );
    expect(await phases(tenant, account.id)).toEqual({
      'row 0': [1, 100],
      'row 1': [2, null],
      'row 2': [0, null],
      'row 3': [1, 40],
      'row 4': [2, 0],
    });
    expect(await scratch.db.ledger.checkpoint(tenant.id, account.id)).toEqual({ settledThrough: at(-HOUR), owed: 0, nextEventAt: at(DAY) });
    expect(await expiries(tenant, account.id)).toEqual([{ amount: -20, at: at(-2 * DAY) }]);
    expect(await figures(tenant, account.id, T0)).toEqual({ balance: 140, pendingPoints: 50, balanceExpires: at(2 * DAY) });

    // A day and a half on, row 2 has turned active; three days on, what was left of row 3 has expired.
    expect(await scratch.db.ledger.sweep(tenant.id, at(1.5 * DAY))).toBe(1);
    expect(await scratch.db.ledger.checkpoint(tenant.id, account.id)).toEqual({ settledThrough: at(DAY), owed: 0, nextEventAt: at(2 * DAY) });
    expect(await scratch.db.ledger.sweep(tenant.id, at(3 * DAY))).toBe(1);
    expect(await scratch.db.ledger.checkpoint(tenant.id, account.id)).toEqual({ settledThrough: at(2 * DAY), owed: 0, nextEventAt: null });
    expect(await expiries(tenant, account.id)).toEqual([
      { amount: -40, at: at(2 * DAY) },
      { amount: -20, at: at(-2 * DAY) },
    ]);
    // Nothing is due any more: a second pass folds nothing.
    expect(await scratch.db.ledger.sweep(tenant.id, at(3 * DAY))).toBe(0);

    // After the checkpoint the figures come from it; before it (a read as of the past) from the first entry.
    expect(await figures(tenant, account.id, at(3 * DAY))).toEqual({ balance: 150, pendingPoints: 0, balanceExpires: null });
    expect(await figures(tenant, account.id, T0)).toEqual({ balance: 140, pendingPoints: 50, balanceExpires: at(2 * DAY) });
    expect(await figures(tenant, account.id, at(-2.5 * DAY))).toEqual({ balance: 20, pendingPoints: 100 + 50 + 70, balanceExpires: at(-2 * DAY) });
  });

  it('replays an account from its first entry when a back-dated row arrives, and rewrites its Expiry entries', async () => {
    const tenant = await newTenant(scratch.db, 'all-transaction');
    const account = await newAccount(tenant);
    const append = (amount: number, from: Date, to: Date | null, when: Date) =>
      scratch.db.ledger.append(tenant.id, randomUUID(), [storedRow(0, account, { amount, from, to })], when);

    await append(100, at(-10 * DAY), at(-DAY), T0);
    expect(await expiries(tenant, account.id)).toEqual([{ amount: -100, at: at(-DAY) }]);

    // Spent before it expired: only what was left expired.
    await append(-60, at(-5 * DAY), null, at(HOUR));
    expect(await expiries(tenant, account.id)).toEqual([{ amount: -40, at: at(-DAY) }]);
    expect(await figures(tenant, account.id, at(HOUR))).toMatchObject({ balance: 0 });

    // All of it spent: nothing expired, and the Expiry entry goes.
    await append(-40, at(-4 * DAY), null, at(2 * HOUR));
    expect(await expiries(tenant, account.id)).toEqual([]);

    // More than there was: owed, and paid by the next lot to turn active.
    await append(-10, at(-3 * DAY), null, at(3 * HOUR));
    expect(await figures(tenant, account.id, at(3 * HOUR))).toMatchObject({ balance: -10 });
    expect(await scratch.db.ledger.checkpoint(tenant.id, account.id)).toMatchObject({ owed: 10 });
    await append(25, at(4 * HOUR), null, at(3 * HOUR));
    expect(await figures(tenant, account.id, at(5 * HOUR))).toMatchObject({ balance: 15, pendingPoints: 0 });
  });

  it('keeps each tenant to its own checkpoints', async () => {
    const [a, b] = [await newTenant(scratch.db, 'all-transaction'), await newTenant(scratch.db, 'all-transaction')];
    const account = await newAccount(a);
    await scratch.db.ledger.append(a.id, randomUUID(), [storedRow(0, account, { amount: 10, from: at(DAY) })], T0);
    expect(await scratch.db.ledger.checkpoint(a.id, account.id)).toEqual({ settledThrough: null, owed: 0, nextEventAt: at(DAY) });
    expect(await scratch.db.ledger.sweep(b.id, at(2 * DAY))).toBe(0);
    expect(await scratch.db.ledger.checkpoint(b.id, account.id)).toBeNull();
    expect(await scratch.db.ledger.sweep(a.id, at(2 * DAY))).toBe(1);
    expect(await scratch.db.ledger.checkpoint(a.id, account.id)).toEqual({ settledThrough: at(DAY), owed: 0, nextEventAt: null });
  });
});
