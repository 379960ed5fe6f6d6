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

const lockForApply = (tenant: TenantRecord, id: string) => scratch.db.transaction((tx) => tx.batches.lockForApply(tenant.id, id));
const finish = (tenant: TenantRecord, id: string) => scratch.db.batches.finish(tenant.id, id, { appliedCount: 1, skipped: [] }, at(HOUR));

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
  it('claims a Queued batch, answering its kind; null once it is finished', async () => {
    const tenant = await newTenant(scratch.db, 'balance-only');
    const id = await queued(tenant);
    expect(await scratch.db.batches.markProcessing(tenant.id, id, at(1000))).toEqual({ kind: 'balances' });
    expect(await scratch.db.batches.findStatus(tenant.id, id)).toMatchObject({ status: 'Processing', statusAt: at(1000) });
    await finish(tenant, id);
    expect(await scratch.db.batches.markProcessing(tenant.id, id, at(2 * HOUR))).toBeNull();
  });

  it('claims nothing under another tenant', async () => {
    const [tenant, other] = [await newTenant(scratch.db, 'balance-only'), await newTenant(scratch.db, 'balance-only')];
    const id = await queued(tenant);
    expect(await scratch.db.batches.markProcessing(other.id, id, at(1000))).toBeNull();
    expect(await scratch.db.batches.findStatus(tenant.id, id)).toMatchObject({ status: 'Queued', statusAt: T0 });
  });
});

describe('batches.tenantOfBatch', () => {
  it('answers the tenant of an unfinished batch, null once it is final or for an unknown id', async () => {
    const tenant = await newTenant(scratch.db, 'balance-only');
    const id = await queued(tenant);
    expect(await scratch.db.batches.tenantOfBatch(id)).toBe(tenant.id);
    await finish(tenant, id);
    expect(await scratch.db.batches.tenantOfBatch(id)).toBeNull();
    expect(await scratch.db.batches.tenantOfBatch(randomUUID())).toBeNull();
  });
});

describe('batches.lockForApply', () => {
  it('answers the stored items until the batch is finished, then null', async () => {
    const tenant = await newTenant(scratch.db, 'balance-only');
    const id = await queued(tenant);
    expect(await lockForApply(tenant, id)).toEqual({ items });
    expect(await finish(tenant, id)).toBe('Completed');
    expect(await lockForApply(tenant, id)).toBeNull();
  });

  it('holds the batch row until the applying transaction ends', async () => {
    const tenant = await newTenant(scratch.db, 'balance-only');
    const id = await queued(tenant);
    await scratch.db.transaction(async (tx) => {
      await tx.batches.lockForApply(tenant.id, id);
      await expect(scratch.pool.query(`SELECT 1 FROM ingest_batch WHERE id = $1 FOR UPDATE NOWAIT`, [id])).rejects.toMatchObject({ code: '55P03' });
    });
  });
});

describe('batches.finish', () => {
  it('adds the skips to those refused on arrival', async () => {
    const tenant = await newTenant(scratch.db, 'balance-only');
    const stored = batch(tenant, { itemCount: 3, refused: { messages: ['Item [2] bad'], count: 1 } });
    await scratch.db.batches.insert(stored);
    expect(await scratch.db.batches.finish(tenant.id, stored.id, { appliedCount: 1, skipped: [{ message: 'Item [1] stale' }] }, at(HOUR))).toBe(
      'CompletedWithErrors',
    );
    expect(await scratch.db.batches.findStatus(tenant.id, stored.id)).toMatchObject({ appliedCount: 1, skippedCount: 2, statusAt: at(HOUR) });
  });
});

describe('batches.countUnfinished', () => {
  it('counts the tenant’s Queued and Processing batches only', async () => {
    const [tenant, other] = [await newTenant(scratch.db, 'balance-only'), await newTenant(scratch.db, 'balance-only')];
    const [first, , processing] = [await queued(tenant), await queued(tenant), await queued(tenant)];
    await queued(other);
    await scratch.db.batches.markProcessing(tenant.id, processing, T0);
    await finish(tenant, first);
    expect(await scratch.db.batches.countUnfinished(tenant.id)).toBe(2);
  });
});
