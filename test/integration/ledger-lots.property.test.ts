import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExpiryOwner, TenantRecord } from '../../src/domain/tenants.ts';
import { expiriesBy, figuresAt, type ModelRow, units } from '../support/lot-model.ts';
import { DAY, HOUR, newTenant, openScratchDatabase, type ScratchDatabase, storedRow, T0 } from './repositories/scratch-database.ts';

/**
 * The rule (SQL function ledger_walk, behind every read) against the
 * independent model in test/support/lot-model.ts: random lots, deductions,
 * back-dated rows, pending lots, expiries, debts, sweeps, batch splits and
 * arrival orders, with the follower or the master owning expiry.
 */
let scratch: ScratchDatabase;
beforeAll(async () => {
  scratch = await openScratchDatabase();
});
afterAll(() => scratch?.close());

/** A row relative to the clock at its arrival: back-dated when `from` is negative. */
/** Points with up to 4 decimal places, as Engage keeps them. */
const points = (min: number, max: number) =>
  fc
    .integer({ min: min * 10_000, max: max * 10_000 })
    .filter((n) => n !== 0)
    .map((n) => n / 10_000);

const row = fc.record({
  amount: points(-600, 1000),
  from: fc.integer({ min: -20 * DAY, max: 5 * DAY }),
  /** How long the lot stays active; null never expires. */
  length: fc.option(fc.integer({ min: 1, max: 40 * DAY }), { nil: null, freq: 3 }),
});

const step = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('append' as const), account: fc.nat(1), rows: fc.array(row, { minLength: 1, maxLength: 5 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('sweep' as const) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('clock' as const), by: fc.integer({ min: 1, max: 8 * DAY }) }) },
);

/** Instants to read at, relative to the clock: before the checkpoint (replayed from the first entry) and after it. */
const readOffsets = fc.array(fc.integer({ min: -30 * DAY, max: 95 * DAY }), { minLength: 3, maxLength: 3 });

const owner = fc.constantFrom<ExpiryOwner>('follower', 'master');

