import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { manual } from '../support/adjustments.ts';
import { createTenant, startSystem, type TestSystem, waitForBatch } from '../support/system.ts';

let system: TestSystem;
beforeAll(async () => {
  // No worker at first: everything accepted waits, as when the master pushes faster than the workers apply.
  system = await startSystem({ INGEST_BACKLOG_LIMIT: '1500', INGEST_BACKLOG_LIMIT_TOTAL: '2500' });
});
afterAll(() => system?.close());

const balances = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ contactId: randomUUID(), definitionId: 1, amount: i, timeStamp: '2024-05-01T10:00:00Z' }));
const transactions = (n: number) =>
  Array.from({ length: n }, () => ({ contactId: randomUUID(), definitionId: 1, amount: 5, source: 'Purchase', description: 'Receipt' }));

it('refuses pushes past the backlog limits with 429 and Retry-After, stores nothing for them, and never refuses anything else', async () => {
  const { app } = system;
  const shop = await createTenant(app);
  const ledger = await createTenant(app, { mode: 'all-transaction' });
  const push = (tenant: { headers: Record<string, string> }, kind: 'balances' | 'transactions', body: unknown[], key?: string) =>
    app.inject({
      method: 'POST',
      url: `/api/v2/point-accounts/${kind}`,
      headers: { ...tenant.headers, ...(key ? { 'idempotency-key': key } : {}) },
      payload: body,
    });

  const first = await push(shop, 'balances', balances(1000));
  expect(first.statusCode).toBe(202);
  const refused = await push(shop, 'balances', balances(1000));
  expect(refused.statusCode).toBe(429);
  expect(refused.headers['retry-after']).toBe('10');
  expect(refused.headers['content-type']).toContain('application/problem+json');
  expect(refused.json()).toMatchObject({
    status: 429,
    title: 'Too many items waiting',
    detail: 'Not stored: this tenant already has 1000 items waiting to be applied (limit 1500); retry after 10 s',
  });
  // Exactly up to the limit is fine.
  expect((await push(shop, 'balances', balances(500))).statusCode).toBe(202);

  // The tenant's limit leaves room, the service-wide one (2500) does not; an Idempotency-Key refused here is free for the retry.
  expect((await push(ledger, 'transactions', transactions(1000))).statusCode).toBe(202);
  const key = randomUUID();
  const overall = await push(ledger, 'transactions', transactions(1), key);
  expect(overall.statusCode).toBe(429);
  expect(overall.json().detail).toBe('Not stored: the service already has 2500 items waiting to be applied (limit 2500); retry after 10 s');

  // Reads, status polls and adjustments go on.
  expect((await app.inject({ url: `/api/v2/point-accounts/balances/status/${first.json().id}`, headers: shop.headers })).json().status).toBe('Queued');
  expect((await app.inject({ url: `/api/v2/point-accounts?contactId=${randomUUID()}`, headers: shop.headers })).statusCode).toBe(200);
  const adjustment = await app.inject({ method: 'POST', url: '/api/v2/point-accounts/adjustments', headers: shop.headers, payload: manual(randomUUID()) });
  expect(adjustment.statusCode).toBe(202);

  const { rows } = await system.runtime.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ingest_batch WHERE tenant_id = $1`, [shop.id]);
  expect(rows[0]!.n).toBe(2);
  const metrics = (await app.inject({ url: '/metrics' })).body;
  expect(metrics).toContain('pf_ingest_backlog_items 2500');
  expect(metrics).toContain('pf_pushes_refused_backlog_total{kind="balances"} 1');
  expect(metrics).toContain('pf_pushes_refused_backlog_total{kind="transactions"} 1');

  // Once the workers catch up, the master's retry goes through, under the same Idempotency-Key.
  await system.startWorker();
  await waitForBatch(app, shop.headers, first.json().id);
  await expect.poll(async () => (await system.runtime.db.batches.backlog()).total, { timeout: 20_000 }).toBe(0);
  expect((await push(ledger, 'transactions', transactions(1), key)).statusCode).toBe(202);
});
