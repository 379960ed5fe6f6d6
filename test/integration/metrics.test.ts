import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startMetricsServer } from '../../src/metrics-server.ts';
import { createTenant, startSystem, type TestSystem, waitForBatch } from '../support/system.ts';

let system: TestSystem;
beforeAll(async () => {
  system = await startSystem();
});
afterAll(() => system?.close());

const scrape = async () => (await system.app.inject({ url: '/metrics' })).body;

it('reports request latency by route, queue depth and age, items applied and batches by status', async () => {
  const tenant = await createTenant(system.app);
  const post = (items: unknown[]) =>
    system.app.inject({ method: 'POST', url: '/api/v2/point-accounts/balances', headers: tenant.headers, payload: items as object });
  const contact = randomUUID();
  const first = await post([{ contactId: contact, amount: 1, definitionId: 1, timeStamp: '2024-01-02T00:00:00Z' }]);

  // The worker is not running yet: the batch waits in the queue.
  const waiting = await scrape();
  expect(waiting).toMatch(/pf_queue_jobs\{queue="ingest",state="waiting"\} 1/);
  expect(waiting).toMatch(/pf_queue_oldest_job_age_seconds\{queue="ingest"\} \d/);
  expect(waiting).toContain('pf_http_request_duration_seconds_count{method="POST",route="/api/v2/point-accounts/balances",status="202"} 1');

  await system.startWorker();
  await waitForBatch(system.app, tenant.headers, first.json().id);
  const second = await post([
    { contactId: contact, amount: 2, definitionId: 1, timeStamp: '2024-01-01T00:00:00Z' },
    { contactId: randomUUID(), amount: 3, definitionId: 1, timeStamp: '2024-01-01T00:00:00Z' },
  ]);
  await waitForBatch(system.app, tenant.headers, second.json().id);

  const after = await scrape();
  expect(after).toContain('pf_items_applied_total{kind="balances"} 2');
  expect(after).toContain('pf_items_skipped_total{kind="balances"} 1');
  expect(after).toContain('pf_batches_finished_total{kind="balances",status="Completed"} 1');
  expect(after).toContain('pf_batches_finished_total{kind="balances",status="CompletedWithErrors"} 1');
  expect(after).toMatch(/pf_queue_jobs\{queue="ingest",state="waiting"\} 0/);
});

it('the worker process exposes the same registry on its own port', async () => {
  const server = await startMetricsServer(system.runtime.metrics, '127.0.0.1', 0, system.runtime.log);
  try {
    const { port } = server.address() as { port: number };
    const response = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('pf_items_applied_total');
    expect((await fetch(`http://127.0.0.1:${port}/other`)).status).toBe(404);
  } finally {
    server.close();
  }
});
