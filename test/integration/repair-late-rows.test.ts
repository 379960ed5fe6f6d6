import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTenant, startSystem, type TestSystem, waitForBatch } from '../support/system.ts';

/**
 * Issue 23, "Why" case 1: a contact has 100 applied and a 50-point row
 * missing; the master's books say 150. Whether the repair comes first and the
 * master re-sends the row afterwards, or the row is re-sent first and a
 * reconciliation as of a moment in the past follows, the contact ends at
 * 150, never 200.
 */
let system: TestSystem;
beforeAll(async () => {
  system = await startSystem();
  await system.startWorker();
});
afterAll(() => system?.close());

type Tenant = Awaited<ReturnType<typeof createTenant>>;
const RECONCILIATIONS = '/api/v2/point-accounts/reconciliations';
const MINUTE = 60_000;

const inject = (tenant: Tenant, method: 'GET' | 'POST', url: string, payload?: unknown) =>
  system.app.inject({ method, url, headers: tenant.headers, ...(payload === undefined ? {} : { payload: payload as object }) });

const contact = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const ago = (ms: number) => new Date(Date.now() - ms).toISOString();

/** The master's outbox: rows as it first sent them, re-sent exactly so (no validFrom). */
function outbox() {
  const row = (sequence: number, contactId: string, amount: number, timeStamp: string) => ({
    contactId,
    definitionId: 1,
    amount,
    source: 'Purchase',
    description: `Receipt ${sequence}`,
    timeStamp,
    externalId: `receipt-${sequence}`,
    sequence,
  });
  return {
    first: row(1, contact(1), 100, ago(60 * MINUTE)),
    /** The row that goes missing. */
    missing: row(2, contact(1), 50, ago(30 * MINUTE)),
    other: row(3, contact(2), 20, ago(20 * MINUTE)),
  };
}

async function send(tenant: Tenant, rows: unknown[]) {
  const sent = await inject(tenant, 'POST', '/api/v2/point-accounts/transactions', rows);
  expect(sent.statusCode, sent.body).toBe(202);
  expect(sent.json().notAccepted).toEqual([]);
  const batch = await waitForBatch(system.app, tenant.headers, sent.json().id);
  expect(batch.status).toBe('Completed');
  return batch;
}

async function balanceOf(tenant: Tenant, contactId: string): Promise<number> {
  const response = await inject(tenant, 'GET', `/api/v2/point-accounts?contactId=${contactId}`);
  expect(response.statusCode, response.body).toBe(200);
  return response.json().items[0].balance;
}

async function reconcile(tenant: Tenant, body: { asOf: string; scope: 'Listed' | 'Full'; repair: boolean }, lines: unknown[]) {
  const opened = await inject(tenant, 'POST', RECONCILIATIONS, body);
  expect(opened.statusCode, opened.body).toBe(201);
  const id: string = opened.json().id;
  const listed = await inject(tenant, 'POST', `${RECONCILIATIONS}/${id}/accounts`, lines);
  expect(listed.statusCode, listed.body).toBe(200);
  expect((await inject(tenant, 'POST', `${RECONCILIATIONS}/${id}/complete`)).statusCode).toBe(202);
  const read = async () => (await inject(tenant, 'GET', `${RECONCILIATIONS}/${id}`)).json();
  await expect.poll(async () => (await read()).status, { timeout: 20_000 }).toBe('Completed');
  return read();
}

async function historyOf(tenant: Tenant, contactId: string) {
  const response = await inject(tenant, 'GET', `/api/v2/point-accounts/transactions?contactId=${contactId}&definitionId=1&count=100`);
  expect(response.statusCode, response.body).toBe(200);
  return response.json().items as { id: number; amount: number; type: string; source: string; description: string }[];
}

const masterBooks = [
  { contactId: contact(1), definitionId: 1, balance: 150 },
  { contactId: contact(2), definitionId: 1, balance: 20 },
];

