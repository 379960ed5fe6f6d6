import { randomUUID } from 'node:crypto';
import type { PoolClient } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ledgerRepository } from '../../src/db/ledger.repository.ts';
import { pointAccountsRepository } from '../../src/db/point-accounts.repository.ts';
import { accountKeys } from '../../src/domain/ledger.ts';
import type { StoredTransaction } from '../../src/domain/transactions.ts';
import { createTenant, startSystem, type TestSystem } from '../support/system.ts';

/**
 * What the apply's fold reads grows with the batch, not with the tenant's
 * ledger. The worker's connections live long, and PL/pgSQL caches the plans
 * of a function's statements on them: a plan made for any parameters (a
 * generic plan) can be kept from when the tenant was small, and then scans
 * all of its entries for every batch. ledger_walk plans its statements for
 * each call (migration fold_given_entries), whatever the session asks for;
 * a worker whose first batches came while the tenant was small must still
 * read a few entries per row added once the tenant has 20,000 elsewhere.
 */
const TENANT_ENTRIES = 20_000;
const NOW = new Date('2031-01-15T12:00:00.000Z');
const DAY = 86_400_000;

let system: TestSystem;
beforeAll(async () => {
  system = await startSystem();
});
afterAll(() => system?.close());

/** `perContact` rows for each contact, a day apart: lots, some expiring, and a deduction every fifth row. */
function rows(contacts: readonly string[], perContact: number): StoredTransaction[] {
  return contacts.flatMap((contactId, c) =>
    Array.from({ length: perContact }, (_, i) => ({
      index: c * perContact + i,
      contactId,
      definitionId: 1,
      amount: i % 5 === 4 ? -15 : 40,
      source: i % 5 === 4 ? 'Return' : 'Purchase',
      description: `row ${i}`,
      transactionDate: new Date(NOW.getTime() - (perContact - i) * DAY).toISOString(),
      validFrom: new Date(NOW.getTime() - (perContact - i) * DAY).toISOString(),
      validTo: i % 3 === 0 ? new Date(NOW.getTime() + 90 * DAY).toISOString() : null,
    })),
  );
}

/**
 * Entries of ledger_entry this backend has read (by scans and index fetches) and updated, and not yet reported to
 * the statistics (Postgres 15 reports them at most once a second, between transactions): a difference within one
 * transaction is that transaction's own.
 */
async function entryCounts(client: PoolClient): Promise<{ read: number; updated: number; accountsRead: number }> {
  const { rows } = await client.query<{ read: number; updated: number; accountsRead: number }>(
    `SELECT sum(seq_tup_read + idx_tup_fetch) FILTER (WHERE relname = 'ledger_entry')::int AS read,
            sum(n_tup_upd) FILTER (WHERE relname = 'ledger_entry')::int AS updated,
            sum(seq_tup_read + idx_tup_fetch) FILTER (WHERE relname = 'point_account')::int AS "accountsRead"
       FROM pg_stat_xact_user_tables`,
  );
  return { read: rows[0]?.read ?? 0, updated: rows[0]?.updated ?? 0, accountsRead: rows[0]?.accountsRead ?? 0 };
}

/** Adds `items` to the ledger of `tenantId` as the apply does, in one transaction on `client`; answers how many it added, and how many entries that read and updated. */
async function append(client: PoolClient, tenantId: string, items: StoredTransaction[]) {
  await client.query('BEGIN');
  try {
    const before = await entryCounts(client);
    await pointAccountsRepository(client).ensure(tenantId, accountKeys(items), NOW);
    const added = await ledgerRepository(client).append(tenantId, randomUUID(), items, NOW);
    const after = await entryCounts(client);
    await client.query('COMMIT');
    return {
      added: added.indexes.size,
      entriesRead: after.read - before.read,
      entriesUpdated: after.updated - before.updated,
      accountsRead: after.accountsRead - before.accountsRead,
    };
  } catch (err) {
    await client.query('ROLLBACK');
    throw err;
  }
}

/** TENANT_ENTRIES entries for the tenant: accounts of 10 entries, 100 accounts a batch. */
async function growLedger(client: PoolClient, tenantId: string): Promise<void> {
  for (let batch = 0; batch < TENANT_ENTRIES / 1000; batch++) {
    await append(
      client,
      tenantId,
      rows(
        Array.from({ length: 100 }, () => randomUUID()),
        10,
      ),
    );
  }
}