describe('ledger lots against the model', () => {
  it('serves the model’s balance, pending points, expiries and Expiry entries at five instants after every step', async () => {
    await fc.assert(
      fc.asyncProperty(owner, fc.array(fc.tuple(step, readOffsets), { minLength: 1, maxLength: 10 }), async (expiry, steps) => {
        const { tenant, ids, accounts } = await tenantWithAccounts(expiry);
        let now = T0.getTime();
        for (const [s, offsets] of steps) {
          if (s.kind === 'append') {
            const rows = s.rows.map((r, index) => storedRow(index, accounts[s.account]!, window(r, now)));
            await scratch.db.transaction(async (tx) => {
              await tx.pointAccounts.ensure(tenant.id, [accounts[s.account]!], new Date(now));
              await tx.ledger.append(tenant.id, randomUUID(), rows, new Date(now));
            });
          } else if (s.kind === 'sweep') {
            await scratch.db.ledger.sweep(tenant.id, new Date(now));
          } else {
            now += s.by;
          }
          for (const id of ids) {
            const rows = await modelRows(tenant, id);
            for (const offset of [0, -HOUR, ...offsets]) await expectFigures(tenant, id, rows, now + offset);
            if (s.kind === 'sweep' && expiry === 'follower') await expectExpiryEntries(tenant, id, rows, now);
          }
        }
      }),
      { numRuns: 25 },
    );
  }, 300_000);

  it('gives the same figures and Expiry entries whatever order and batches the same rows arrive in', async () => {
    const absolute = fc.record({
      amount: points(-600, 1000),
      from: fc.integer({ min: -10 * DAY, max: 20 * DAY }),
      length: fc.option(fc.integer({ min: 1, max: 30 * DAY }), { nil: null, freq: 3 }),
    });
    const plan = fc.array(absolute, { minLength: 1, maxLength: 14 }).chain((rows) =>
      fc.record({
        expiry: owner,
        rows: fc.constant(rows),
        // Each arrival: a shuffled order, cut into batches, the clock moving on between them.
        arrivals: fc.tuple(arrival(rows.length), arrival(rows.length)),
      }),
    );
    await fc.assert(
      fc.asyncProperty(plan, async ({ expiry, rows, arrivals }) => {
        const end = T0.getTime() + 25 * DAY;
        const read: unknown[] = [];
        for (const { order, cuts, steps } of arrivals) {
          const { tenant, ids, accounts } = await tenantWithAccounts(expiry);
          let now = T0.getTime();
          let start = 0;
          for (const [n, cut] of [...cuts, order.length].entries()) {
            const batch = order.slice(start, cut).map((i, index) => storedRow(index, accounts[0]!, window(rows[i]!, T0.getTime())));
            start = cut;
            now = Math.min(end, now + (steps[n] ?? 0));
            if (batch.length === 0) continue;
            await scratch.db.transaction(async (tx) => {
              await tx.pointAccounts.ensure(tenant.id, [accounts[0]!], new Date(now));
              await tx.ledger.append(tenant.id, randomUUID(), batch, new Date(now));
            });
          }
          await scratch.db.ledger.sweep(tenant.id, new Date(end));
          const stored = await modelRows(tenant, ids[0]!);
          const figures = [];
          for (const offset of [-20 * DAY, -3 * DAY, 0, HOUR, 10 * DAY, 40 * DAY]) {
            figures.push(await expectFigures(tenant, ids[0]!, stored, end + offset));
          }
          if (expiry === 'follower') figures.push(await expectExpiryEntries(tenant, ids[0]!, stored, end));
          read.push(figures);
        }
        expect(read[1]).toEqual(read[0]);
      }),
      { numRuns: 25 },
    );
  }, 300_000);

  it('loses nothing when applies of one account and sweeps run at the same moment', async () => {
    const { tenant, ids, accounts } = await tenantWithAccounts('follower');
    const account = accounts[0]!;
    // Lots that expire or turn active between the applies, and deductions, so the sweeps have work beside the applies.
    const batch = (n: number, when: number) =>
      Array.from({ length: 200 }, (_, index) =>
        storedRow(index, account, {
          amount: index % 5 === 4 ? -(n + 1) * 7 : n * 100 + index + 1,
          from: new Date(when + (index % 2 === 0 ? -HOUR : HOUR)),
          to: index % 3 === 0 ? new Date(when + 2 * HOUR + index * 1000) : null,
          date: new Date(when),
        }),
      );
    const applyAt = (n: number, when: number) =>
      scratch.db.transaction(async (tx) => {
        await tx.pointAccounts.ensure(tenant.id, [account], new Date(when));
        await tx.ledger.append(tenant.id, randomUUID(), batch(n, when), new Date(when));
      });
    const sweepAt = (when: number) => scratch.db.ledger.sweep(tenant.id, new Date(when));
    await applyAt(0, T0.getTime());
    await Promise.all([applyAt(1, T0.getTime() + HOUR), sweepAt(T0.getTime() + 3 * HOUR), applyAt(2, T0.getTime() + HOUR), sweepAt(T0.getTime() + 3 * HOUR)]);
    await sweepAt(T0.getTime() + 4 * HOUR);
    const rows = await modelRows(tenant, ids[0]!);
    expect(rows).toHaveLength(600);
    for (const offset of [-HOUR, 0, HOUR, 2 * DAY]) await expectFigures(tenant, ids[0]!, rows, T0.getTime() + 4 * HOUR + offset);
    await expectExpiryEntries(tenant, ids[0]!, rows, T0.getTime() + 4 * HOUR);
  });
});

/** A row's window from its offsets relative to `base`. */
const window = (r: { amount: number; from: number; length: number | null }, base: number) => ({
  amount: r.amount,
  from: new Date(base + r.from),
  to: r.length === null ? null : new Date(base + r.from + r.length),
  date: new Date(base),
});

