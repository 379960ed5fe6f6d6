import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LedgerEntryRecord, summarise } from '../../src/domain/ledger.ts';
import type { TenantRecord } from '../../src/domain/tenants.ts';
import { DAY, HOUR, newTenant, openScratchDatabase, type ScratchDatabase, storedRow, T0 } from './repositories/scratch-database.ts';

let scratch: ScratchDatabase;
beforeAll(async () => {
  scratch = await openScratchDatabase();
});
afterAll(() => scratch?.close());

/** A row as the master sends it, relative to the apply's clock: back-dated when `from` is negative. */
const row = fc.record({
  amount: fc.integer({ min: -500, max: 1000 }).filter((n) => n !== 0),
  from: fc.integer({ min: -20 * DAY, max: 5 * DAY }),
  /** How long the window stays open; null never expires. */
  length: fc.option(fc.integer({ min: 1, max: 6 * DAY }), { nil: null, freq: 2 }),
});

const step = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('append' as const), account: fc.nat(1), rows: fc.array(row, { minLength: 1, maxLength: 6 }) }) },
  // The maintenance pass: lapses recorded and covered, never-expiring entries covered.
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('sweep' as const) }) },
  // Another writer of entries (the switch from balance-only mode): never-expiring entries the apply did not cover.
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('carry' as const) }) },
  // The clock moves on, or goes back (a test clock, a server whose clock was corrected).
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('clock' as const), by: fc.integer({ min: -4 * DAY, max: 6 * DAY }) }) },
);

/** Instants to read at, relative to the clock after each step: before and after every window and checkpoint the steps can make. */
const readOffsets = fc.array(fc.integer({ min: -25 * DAY, max: 12 * DAY }), { minLength: 3, maxLength: 3 });

describe('ledger checkpoint', () => {
  it('reads the same balance, pending points and expiry as the plain sum over all entries, at every instant', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(step, readOffsets), { minLength: 1, maxLength: 12 }), async (steps) => {
        const tenant = await newTenant(scratch.db, 'all-transaction');
        const accounts = [
          { contactId: randomUUID(), definitionId: 1 },
          { contactId: randomUUID(), definitionId: 1 },
        ];
        await scratch.db.pointAccounts.ensure(tenant.id, accounts, T0);
        const ids = await Promise.all(accounts.map(async (account) => (await scratch.db.pointAccounts.findId(tenant.id, account))!));
        let now = T0.getTime();
        for (const [s, offsets] of steps) {
          if (s.kind === 'append') {
            const rows = s.rows.map((r, index) =>
              storedRow(index, accounts[s.account]!, {
                amount: r.amount,
                from: new Date(now + r.from),
                to: r.length === null ? null : new Date(now + r.from + r.length),
                date: new Date(now),
              }),
            );
            await scratch.db.ledger.append(tenant.id, randomUUID(), rows, new Date(now));
          } else if (s.kind === 'sweep') {
            await scratch.db.ledger.recordExpiries(tenant.id, new Date(now));
            await scratch.db.ledger.settleNeverExpiring(tenant.id, new Date(now));
          } else if (s.kind === 'carry') {
            await scratch.db.ledger.carryBalancesIn(tenant.id, new Date(now));
          } else {
            now += s.by;
          }
          for (const id of ids) {
            const stored = await allEntries(tenant, id);
            for (const offset of [0, ...offsets, -HOUR]) await expectExact(tenant, id, stored, new Date(now + offset));
            await expectCheckpointAddsUp(tenant, id);
          }
        }
      }),
      { numRuns: 30 },
    );
  }, 180_000);

  it('loses no entry when applies of the same account and a sweep run at the same moment', async () => {
    const tenant = await newTenant(scratch.db, 'all-transaction');
    const account = { contactId: randomUUID(), definitionId: 1 };
    await scratch.db.pointAccounts.ensure(tenant.id, [account], T0);
    const id = (await scratch.db.pointAccounts.findId(tenant.id, account))!;
    // Entries the apply cannot cover (pending at the apply) for the sweeps to cover later, beside ones it covers at once.
    const batch = (n: number, when: number) =>
      Array.from({ length: 200 }, (_, index) =>
        storedRow(index, account, { amount: n * 1000 + index + 1, from: new Date(when + (index % 2 === 0 ? -HOUR : HOUR)), date: new Date(when) }),
      );
    const applyAt = (n: number, when: number) =>
      scratch.db.transaction(async (tx) => {
        await tx.pointAccounts.ensure(tenant.id, [account], new Date(when));
        await tx.ledger.append(tenant.id, randomUUID(), batch(n, when), new Date(when));
      });
    const sweepAt = (when: number) => scratch.db.ledger.settleNeverExpiring(tenant.id, new Date(when));
    await applyAt(0, T0.getTime());
    await Promise.all([
      applyAt(1, T0.getTime() + 2 * HOUR),
      sweepAt(T0.getTime() + 3 * HOUR),
      applyAt(2, T0.getTime() + 2 * HOUR),
      sweepAt(T0.getTime() + 3 * HOUR),
    ]);
    await sweepAt(T0.getTime() + 4 * HOUR);
    const checkpoint = await scratch.db.ledger.checkpoint(tenant.id, id);
    expect(checkpoint?.entries).toBe(600);
    await expectCheckpointAddsUp(tenant, id);
    await expectExact(tenant, id, await allEntries(tenant, id), new Date(T0.getTime() + 4 * HOUR));
    const total = [0, 1, 2].reduce((sum, n) => sum + batch(n, 0).reduce((s, r) => s + r.amount, 0), 0);
    expect((await scratch.db.pointAccounts.find(tenant, id, new Date(T0.getTime() + 4 * HOUR)))?.balance).toBe(total);
  });
});

/** Every entry of the account, Expiry entries included. */
async function allEntries(tenant: TenantRecord, accountId: number): Promise<LedgerEntryRecord[]> {
  return (await scratch.db.ledger.listEntries(tenant.id, accountId, 'All', { offset: 0, count: 10_000 }, T0)).items;
}

/** The account as read at `t` (checkpoint plus uncovered entries) equals the plain sum (summarise) over every entry it holds. */
async function expectExact(tenant: TenantRecord, accountId: number, stored: readonly LedgerEntryRecord[], t: Date) {
  const read = await scratch.db.pointAccounts.find(tenant, accountId, t);
  const expected = summarise(stored, t);
  expect({ at: t.toISOString(), balance: read?.balance, pendingPoints: read?.pendingPoints, balanceExpires: read?.balanceExpires }).toEqual({
    at: t.toISOString(),
    ...expected,
  });
}

/** The checkpoint row holds exactly what its covered entries add: their count, the sum of those that never expire, and the latest instant one settled. */
async function expectCheckpointAddsUp(tenant: TenantRecord, accountId: number) {
  const { rows } = await scratch.pool.query<{ entries: number; balance: number | null; through: Date | null }>(
    `SELECT count(*) AS entries, sum(amount) FILTER (WHERE valid_to IS NULL) AS balance, max(COALESCE(valid_to, valid_from)) AS through
       FROM ledger_entry WHERE tenant_id = $1 AND account_id = $2 AND settled AND type <> 'Expiry'`,
    [tenant.id, accountId],
  );
  const covered = rows[0]!;
  const checkpoint = await scratch.db.ledger.checkpoint(tenant.id, accountId);
  if (covered.entries === 0) {
    expect(checkpoint?.entries ?? 0).toBe(0);
    return;
  }
  expect(checkpoint).toEqual({ entries: covered.entries, balance: covered.balance ?? 0, settledThrough: covered.through });
}
