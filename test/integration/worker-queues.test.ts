import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTenant, startSystem, type TestSystem, waitForBatch } from '../support/system.ts';

// Two worker compositions over one database and one queue prefix, as two processes would run them.
let webhooksOnly: TestSystem;
let ingestOnly: TestSystem | undefined;
beforeAll(async () => {
  webhooksOnly = await startSystem({ WORKER_QUEUES: 'webhooks' });
  await webhooksOnly.startWorker();
});
afterAll(async () => {
  await ingestOnly?.close();
  await webhooksOnly?.close();
});

describe('WORKER_QUEUES', () => {
  it('makes a worker consume only the queues it names; another process takes the rest', async () => {
    const { runtime, app } = webhooksOnly;
    expect(runtime.config.queue.workerQueues).toEqual(['webhooks']);
    expect(await runtime.webhookQueue.getWorkers()).toHaveLength(1);
    for (const queue of [runtime.ingestQueue, runtime.reconciliationQueue, runtime.eventsQueue]) expect(await queue.getWorkers()).toEqual([]);

    const tenant = await createTenant(app);
    const accepted = await app.inject({
      method: 'POST',
      url: '/api/v2/point-accounts/balances',
      headers: tenant.headers,
      payload: [{ contactId: randomUUID(), amount: 5, definitionId: 1, timeStamp: '2024-05-16T12:20:03.807Z' }],
    });
    expect(accepted.statusCode, accepted.body).toBe(202);
    const batchId: string = accepted.json().id;

    // A webhook job queued after the batch is consumed (a delivery nobody holds: nothing to send, the job completes and is removed).
    const webhookJob = await runtime.webhookQueue.add('probe', { tenantId: tenant.id, deliveryId: randomUUID() }, { jobId: randomUUID() });
    await expect.poll(() => runtime.webhookQueue.getJobState(webhookJob.id!), { timeout: 10_000 }).toBe('unknown');

    // The batch's job still waits: no consumer of the ingest queue runs here.
    expect(await runtime.ingestQueue.getJobState(batchId)).toBe('waiting');
    const status = await app.inject({ url: `/api/v2/point-accounts/balances/status/${batchId}`, headers: tenant.headers });
    expect(status.json().status).toBe('Queued');

    ingestOnly = await startSystem({ DATABASE_URL: runtime.config.databaseUrl, QUEUE_PREFIX: runtime.config.queue.prefix, WORKER_QUEUES: 'ingest' });
    await ingestOnly.startWorker();
    expect(await ingestOnly.runtime.ingestQueue.getWorkers()).toHaveLength(1);
    expect(await waitForBatch(app, tenant.headers, batchId)).toMatchObject({ status: 'Completed', appliedCount: 1 });
  });
});