/** A shuffled order of n rows, cut into batches, with the clock's moves between them. */
const arrival = (n: number) =>
  fc.record({
    order: fc.shuffledSubarray([...Array(n).keys()], { minLength: n, maxLength: n }),
    cuts: fc.uniqueArray(fc.integer({ min: 0, max: n }), { maxLength: 4 }).map((cuts) => cuts.sort((a, b) => a - b)),
    steps: fc.array(fc.integer({ min: 0, max: 6 * DAY }), { minLength: 5, maxLength: 5 }),
  });

async function tenantWithAccounts(expiry: ExpiryOwner) {
  const tenant: TenantRecord = await newTenant(scratch.db, 'all-transaction');
  await scratch.db.tenants.updateSettings(tenant.id, { expiry }, T0);
  const accounts = [
    { contactId: randomUUID(), definitionId: 1 },
    { contactId: randomUUID(), definitionId: 1 },
  ];
  await scratch.db.pointAccounts.ensure(tenant.id, accounts, T0);
  const ids = await Promise.all(accounts.map(async (account) => (await scratch.db.pointAccounts.findId(tenant.id, account))!));
  return { tenant: { ...tenant, expiry }, ids, accounts };
}

/** The account's rows as the model takes them, in ledger order (Expiry entries are history, not rows). */
async function modelRows(tenant: TenantRecord, accountId: number): Promise<ModelRow[]> {
  const { items } = await scratch.db.ledger.listEntries(tenant.id, accountId, 'All', { offset: 0, count: 10_000 }, T0);
  return items
    .filter((entry) => entry.type !== 'Expiry')
    .map((entry) => ({ id: entry.id, amount: units(entry.amount), validFrom: entry.validFrom.getTime(), validTo: entry.validTo?.getTime() ?? null }))
    .sort((a, b) => a.id - b.id);
}

/** The account as served at `t` equals the model's figures; answers them. */
async function expectFigures(tenant: TenantRecord, accountId: number, rows: readonly ModelRow[], t: number) {
  const read = await scratch.db.pointAccounts.find(tenant, accountId, new Date(t));
  const expected = figuresAt(rows, t, tenant.expiry === 'follower');
  const served = {
    at: new Date(t).toISOString(),
    balance: units(read!.balance),
    pendingPoints: units(read!.pendingPoints),
    balanceExpires: read!.balanceExpires?.getTime() ?? null,
    expiresAmount: units(read!.expiresAmount),
    within: [units(read!.expiringWithin30Days), units(read!.expiringWithin60Days), units(read!.expiringWithin90Days)],
  };
  expect(served).toEqual({ at: served.at, ...expected });
  return served;
}

/**
 * The Expiry entries equal what the model says expired by `until`, summed per
 * instant: two lots with the same window may share a deduction either way
 * (ledger order breaks the tie), which moves points between their Expiry
 * entries but never changes what expires when.
 */
async function expectExpiryEntries(tenant: TenantRecord, accountId: number, rows: readonly ModelRow[], until: number) {
  const { items } = await scratch.db.ledger.listEntries(tenant.id, accountId, 'All', { offset: 0, count: 10_000 }, T0);
  const perInstant = (list: readonly { at: number; amount: bigint }[]) => {
    const sums = new Map<number, bigint>();
    for (const { at, amount } of list) sums.set(at, (sums.get(at) ?? 0n) + amount);
    return [...sums.entries()].sort((a, b) => a[0] - b[0]);
  };
  const stored = perInstant(items.filter((e) => e.type === 'Expiry').map((e) => ({ at: e.validFrom.getTime(), amount: -units(e.amount) })));
  const expected = perInstant(expiriesBy(rows, until));
  expect(stored).toEqual(expected);
  expect(items.filter((e) => e.type === 'Expiry').every((e) => e.amount < 0)).toBe(true);
  return stored;
}
