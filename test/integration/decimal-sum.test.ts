import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredTransaction } from '../../src/domain/transactions.ts';
import { createTenant, startSystem, type TestSystem } from '../support/system.ts';

/**
 * Money-like amounts: 100,000 random amounts with 4 decimal places, summed
 * by the service (written through the apply path into Postgres, read back
 * through the API) and by a model in exact arithmetic (BigInt ten-thousandths),
 * must give the same balance and pending points to the last decimal. Each
 * account takes a thousand rows, as a day's receipts spread over customers.
 * Nothing expires before the reading, so the balance is the sum of the rows
 * in effect (lots and deductions alike) and the pending points the sum of the
 * lots still to come. `DECIMAL_ROWS=1000000 npx vitest run
 * test/integration/decimal-sum.test.ts` sums a million, a run of about ten
 * minutes kept apart from the suite.
 */
const ROWS = Number(process.env.DECIMAL_ROWS ?? 100_000);
const CHUNK = 1000;
/** Amounts up to ±100,000.0000, so their sums stay far inside the figures a JS number answers exactly (domain/amounts.ts). */
const MAX_UNITS = 1_000_000_000;

let system: TestSystem;
beforeAll(async () => {
  system = await startSystem();
});
afterAll(() => system?.close());

/** A small seeded generator (mulberry32), so a failure can be run again with the same amounts. */
function generator(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const decimalOf = (units: bigint) => {
  const magnitude = units < 0n ? -units : units;
  return `${units < 0n ? '-' : ''}${magnitude / 10000n}.${(magnitude % 10000n).toString().padStart(4, '0')}`;
};

describe('money-like amounts', () => {
  it(`sums ${ROWS.toLocaleString('en')} random 4-decimal amounts exactly as BigInt ten-thousandths do`, { timeout: 6 * ROWS }, async () => {
    const seed = Date.now() % 2 ** 31;
    const random = generator(seed);
    const { db } = system.runtime;
    const tenant = await createTenant(system.app, { mode: 'all-transaction' });
    const now = new Date();
    const past = new Date(now.getTime() - 86_400_000).toISOString();
    const future = new Date(now.getTime() + 30 * 86_400_000).toISOString();

    // The model, per account: what counts now (active) and what is pending, in whole ten-thousandths.
    const model: { contactId: string; active: bigint; pending: bigint }[] = [];
    const started = performance.now();
    for (let offset = 0; offset < ROWS; offset += CHUNK) {
      const account = { contactId: randomUUID(), definitionId: 1 };
      let active = 0n;
      let pending = 0n;
      const rows: StoredTransaction[] = [];
      for (let index = 0; index < CHUNK; index++) {
        let units = 0;
        while (units === 0) units = Math.floor(random() * (2 * MAX_UNITS + 1)) - MAX_UNITS;
        // Most rows count at once for ever, some are pending (amounts still to come). Lots that expire are left to the
        // property tests of the rule: what expires is not a sum.
        const window = random() < 0.9 ? { validFrom: past, validTo: null } : { validFrom: future, validTo: null };
        // A deduction still to come is neither in the balance nor pending: only lots are pending.
        if (window.validFrom !== future) active += BigInt(units);
        else if (units > 0) pending += BigInt(units);
        rows.push({
          index,
          ...account,
          // Dividing the whole ten-thousandths gives the number nearest the decimal, as JSON.parse of its text would.
          amount: units / 10_000,
          source: 'Purchase',
          description: `Row ${offset + index}`,
          transactionDate: past,
          ...window,
        });
      }
      // What the transactions apply does with a stored batch, in one transaction per batch of 1000 (committed as it commits).
      await db.transaction(
        async (tx) => {
          await tx.pointAccounts.ensure(tenant.id, [account], now);
          await tx.ledger.append(tenant.id, randomUUID(), rows, now);
        },
        { asyncCommit: true },
      );
      model.push({ contactId: account.contactId, active, pending });
    }
    const written = performance.now();

    const context = `seed ${seed}`;
    for (const { contactId, active, pending } of model) {
      const response = await system.app.inject({ url: `/api/v2/point-accounts?contactId=${contactId}`, headers: tenant.headers });
      expect(response.statusCode, response.body).toBe(200);
      const [read] = response.json().items;
      expect(read.balance, context).toBe(Number(decimalOf(active)));
      expect(read.pendingPoints, context).toBe(Number(decimalOf(pending)));
      // And as text, digit for digit: the JSON answer is the shortest form of the exact decimal.
      expect(response.body, context).toContain(`"balance":${decimalOf(active).replace(/\.?0+$/, '')}`);
    }
    const readMs = performance.now() - written;
    const total = model.reduce((sum, account) => sum + account.active, 0n);
    const { rows } = await system.runtime.pool.query<{ total: string; entries: string }>(
      `SELECT sum(amount) FILTER (WHERE valid_from <= now())::text AS total, count(*)::text AS entries FROM ledger_entry WHERE tenant_id = $1`,
      [tenant.id],
    );
    expect(rows[0], context).toEqual({ total: decimalOf(total), entries: String(ROWS) });
    console.info(
      `money-like amounts: ${ROWS} rows written in ${((written - started) / 1000).toFixed(1)} s, ${model.length} account reads in ${readMs.toFixed(0)} ms (${context})`,
    );
  });
});
