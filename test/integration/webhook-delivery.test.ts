import { createDecipheriv, createHmac, randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PointMaster } from '../../examples/point-master/app.ts';
import { requeueSendableDeliveries } from '../../src/jobs/delivery-recovery.ts';
import { webhookDeliveryJob } from '../../src/jobs/webhook-delivery.job.ts';
import { json, startScriptedServer } from '../support/http-server.ts';
import { ADMIN_TOKEN, createTenant, startSystem, type TestSystem } from '../support/system.ts';
import { connectPointMaster } from '../support/point-master.ts';
import { automation } from '../support/adjustments.ts';

type Tenant = Awaited<ReturnType<typeof createTenant>>;

// Three quick retries, so that "retries exhausted" takes well under a second.
const SCHEDULE = '100ms,200ms,300ms';

let system: TestSystem;
let followerUrl: string;
const masters: PointMaster[] = [];

beforeAll(async () => {
  system = await startSystem({ OUTBOUND_ALLOW_PRIVATE: 'true', WEBHOOK_RETRY_SCHEDULE: SCHEDULE, WEBHOOK_TIMEOUT_MS: '500' });
  // The master pushes balances back over HTTP, so the follower listens for real.
  followerUrl = await system.app.listen({ host: '127.0.0.1', port: 0 });
  await system.startWorker();
});
afterAll(async () => {
  for (const master of masters) await master.app.close();
  await system?.close();
});

const admin = async (method: 'PUT' | 'POST' | 'GET', url: string, payload?: object) => {
  const response = await system.app.inject({
    method,
    url: `/admin/v1${url}`,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    ...(payload && { payload }),
  });
  expect(response.statusCode, response.body).toBe(200);
  return response.json();
};

/**
 * Connects a tenant to a fresh reference master, as an operator would: set the
 * webhook (which creates the secrets), give them to the master, point the
 * webhook and the points log at it. `prepare` may add fault hooks first.
 */
async function connectMaster(tenant: Tenant, prepare?: (app: FastifyInstance) => void): Promise<PointMaster & { webhookIds: string[] }> {
  const webhookIds: string[] = [];
  const { master, url } = await connectPointMaster(
    (path, body) => admin('PUT', path, body),
    tenant,
    { followerUrl, logger: false },
    (m) => {
      m.app.addHook('onRequest', async (request) => {
        if (request.url === '/webhooks/engage') webhookIds.push(String(request.headers['webhook-id']));
      });
      prepare?.(m.app);
    },
  );
  masters.push(master);
  await admin('PUT', `/tenants/${tenant.id}/points-log`, { urlTemplate: `${url}/points/{contactId}` });
  return { ...master, webhookIds };
}

async function adjust(tenant: Tenant, body: object) {
  const response = await system.app.inject({ method: 'POST', url: '/api/v2/point-accounts/adjustments', headers: tenant.headers, payload: body });
  expect(response.statusCode, response.body).toBe(202);
  return response.json();
}

const adjustment = async (tenant: Tenant, id: string) =>
  (await system.app.inject({ url: `/api/v2/point-accounts/adjustments/${id}`, headers: tenant.headers })).json();

// A delivery may take several attempts; Retrying lasts one 100 ms step of SCHEDULE, so look often.
const DELIVERY_POLL = { timeout: 10_000, interval: 25 };

/** Polls an adjustment until its delivery is in `state`, with the given details. */
const untilState = (tenant: Tenant, id: string, state: string, details: object = {}) =>
  expect.poll(() => adjustment(tenant, id), DELIVERY_POLL).toMatchObject({ deliveryState: state, ...details });

/**
 * Waits until nothing can send these deliveries again on its own: no job for
 * them is left in Redis (waiting, delayed or running), and a recovery sweep
 * pass finds nothing due in Postgres to queue.
 */
async function untilSettled(deliveryIds: string[]) {
  const jobs = async () =>
    (await system.runtime.webhookQueue.getJobs(['waiting', 'prioritized', 'delayed', 'active'])).filter((job) => deliveryIds.includes(job.data.deliveryId));
  await expect.poll(jobs, DELIVERY_POLL).toEqual([]);
  expect(await requeueSendableDeliveries(system.runtime)).toBe(0);
}