/**
 * One more batch of 10 rows reads each added entry back a handful of times at most, and its two accounts a few
 * times for each row (the foreign key checks among them); a scan of the tenant reads 20,000 entries or 2,000 accounts.
 */
async function expectFewRowsRead(client: PoolClient, tenantId: string): Promise<void> {
  const measured = await append(client, tenantId, rows([randomUUID(), randomUUID()], 5));
  expect(measured.added).toBe(10);
  expect(measured.entriesRead).toBeLessThan(200);
  expect(measured.accountsRead).toBeLessThan(100);
}

describe('the fold of an apply', () => {
  for (const mode of ['force_generic_plan', 'force_custom_plan']) {
    it(`reads a few entries per row added, not the tenant's ledger (${mode})`, async () => {
      const tenantId = (await createTenant(system.app, { mode: 'all-transaction' })).id;
      const worker = await system.runtime.pool.connect();
      const other = await system.runtime.pool.connect();
      try {
        await worker.query(`SET plan_cache_mode = ${mode}`);
        // The worker's first batches, while the tenant's ledger is small: the plans are made (and, generic, kept) now.
        for (let batch = 0; batch < 6; batch++) await append(worker, tenantId, rows([randomUUID(), randomUUID()], 5));
        // The tenant grows to 2,000 accounts of 10 entries, written elsewhere.
        await growLedger(other, tenantId);
        await expectFewRowsRead(worker, tenantId);
      } finally {
        worker.release();
        other.release();
      }
    });
  }

  // ANALYZE saw the ledger before this tenant had an entry, as autovacuum does before a new retailer's first load:
  // estimated at one row, any index led by tenant_id would do for the planner, and the one it took read the
  // tenant's whole ledger once per account folded (migration tenant_estimates), and all of its accounts once per
  // foreign key check (migration account_keys_for_foreign_keys).
  it("reads a few entries and accounts per row added when the statistics predate the tenant's ledger", async () => {
    const neighbour = (await createTenant(system.app, { mode: 'all-transaction' })).id;
    const tenantId = (await createTenant(system.app, { mode: 'all-transaction' })).id;
    const client = await system.runtime.pool.connect();
    try {
      await append(client, neighbour, rows([randomUUID(), randomUUID()], 5));
      await client.query('ANALYZE ledger_entry, ledger_checkpoint, point_account');
      await growLedger(client, tenantId);
      await expectFewRowsRead(client, tenantId);
    } finally {
      client.release();
    }
  });

  // A lot whose validTo has passed when it arrives (a back-dated row, as an initial load brings by the thousand)
  // is written done, with nothing left, when the follower expires points: the fold then adds its Expiry entry and
  // rewrites no entry. Each contact: lots of 40 from 5, 4, 3 and 2 days ago, a return of 15 a day ago, all lots
  // expiring 12 hours ago. The return uses the earliest lot (they expire together), so 25 of it expires and 40 of
  // each other: 160 earned, 15 returned, 145 expired, a balance of 0.
  it('rewrites no entry for lots that arrive already expired, and expires what is left of each', async () => {
    const tenantId = (await createTenant(system.app, { mode: 'all-transaction' })).id;
    const client = await system.runtime.pool.connect();
    try {
      const lapsed = rows([randomUUID(), randomUUID()], 5).map((row) => ({ ...row, validTo: new Date(NOW.getTime() - DAY / 2).toISOString() }));
      const measured = await append(client, tenantId, lapsed);
      expect(measured.added).toBe(10);
      expect(measured.entriesUpdated).toBe(0);
      const { rows: expiries } = await client.query<{ amount: string }>(
        `SELECT amount::text AS amount FROM ledger_entry e WHERE tenant_id = $1 AND type = 'Expiry' ORDER BY account_id, e.amount`,
        [tenantId],
      );
      expect(expiries.map((row) => Number(row.amount))).toEqual([-40, -40, -40, -25, -40, -40, -40, -25]);
      const { rows: figures } = await client.query<{ balance: string }>(
        `SELECT balance::text FROM ledger_walk($1, ARRAY(SELECT id FROM point_account WHERE tenant_id = $1), ARRAY[$2::timestamptz])`,
        [tenantId, NOW],
      );
      expect(figures.map((row) => Number(row.balance))).toEqual([0, 0]);
    } finally {
      client.release();
    }
  });
});
