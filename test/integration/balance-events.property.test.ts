import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTenant, startSystem, waitForBatch, type TestSystem } from '../support/system.ts';
import { adminCall, subscribe, type TestSubscriber } from '../support/subscribers.ts';

let system: TestSystem;
const subscribers: TestSubscriber[] = [];

beforeAll(async () => {
  system = await startSystem({
    OUTBOUND_ALLOW_PRIVATE: 'true',
    WEBHOOK_RETRY_SCHEDULE: Array.from({ length: 40 }, () => '50ms').join(','),
    WEBHOOK_TIMEOUT_MS: '1000',
  });
  await system.startWorker();
});
afterAll(async () => {
  for (const subscriber of subscribers) await subscriber.close();
  await system?.close();
});

/** One step: a batch of balance changes (an account may appear several times), or the receiver going down or coming back. */
type Step = { kind: 'push'; wait: boolean; items: { account: number; amount: number }[] } | { kind: 'outage'; answer: 503 | 500 } | { kind: 'recover' };

const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('push' as const),
      wait: fc.boolean(),
      items: fc.array(fc.record({ account: fc.integer({ min: 0, max: 4 }), amount: fc.integer({ min: 0, max: 3 }) }), { minLength: 1, maxLength: 8 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('outage' as const), answer: fc.constantFrom(503 as const, 500 as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('recover' as const) }) },
);

describe('balance events over interleavings of changes, retries, supersession and receiver outages', () => {
  it('once all is delivered the subscriber holds the served balances, and its versions never went back', { timeout: 600_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 10 }), async (steps) => {
        const tenant = await createTenant(system.app);
        const subscriber = await subscribe(system.app, tenant.id);
        subscribers.push(subscriber);
        const contacts = Array.from({ length: 5 }, () => randomUUID());
        let time = Date.now() - 3_600_000;
        for (const s of steps) {
          if (s.kind === 'outage') subscriber.answer = s.answer;
          else if (s.kind === 'recover') subscriber.answer = 204;
          else {
            const payload = s.items.map((item) => ({
              contactId: contacts[item.account]!,
              definitionId: 1,
              amount: item.amount,
              timeStamp: new Date((time += 1000)).toISOString(),
            }));
            const response = await system.app.inject({ method: 'POST', url: '/api/v2/point-accounts/balances', headers: tenant.headers, payload });
            expect(response.statusCode, response.body).toBe(202);
            // Not waited for: the next step may land while this batch's events are still on their way.
            if (s.wait) await waitForBatch(system.app, tenant.headers, response.json().id);
          }
        }
        subscriber.answer = 204;
        const served = async () => {
          const read = await Promise.all(
            contacts.map(
              async (contactId) => (await system.app.inject({ url: `/api/v2/point-accounts?contactId=${contactId}`, headers: tenant.headers })).json().items,
            ),
          );
          return read.flat().map((account: { id: number; balance: number }): [number, number] => [account.id, account.balance]);
        };
        // Every batch final (an answered push may still be queued), then every event delivered.
        const unfinished = async () =>
          (
            await system.runtime.pool.query<{ n: number }>(
              `SELECT count(*)::int AS n FROM ingest_batch WHERE tenant_id = $1 AND status IN ('Queued', 'Processing')`,
              [tenant.id],
            )
          ).rows[0]?.n;
        await expect.poll(unfinished, { timeout: 30_000, interval: 50 }).toBe(0);
        await expect
          .poll(
            async () => (await adminCall(system.app, 'GET', `/tenants/${tenant.id}/subscriptions/${subscriber.subscriptionId}`, undefined, 200)).json().outbox,
            { timeout: 30_000, interval: 50 },
          )
          .toMatchObject({ pending: 0, retrying: 0, failed: 0 });

        const held = [...subscriber.subscriber.latest.values()].map((event): [number, number] => [event.accountId, event.balance]);
        expect(new Map(held)).toEqual(new Map(await served()));
        expect(subscriber.subscriber.outOfOrder).toBe(0);
        const byAccount = new Map<number, number[]>();
        for (const { event } of subscriber.subscriber.received) byAccount.set(event.accountId, [...(byAccount.get(event.accountId) ?? []), event.version]);
        for (const versions of byAccount.values()) expect(versions).toEqual([...versions].sort((a, b) => a - b));
        await subscriber.close();
      }),
      { numRuns: 8 },
    );
  });
});