const followerBalance = async (tenant: Tenant, contactId: string) => {
  const list = (await system.app.inject({ url: `/api/v2/point-accounts?contactId=${contactId}`, headers: tenant.headers })).json();
  return list.items[0]?.balance ?? null;
};

describe('end to end against the reference point master', () => {
  it('an automation gives +40: the master gets one webhook, applies it, and the follower shows the balance it pushes back', async () => {
    const tenant = await createTenant(system.app);
    const master = await connectMaster(tenant);
    const contact = randomUUID();

    const created = await adjust(tenant, automation(contact));
    expect(created.deliveryState).toBe('Pending');
    expect(await followerBalance(tenant, contact)).toBeNull(); // nothing changes here until the master syncs

    await untilState(tenant, created.id, 'Delivered', { attempts: 1, deliveredAt: expect.any(String) });
    expect(Object.keys(await adjustment(tenant, created.id))).not.toContain('lastError');
    expect(Object.keys(await adjustment(tenant, created.id))).not.toContain('nextAttemptAt');
    expect(master.webhookIds).toEqual([created.eventId]);
    expect((await system.app.inject({ url: '/metrics' })).body).toMatch(/pf_webhook_attempts_total\{outcome="Delivered"\} [1-9]/);
    expect(master.store.applied).toEqual([
      {
        eventId: created.eventId,
        balance: 40,
        appliedAt: expect.any(Date),
        adjustment: {
          ContactId: contact,
          Amount: 40,
          Description: 'Points awarded',
          Source: 'Automation',
          PointDefinitionId: 1,
          Reason: 'Voyado',
          ProcessId: 'd6342090-7410-4c00-aa4b-dbd394dac7e6',
          WorkflowId: '44931e65-e188-46c4-92bd-50e4818fece2',
          WorkflowName: 'Birthday',
        },
      },
    ]);

    await expect.poll(() => followerBalance(tenant, contact), DELIVERY_POLL).toBe(40);
    const log = await system.app.inject({ url: `/api/v2/contacts/${contact}/points-log`, headers: tenant.headers });
    expect(log.json()).toEqual([{ transactionDate: expect.any(String), amount: 40, description: 'Points awarded' }]);
  });

  it("a manual adjustment carries the user's id and name", async () => {
    const tenant = await createTenant(system.app);
    const master = await connectMaster(tenant);
    const contact = randomUUID();
    const created = await adjust(tenant, {
      contactId: contact,
      definitionId: 1,
      amount: -15,
      description: 'Give points from Engage',
      source: 'Manual',
      userId: 'c23f28cb-d62d-42cf-9d11-b919198409ea',
      userName: 'Jimmy User',
    });
    await untilState(tenant, created.id, 'Delivered');
    expect(master.store.applied[0]?.adjustment).toEqual({
      ContactId: contact,
      Amount: -15,
      Description: 'Give points from Engage',
      Source: 'Manual',
      PointDefinitionId: 1,
      UserId: 'c23f28cb-d62d-42cf-9d11-b919198409ea',
      UserName: 'Jimmy User',
    });
    await expect.poll(() => followerBalance(tenant, contact), DELIVERY_POLL).toBe(-15);
  });
});

