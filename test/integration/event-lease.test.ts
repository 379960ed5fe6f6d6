import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INGEST_QUEUE } from '../../src/queue/queues.ts';
import { createTenant, startSystem, waitForBatch, type TestSystem } from '../support/system.ts';
import { subscribe, type TestSubscriber } from '../support/subscribers.ts';

/**
 * A sender's lease on the outbox rows it claimed, and the outcome it stores
 * when its request has been answered: found where the claim left each row
 * (its ctid), or by key when a newer change moved the row in between. Only
 * the ingest queue is consumed here, so the test is the one sender.
 */
let system: TestSystem;
let subscriber: TestSubscriber | undefined;
beforeAll(async () => {
  system = await startSystem({ OUTBOUND_ALLOW_PRIVATE: 'true', WORKER_QUEUES: INGEST_QUEUE });
  await system.startWorker();
});
afterAll(async () => {
  await subscriber?.close();
  await system?.close();
});

let clockMs = Date.now() - 60_000;

async function pushBalance(tenant: Awaited<ReturnType<typeof createTenant>>, contactId: string, amount: number) {
  const response = await system.app.inject({
    method: 'POST',
    url: '/api/v2/point-accounts/balances',
    headers: tenant.headers,
    payload: [{ contactId, amount, definitionId: 1, timeStamp: new Date((clockMs += 1000)).toISOString() }],
  });
  expect(response.statusCode, response.body).toBe(202);
  expect((await waitForBatch(system.app, tenant.headers, response.json().id)).status).toBe('Completed');
}

describe('an events lease', () => {
  it('stores outcomes where the claim left the rows, and by key for a row a newer change moved meanwhile', async () => {
    const tenant = await createTenant(system.app);
    subscriber = await subscribe(system.app, tenant.id);
    const [moved, kept] = [randomUUID(), randomUUID()];
    await pushBalance(tenant, moved, 10);
    await pushBalance(tenant, kept, 5);
    const { db, clock } = system.runtime;
    const claim = () => db.balanceEvents.claim(tenant.id, subscriber!.subscriptionId, clock.now(), 1000, 60_000);

    const { lease, rows } = await claim();
    expect(rows.map((row) => row.balance).sort()).toEqual([10, 5].sort());
    // Leased: a second sender finds nothing to take.
    expect((await claim()).rows).toEqual([]);
    // While the first request is out, a newer balance of one account replaces its event (a new row version).
    await pushBalance(tenant, moved, 20);
    const delivered = { state: 'Delivered' as const, failures: 0, nextAttemptAt: null, lastStatus: 204, lastError: null };
    await db.balanceEvents.recordOutcomes(
      tenant.id,
      subscriber.subscriptionId,
      lease,
      rows.map((row) => ({ row, outcome: delivered })),
      clock.now(),
      clock.now(),
    );

    // The untouched row is delivered; the moved one keeps its newer event, due now and free of the lease.
    const next = await claim();
    expect(next.rows.map((row) => ({ contactId: row.contactId, balance: row.balance }))).toEqual([{ contactId: moved, balance: 20 }]);
    expect(next.rows[0]!.eventId).not.toBe(rows.find((row) => row.contactId === moved)!.eventId);
  });
});
