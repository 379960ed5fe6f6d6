import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, startScriptedServer, type ScriptedServer } from '../support/http-server.ts';
import { ADMIN_TOKEN, createTenant, startSystem, type TestSystem } from '../support/system.ts';
import { automation } from '../support/adjustments.ts';

// After a first failure the next retry is an hour away: a replay has to send well before it.
let system: TestSystem;
let master: ScriptedServer;
let refuse = true;

beforeAll(async () => {
  system = await startSystem({ OUTBOUND_ALLOW_PRIVATE: 'true', WEBHOOK_RETRY_SCHEDULE: '1h,1h' });
  await system.startWorker();
  master = await startScriptedServer((_request, response) => (refuse ? json(response, 503, { error: 'maintenance' }) : response.writeHead(204).end()));
}, 60_000);

afterAll(async () => {
  await master?.close();
  await system?.close();
});

const adminHeaders = { authorization: `Bearer ${ADMIN_TOKEN}` };

describe('replaying a delivery that waits for its next retry', () => {
  it('sends it within seconds, and the retry job left in the queue sends nothing more', async () => {
    const tenant = await createTenant(system.app);
    const webhook = await system.app.inject({
      method: 'PUT',
      url: `/admin/v1/tenants/${tenant.id}/webhook`,
      headers: adminHeaders,
      payload: { url: master.url },
    });
    expect(webhook.statusCode, webhook.body).toBe(200);
    const created = await system.app.inject({
      method: 'POST',
      url: '/api/v2/point-accounts/adjustments',
      headers: tenant.headers,
      payload: automation(randomUUID()),
    });
    expect(created.statusCode, created.body).toBe(202);
    const { id, eventId } = created.json();
    const read = async () => (await system.app.inject({ url: `/api/v2/point-accounts/adjustments/${id}`, headers: tenant.headers })).json();
    await expect.poll(read, { timeout: 10_000 }).toMatchObject({ deliveryState: 'Retrying', attempts: 1 });
    const delayed = (await system.runtime.webhookQueue.getJobs(['delayed'])).filter((job) => job.data.deliveryId === eventId);
    expect(delayed).toHaveLength(1);

    refuse = false;
    const replayed = await system.app.inject({ method: 'POST', url: `/admin/v1/tenants/${tenant.id}/deliveries/${eventId}/replay`, headers: adminHeaders });
    expect(replayed.statusCode, replayed.body).toBe(200);
    await expect.poll(read, { timeout: 5_000 }).toMatchObject({ deliveryState: 'Delivered', attempts: 2 });
    expect(master.requests).toHaveLength(2);

    // The old retry, made due now, finds the delivery delivered and sends nothing.
    await delayed[0]!.promote();
    await expect
      .poll(async () => (await system.runtime.webhookQueue.getJobs(['waiting', 'delayed', 'active'])).filter((job) => job.data.deliveryId === eventId))
      .toEqual([]);
    expect(master.requests).toHaveLength(2);
    expect(await read()).toMatchObject({ deliveryState: 'Delivered', attempts: 2 });
  }, 30_000);
});