describe('a repair and the row it stood in for count once', () => {
  it('repair first, then the master re-sends the row: 150, and an offset entry names both', async () => {
    const tenant = await createTenant(system.app, { mode: 'all-transaction' });
    const rows = outbox();
    await send(tenant, [rows.first, rows.other]);
    expect(await balanceOf(tenant, contact(1))).toBe(100);

    const repair = await reconcile(tenant, { asOf: ago(MINUTE), scope: 'Listed', repair: true }, [masterBooks[0]]);
    expect(repair).toMatchObject({ drifted: 1, repaired: 1, byKind: { BalanceDiffers: 1 } });
    // The sequence still missing is named in the answer.
    expect(repair.missingSequences).toEqual({ count: 1, highestSequence: 3, gaps: [{ from: 2, to: 2, since: expect.any(String) }] });
    expect(await balanceOf(tenant, contact(1))).toBe(150);

    // The master re-sends from contiguousThrough + 1, exactly as it first sent the rows.
    const resent = await send(tenant, [rows.missing, rows.other]);
    expect(resent).toMatchObject({ appliedCount: 1, duplicateCount: 1 });
    expect(await balanceOf(tenant, contact(1))).toBe(150);

    const history = await historyOf(tenant, contact(1));
    const repairEntry = history.find((e) => e.source === 'Reconciliation' && e.amount === 50)!;
    const lateRow = history.find((e) => e.description === 'Receipt 2')!;
    const offset = history.find((e) => e.source === 'Reconciliation' && e.amount === -50)!;
    expect(offset).toMatchObject({ type: 'Deduction', source: 'Reconciliation' });
    expect(offset.description).toBe(
      `Offsets repair ${repairEntry.id} (reconciliation ${repair.id}): transaction ${lateRow.id} arrived after it, dated at or before its asOf`,
    );

    const full = await reconcile(tenant, { asOf: ago(0), scope: 'Full', repair: false }, masterBooks);
    expect(full).toMatchObject({ compared: 2, drifted: 0 });
    expect(full).not.toHaveProperty('missingSequences');
    expect(await balanceOf(tenant, contact(1))).toBe(150);
  });

  it('the row re-sent first, then a reconciliation as of a moment in the past: 150, nothing to repair', async () => {
    const tenant = await createTenant(system.app, { mode: 'all-transaction' });
    const rows = outbox();
    await send(tenant, [rows.first, rows.other]);
    await send(tenant, [rows.missing]);
    expect(await balanceOf(tenant, contact(1))).toBe(150);

    // The late row counts from its own timeStamp, so as of a minute ago the follower already holds 150.
    const repair = await reconcile(tenant, { asOf: ago(MINUTE), scope: 'Listed', repair: true }, [masterBooks[0]]);
    expect(repair).toMatchObject({ drifted: 0, repaired: 0 });
    expect(await balanceOf(tenant, contact(1))).toBe(150);
    expect((await historyOf(tenant, contact(1))).filter((e) => e.source === 'Reconciliation')).toEqual([]);

    const full = await reconcile(tenant, { asOf: ago(0), scope: 'Full', repair: false }, masterBooks);
    expect(full).toMatchObject({ compared: 2, drifted: 0 });
  });

  it('a repair as of an earlier moment, written after a later one, takes the later one over: 150, then the row arrives: 150', async () => {
    const tenant = await createTenant(system.app, { mode: 'all-transaction' });
    const rows = outbox();
    await send(tenant, [rows.first, rows.other]);

    const later = await reconcile(tenant, { asOf: ago(MINUTE), scope: 'Listed', repair: true }, [masterBooks[0]]);
    expect(later).toMatchObject({ drifted: 1, repaired: 1 });
    // As of ten minutes ago the later repair is not counted yet: the follower holds 100 there, and repairs it too.
    const earlier = await reconcile(tenant, { asOf: ago(10 * MINUTE), scope: 'Listed', repair: true }, [masterBooks[0]]);
    expect(earlier).toMatchObject({ drifted: 1, repaired: 1 });
    expect(await balanceOf(tenant, contact(1))).toBe(150);

    const history = await historyOf(tenant, contact(1));
    const repairOf = (id: string) => history.find((e) => e.source === 'Reconciliation' && e.description.startsWith(`Reconciliation ${id}`))!;
    expect(history.find((e) => e.description.startsWith('Offsets'))).toMatchObject({
      amount: -50,
      description: `Offsets repair ${repairOf(later.id).id} (reconciliation ${later.id}): repair ${repairOf(earlier.id).id}, dated earlier, was written after it`,
    });

    await send(tenant, [rows.missing]);
    expect(await balanceOf(tenant, contact(1))).toBe(150);
    const full = await reconcile(tenant, { asOf: ago(0), scope: 'Full', repair: false }, masterBooks);
    expect(full).toMatchObject({ compared: 2, drifted: 0 });
  });
});
