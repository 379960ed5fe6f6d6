import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NewBatch } from '../../../src/db/batches.repository.ts';
import type { TenantRecord } from '../../../src/domain/tenants.ts';
import { at, HOUR, newTenant, openScratchDatabase, type ScratchDatabase, T0 } from './scratch-database.ts';

let scratch: ScratchDatabase;
beforeAll(async () => {
  scratch = await openScratchDatabase();
});
afterAll(() => scratch?.close());

const items = [{ contactId: randomUUID(), definitionId: 1, amount: 5, timeStamp: T0.toISOString() }];

const batch = (tenant: TenantRecord, overrides: Partial<NewBatch> = {}): NewBatch => ({
  id: randomUUID(),
  tenantId: tenant.id,
  kind: 'balances',
  itemCount: items.length,
  payload: items,
  now: T0,
  ...overrides,
});

/** A Queued balance batch of the tenant; answers its id. */
async function queued(tenant: TenantRecord): Promise<string> {
  const stored = batch(tenant);
  expect(await scratch.db.batches.insert(stored)).toBe(true);
  return stored.id;
}

const lockForApply = (id: string) => scratch.db.transaction((tx) => tx.batches.lockForApply(id));
const finish = (id: string) => scratch.db.batches.finish(id, { appliedCount: 1, skipped: [] }, at(HOUR));

describe('batches.insert', () => {
  it('stores a batch only while the tenant is in the batch’s mode', async () => {
    const tenant = await newTenant(scratch.db, 'balance-only');
    expect(await scratch.db.batches.insert(batch(tenant, { kind: 'transactions' }))).toBe(false);
    expect(await scratch.db.batches.countUnfinished(tenant.id)).toBe(0);
    expect(await scratch.db.batches.insert(batch(tenant, { kind: 'balances' }))).toBe(true);
    expect(await scratch.db.batches.countUnfinished(tenant.id)).toBe(1);
  });

  it('stores nothing while the tenant’s point system is off', async () => {
    const tenant = await newTenant(scratch.db, 'all-transaction', { pointSystemActive: false });
    const refused = batch(tenant, { kind: 'transactions' });
    expect(await scratch.db.batches.insert(refused)).toBe(false);
    expect(await scratch.db.batches.findStatus(tenant.id, refused.id)).toBeNull();
  });

  it('stores a batch with nothing left to apply as already final, with why its rows were refused', async () => {
    const tenant = await newTenant(scratch.db, 'balance-only');
    const final = batch(tenant, { itemCount: 2, payload: [], refused: { messages: ['Item [0] bad', 'Item [1] bad'], count: 2 } });
    expect(await scratch.db.batches.insert(final)).toBe(true);
    expect(await scratch.db.batches.findStatus(tenant.id, final.id)).toEqual({
      id: final.id,
      status: 'CompletedWithErrors',
      statusAt: T0,
      itemCount: 2,
      appliedCount: 0,
      skippedCount: 2,
      duplicateCount: 0,
      duplicates: [],
      messages: [
        { message: 'Item [0] bad', createdAt: T0 },
        { message: 'Item [1] bad', createdAt: T0 },
      ],
    });
    expect(await scratch.db.batches.countUnfinished(tenant.id)).toBe(0);
  });
});

describe('batches.markProcessing', () => {
  it('claims a Queued batch, answering its tenant and kind; null once it is finished', async () => {
    const tenant = await newTenant(scratch.db, 'balance-only');
    const id = await queued(tenant);
    expect(await scratch.db.batches.markProcessing(id, at(1000))).toEqual({ tenantId: tenant.id, kind: 'balances' });
    expect(await scratch.db.batches.findStatus(tenant.id, id)).toMatchObject({ status: 'Processing', statusAt: at(1000) });
    await finish(id);
    expect(await scratch.db.batches.markProcessing(id, at(2 * HOUR))).toBeNull();
  });
});

describe('batches.lockForApply', () => {
  it('answers the stored items until the batch is finished, then null', async () => {
    const tenant = await newTenant(scratch.db, 'balance-only');
    const id = await queued(tenant);
    expect(await lockForApply(id)).toEqual({ tenantId: tenant.id, items });
    expect(await finish(id)).toBe('Completed');
    expect(await lockForApply(id)).toBeNull();
  });

  it('holds the batch row until the applying transaction ends', async () => {
    const tenant = await newTenant(scratch.db, 'balance-only');
    const id = await queued(tenant);
    await scratch.db.transaction(async (tx) => {
      await tx.batches.lockForApply(id);
      await expect(scratch.pool.query(`SELECT 1 FROM ingest_batch WHERE id = $1 FOR UPDATE NOWAIT`, [id])).rejects.toMatchObject({ code: '55P03' });
    });
  });
});

describe('batches.finish', () => {
  it('adds the skips to those refused on arrival', async () => {
    const tenant = await newTenant(scratch.db, 'balance-only');
    const stored = batch(tenant, { itemCount: 3, refused: { messages: ['Item [2] bad'], count: 1 } });
    await scratch.db.batches.insert(stored);
    expect(await scratch.db.batches.finish(stored.id, { appliedCount: 1, skipped: [{ message: 'Item [1] stale' }] }, at(HOUR))).toBe('CompletedWithErrors');
    expect(await scratch.db.batches.findStatus(tenant.id, stored.id)).toMatchObject({ appliedCount: 1, skippedCount: 2, statusAt: at(HOUR) });
  });
});

describe('batches.countUnfinished', () => {
  it('counts the tenant’s Queued and Processing batches only', async () => {
    const [tenant, other] = [await newTenant(scratch.db, 'balance-only'), await newTenant(scratch.db, 'balance-only')];
    const [first, , processing] = [await queued(tenant), await queued(tenant), await queued(tenant)];
    await queued(other);
    await scratch.db.batches.markProcessing(processing, T0);
    await finish(first);
    expect(await scratch.db.batches.countUnfinished(tenant.id)).toBe(2);
  });
});