describe('faults', () => {
  it('the master fails for a while: the same event id comes again after it recovers and is applied once', async () => {
    const tenant = await createTenant(system.app);
    let webhookCalls = 0;
    const master = await connectMaster(tenant, (app) => {
      app.addHook('onRequest', async (request, reply) => {
        // First call: the master is down.
        if (request.url === '/webhooks/engage' && ++webhookCalls === 1) return reply.code(500).send({ error: 'database down' });
      });
      app.addHook('onSend', async (request, reply) => {
        // Second call: the master applies it, but its answer is lost as a 500.
        if (request.url === '/webhooks/engage' && webhookCalls === 2) reply.code(500);
      });
    });
    const contact = randomUUID();
    const created = await adjust(tenant, automation(contact));

    await untilState(tenant, created.id, 'Delivered', { attempts: 3 });
    expect(master.webhookIds).toEqual([created.eventId, created.eventId, created.eventId]);
    expect(master.store.applied).toHaveLength(1);
    await expect.poll(() => followerBalance(tenant, contact), DELIVERY_POLL).toBe(40);
  });

  it('410 Gone stops at once', async () => {
    const tenant = await createTenant(system.app);
    const master = await connectMaster(tenant, (app) => {
      app.addHook('onRequest', async (request, reply) => {
        if (request.url === '/webhooks/engage') return reply.code(410).send();
      });
    });
    const created = await adjust(tenant, automation(randomUUID()));
    await untilState(tenant, created.id, 'Failed', { attempts: 1, lastError: 'The master answered 410; 410 Gone stops all retries' });
    expect(await adjustment(tenant, created.id)).not.toHaveProperty('nextAttemptAt');
    // A retry queued despite the 410 is sent while untilSettled waits for its job to go; one due in Postgres fails its sweep check.
    await untilSettled([created.eventId]);
    expect(master.webhookIds).toHaveLength(1);
  });

  it('after the last retry the delivery is Failed, listed as a dead letter, and a replay delivers it', async () => {
    const tenant = await createTenant(system.app);
    let down = true;
    const master = await connectMaster(tenant, (app) => {
      app.addHook('onRequest', async (request, reply) => {
        if (request.url === '/webhooks/engage' && down) return reply.code(503).send({ error: 'maintenance' });
      });
    });
    const first = await adjust(tenant, automation(randomUUID(), 10));
    const second = await adjust(tenant, automation(randomUUID(), 20));
    const third = await adjust(tenant, automation(randomUUID(), 30));
    for (const created of [first, second, third]) {
      await untilState(tenant, created.id, 'Failed', { attempts: 4, lastError: 'The master answered 503: {"error":"maintenance"}; gave up after 4 attempts' });
    }
    expect(master.webhookIds.filter((id) => id === first.eventId)).toHaveLength(4);

    const dead = await admin('GET', `/tenants/${tenant.id}/deliveries?state=Failed`);
    expect(dead.totalCount).toBe(3);
    expect(dead.items[0]).toMatchObject({ id: third.eventId, adjustmentId: third.id, state: 'Failed', attempts: 4, lastStatus: 503 });

    down = false;
    const replayed = await admin('POST', `/tenants/${tenant.id}/deliveries/${first.eventId}/replay`);
    expect(replayed).toMatchObject({ id: first.eventId, state: 'Pending' });
    await untilState(tenant, first.id, 'Delivered', { attempts: 5 });
    expect(await adjustment(tenant, first.id)).not.toHaveProperty('lastError');

    expect(await admin('POST', `/tenants/${tenant.id}/deliveries/replay?state=Failed`)).toEqual({ replayed: 2 });
    await untilState(tenant, second.id, 'Delivered');
    await untilState(tenant, third.id, 'Delivered');
    expect(master.store.applied.map((a) => a.adjustment.Amount).sort()).toEqual([10, 20, 30]);
    expect(new Set(master.webhookIds)).toEqual(new Set([first.eventId, second.eventId, third.eventId]));

    const conflict = await system.app.inject({
      method: 'POST',
      url: `/admin/v1/tenants/${tenant.id}/deliveries/${first.eventId}/replay`,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(conflict.statusCode).toBe(409);
    expect(conflict.json().detail).toBe(`Delivery ${first.eventId} is Delivered; only Failed or Retrying deliveries can be replayed`);
  });

  it('a master that does not answer in time is retried', async () => {
    const tenant = await createTenant(system.app);
    let hang = true;
    await connectMaster(tenant, (app) => {
      app.addHook('onRequest', async (request) => {
        if (request.url === '/webhooks/engage' && hang) {
          hang = false;
          await new Promise((resolve) => setTimeout(resolve, 1500)); // past WEBHOOK_TIMEOUT_MS (500)
        }
      });
    });
    const created = await adjust(tenant, automation(randomUUID()));
    await untilState(tenant, created.id, 'Retrying', { lastError: 'No answer within 500 ms' });
    await untilState(tenant, created.id, 'Delivered', { attempts: 2 });
  });

  it('without a webhook URL adjustments wait as AwaitingConfiguration, and go out once it is set', async () => {
    const tenant = await createTenant(system.app);
    const contact = randomUUID();
    const created = [await adjust(tenant, automation(contact, 5)), await adjust(tenant, automation(contact, 7))];
    expect(created.map((a) => a.deliveryState)).toEqual(['AwaitingConfiguration', 'AwaitingConfiguration']);
    // Nothing may send them without a URL: a sweep pass finds them not due, and once no job for them is left they still wait.
    await untilSettled(created.map((a) => a.eventId));
    for (const a of created) expect((await adjustment(tenant, a.id)).deliveryState).toBe('AwaitingConfiguration');

    // A stand-in master that records what it gets, so the test can read it with plain node:crypto.
    const receiver = await startScriptedServer((_request, response) => json(response, 200, { ok: true }));
    try {
      const set = await admin('PUT', `/tenants/${tenant.id}/webhook`, { url: `${receiver.url}/hook` });
      expect(set.releasedDeliveries).toBe(2);
      for (const a of created) await untilState(tenant, a.id, 'Delivered');

      expect(receiver.requests).toHaveLength(2);
      const amounts = receiver.requests.map((request) => {
        const envelope = JSON.parse(request.body);
        expect(envelope).toEqual({
          eventType: 'loyalty.addPoints',
          id: request.headers['webhook-id'],
          isEncrypted: true,
          payload: expect.any(String),
          tenant: tenant.name,
        });
        const mac = createHmac('sha256', Buffer.from(set.signingSecret.slice('whsec_'.length), 'base64'))
          .update(`${envelope.id}.${String(request.headers['webhook-timestamp'])}.${request.body}`)
          .digest('base64');
        expect(request.headers['webhook-signature']).toBe(`v1,${mac}`);
        expect(Math.abs(Date.now() / 1000 - Number(request.headers['webhook-timestamp']))).toBeLessThan(30);
        const bytes = Buffer.from(envelope.payload, 'base64');
        const decipher = createDecipheriv('aes-256-cbc', Buffer.from(set.encryptionKey, 'ascii'), bytes.subarray(0, 16));
        return JSON.parse(Buffer.concat([decipher.update(bytes.subarray(16)), decipher.final()]).toString('utf8')).Amount;
      });
      expect(amounts.sort()).toEqual([5, 7]);
    } finally {
      await receiver.close();
    }
  });

  it('deliveries whose jobs Redis lost are all still delivered', async () => {
    const tenant = await createTenant(system.app);
    const master = await connectMaster(tenant);
    await system.stopWorker();
    const created = [];
    for (const amount of [1, 2, 3]) created.push(await adjust(tenant, automation(randomUUID(), amount)));
    await system.loseRedisJobs();
    expect(await system.runtime.webhookQueue.count()).toBe(0);

    await system.startWorker(); // its recovery sweep finds them in Postgres
    for (const a of created) await untilState(tenant, a.id, 'Delivered');
    expect(master.store.applied.map((a) => a.adjustment.Amount).sort()).toEqual([1, 2, 3]);
    expect(master.webhookIds).toHaveLength(3);
  });

  it('a job queued before jobs carried their tenant (a rolling upgrade) is still sent, once', async () => {
    const tenant = await createTenant(system.app);
    const master = await connectMaster(tenant);
    await system.stopWorker();
    try {
      const created = await adjust(tenant, automation(randomUUID()));
      expect(await webhookDeliveryJob(system.runtime, { deliveryId: created.eventId })).toBe('Delivered');
      expect(await webhookDeliveryJob(system.runtime, { deliveryId: created.eventId })).toBe('not-sendable');
      expect(master.webhookIds).toEqual([created.eventId]);
    } finally {
      await system.startWorker();
    }
  });

  it('two workers never send one delivery at the same time', async () => {
    const tenant = await createTenant(system.app);
    const master = await connectMaster(tenant);
    await system.stopWorker();
    try {
      const created = await adjust(tenant, automation(randomUUID()));
      const job = { tenantId: tenant.id, deliveryId: created.eventId as string };
      const results = await Promise.all([1, 2, 3, 4].map(() => webhookDeliveryJob(system.runtime, job)));
      expect(results.sort()).toEqual(['Delivered', 'not-sendable', 'not-sendable', 'not-sendable']);
      expect(master.webhookIds).toEqual([created.eventId]);
      expect(await webhookDeliveryJob(system.runtime, job)).toBe('not-sendable'); // delivered stays delivered
    } finally {
      await system.startWorker();
    }
  });
});
