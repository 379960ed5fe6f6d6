import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pointTransactionsJob } from '../../src/jobs/point-transactions.job.ts';
import { createTenant, startSystem, type TestSystem } from '../support/system.ts';

// No worker: the property decides the order in which delivered batches are applied.
let system: TestSystem;
beforeAll(async () => {
  system = await startSystem({ RATE_LIMIT_PER_SECOND: '0' });
});
afterAll(() => system?.close());

type Tenant = Awaited<ReturnType<typeof createTenant>>;

interface ModelRow {
  contactId: string;
  definitionId: number;
  amount: number;
  source: string;
  description: string;
  externalId: string;
  sequence: number;
}

type Fate = 'drop' | 'once' | 'twice';

const scenario = fc.record({
  amounts: fc.array(
    fc.integer({ min: -50, max: 200 }).filter((n) => n !== 0),
    { minLength: 1, maxLength: 40 },
  ),
  contacts: fc.integer({ min: 1, max: 4 }),
  batchSize: fc.integer({ min: 1, max: 8 }),
  fates: fc.array(fc.constantFrom<Fate>('drop', 'once', 'once', 'twice'), { minLength: 40, maxLength: 40 }),
  // Sort keys: the order the link delivers requests in, and the order the worker applies them in.
  deliverOrder: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 80, maxLength: 80 }),
  applyOrder: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 80, maxLength: 80 }),
});

async function post(tenant: Tenant, rows: readonly ModelRow[]): Promise<string> {
  const response = await system.app.inject({ method: 'POST', url: '/api/v2/point-accounts/transactions', headers: tenant.headers, payload: rows as object[] });
  expect(response.statusCode, response.body).toBe(202);
  return response.json().id;
}

const permute = <T>(items: readonly T[], keys: readonly number[]) =>
  items
    .map((item, i) => ({ item, key: keys[i % keys.length]! + i * 1e-9 }))
    .sort((a, b) => a.key - b.key)
    .map((x) => x.item);

describe('the stream under any interleaving of drops, duplicates and reorders', () => {
  it('after the recovery loop the ledger equals the model: every row once, no gap left', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async ({ amounts, contacts, batchSize, fates, deliverOrder, applyOrder }) => {
        const tenant = await createTenant(system.app, { mode: 'all-transaction', definitions: [1, 2] });
        const people = Array.from({ length: contacts }, () => randomUUID());
        const model: ModelRow[] = amounts.map((amount, i) => ({
          contactId: people[i % contacts]!,
          definitionId: 1 + (i % 2),
          amount,
          source: amount > 0 ? 'Purchase' : 'Return',
          description: `Row ${i + 1}`,
          externalId: `e-${i + 1}`,
          sequence: i + 1,
        }));

        // The master's pushes, through a link that drops, duplicates and reorders them.
        const requests: ModelRow[][] = [];
        for (let i = 0; i < model.length; i += batchSize) requests.push(model.slice(i, i + batchSize));
        const delivered = requests.flatMap((rows, i) => (fates[i] === 'drop' ? [] : fates[i] === 'twice' ? [rows, rows] : [rows]));
        const batchIds: string[] = [];
        for (const rows of permute(delivered, deliverOrder)) batchIds.push(await post(tenant, rows));
        for (const id of permute(batchIds, applyOrder)) await pointTransactionsJob(system.runtime, tenant.id, id);

        // The recovery loop: read /sync, re-send everything from contiguousThrough + 1.
        for (let round = 0; ; round++) {
          const sync = (await system.app.inject({ url: '/api/v2/point-accounts/sync', headers: tenant.headers })).json();
          if (sync.contiguousThrough >= model.length) break;
          expect(round, 'recovery rounds').toBeLessThan(3);
          const rest = model.slice(sync.contiguousThrough);
          for (let i = 0; i < rest.length; i += 1000) await pointTransactionsJob(system.runtime, tenant.id, await post(tenant, rest.slice(i, i + 1000)));
        }

        const { rows: ledger } = await system.runtime.pool.query(
          `SELECT a.contact_id AS "contactId", a.definition_id AS "definitionId", e.amount, e.source, e.description, e.external_id AS "externalId", e.sequence
             FROM ledger_entry e JOIN point_account a ON a.tenant_id = e.tenant_id AND a.id = e.account_id
            WHERE e.tenant_id = $1 ORDER BY e.sequence`,
          [tenant.id],
        );
        expect(ledger).toEqual(model);
        const sync = (await system.app.inject({ url: '/api/v2/point-accounts/sync', headers: tenant.headers })).json();
        expect(sync).toMatchObject({ contiguousThrough: model.length, highestSequence: model.length, missingCount: 0, gaps: [] });
      }),
      { numRuns: 25 },
    );
  }, 120_000);
});
