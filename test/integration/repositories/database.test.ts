import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../../src/db/database.ts';
import { newTenant, openScratchDatabase, type ScratchDatabase, T0 } from './scratch-database.ts';

let scratch: ScratchDatabase;
beforeAll(async () => {
  scratch = await openScratchDatabase();
});
afterAll(() => scratch?.close());

const failure = new Error('work failed');

/** Definition ids of the tenant, as anyone outside the transaction sees them. */
const definitionIds = async (tenantId: string) => (await scratch.db.definitions.list(tenantId, { offset: 0, count: 100 })).map((d) => d.id);

const addDefinition = (db: Database, tenantId: string, id: number) => db.definitions.create(tenantId, { id, name: `Definition ${id}` });

describe('db.transaction', () => {
  it('commits every step together and answers what the work answered', async () => {
    const tenant = await newTenant(scratch.db, 'balance-only');
    const answer = await scratch.db.transaction(async (tx) => {
      await addDefinition(tx, tenant.id, 3);
      await addDefinition(tx, tenant.id, 4);
      return 'done';
    });
    expect(answer).toBe('done');
    expect(await definitionIds(tenant.id)).toEqual([1, 2, 3, 4]);
  });

  it('shows nothing outside before it commits', async () => {
    const tenant = await newTenant(scratch.db, 'balance-only');
    await scratch.db.transaction(async (tx) => {
      await addDefinition(tx, tenant.id, 3);
      expect(await tx.definitions.find(tenant.id, 3)).not.toBeNull();
      expect(await scratch.db.definitions.find(tenant.id, 3)).toBeNull();
    });
  });

  it('rolls every step back when the work throws, and throws that error', async () => {
    const tenant = await newTenant(scratch.db, 'balance-only');
    const attempt = scratch.db.transaction(async (tx) => {
      await addDefinition(tx, tenant.id, 3);
      await addDefinition(tx, tenant.id, 4);
      throw failure;
    });
    await expect(attempt).rejects.toBe(failure);
    expect(await definitionIds(tenant.id)).toEqual([1, 2]);
  });

  it('rolls the earlier steps back when a statement fails', async () => {
    const tenant = await newTenant(scratch.db, 'balance-only');
    const attempt = scratch.db.transaction(async (tx) => {
      await addDefinition(tx, tenant.id, 3);
      await addDefinition(tx, tenant.id, 1);
    });
    await expect(attempt).rejects.toMatchObject({ code: '23505' });
    expect(await definitionIds(tenant.id)).toEqual([1, 2]);
  });

  it('a nested tx.transaction joins the outer one: it sees the outer writes and commits nothing of its own', async () => {
    const tenant = await newTenant(scratch.db, 'balance-only');
    await scratch.db.transaction(async (tx) => {
      const created = await tx.tenants.create(
        { name: `nested-${tenant.id}`, nameKey: `nested-${tenant.id}`, mode: 'balance-only', pointSystemActive: true, requireKnownContacts: false },
        T0,
      );
      await tx.transaction(async (inner) => {
        expect(await inner.tenants.find(created.id)).toEqual(created);
        await addDefinition(inner, tenant.id, 3);
      });
      expect(await scratch.db.definitions.find(tenant.id, 3)).toBeNull();
    });
    expect(await definitionIds(tenant.id)).toEqual([1, 2, 3]);
  });

  it('a nested tx.transaction’s writes roll back with the outer transaction', async () => {
    const tenant = await newTenant(scratch.db, 'balance-only');
    const attempt = scratch.db.transaction(async (tx) => {
      await tx.transaction((inner) => addDefinition(inner, tenant.id, 3));
      throw failure;
    });
    await expect(attempt).rejects.toBe(failure);
    expect(await definitionIds(tenant.id)).toEqual([1, 2]);
  });
});
