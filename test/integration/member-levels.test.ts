import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { PointMaster } from '../../examples/point-master/app.ts';
import { requeueSendableDeliveries } from '../../src/jobs/delivery-recovery.ts';
import { ingestConsumer } from '../../src/jobs/ingest.worker.ts';
import { startQueueWorker } from '../../src/queue/queue-worker.ts';
import { levelsService } from '../../src/services/levels.service.ts';
import { queueDeliveriesBestEffort } from '../../src/services/queueing.ts';
import { DAY, manualClock } from '../support/clock.ts';
import { ADMIN_TOKEN, createTenant, startSystem, type TestSystem, waitForBatch } from '../support/system.ts';
import { connectPointMaster } from '../support/point-master.ts';

type Tenant = Awaited<ReturnType<typeof createTenant>>;

const START = '2030-06-15T12:00:00.000Z';
const clock = manualClock(START);
let system: TestSystem;
/** A second API and worker over the same database and queues: two workers side by side. */
let second: TestSystem;
let followerUrl: string;
const masters: PointMaster[] = [];

const ENV = { OUTBOUND_ALLOW_PRIVATE: 'true', LEDGER_MAINTENANCE_INTERVAL_MS: '100', WEBHOOK_RETRY_SCHEDULE: '100ms,200ms' };

beforeAll(async () => {
  system = await startSystem(ENV, { clock });
  followerUrl = await system.app.listen({ host: '127.0.0.1', port: 0 });
  await system.startWorker();
});
// Tests move the clock; each starts from the same moment whatever the one before did.
beforeEach(() => clock.set(START));
afterAll(async () => {
  await second?.close();
  for (const master of masters) await master.app.close();
  await system?.close();
});

const admin = (method: 'PUT' | 'GET' | 'PATCH', url: string, payload?: object) =>
  system.app.inject({ method, url: `/admin/v1${url}`, headers: { authorization: `Bearer ${ADMIN_TOKEN}` }, ...(payload && { payload }) });

const LEVELS = [
  { key: 'member', name: 'Member', threshold: 0 },
  { key: 'silver', name: 'Silver', threshold: 100 },
  { key: 'gold', name: 'Gold', threshold: 500 },
];

async function setLadder(tenant: Tenant, body: object) {
  const response = await admin('PUT', `/tenants/${tenant.id}/levels`, body);
  expect(response.statusCode, response.body).toBe(200);
  return response.json();
}

async function levelTenant(ladder: object = {}, options: { timeZone?: string } = {}) {
  const tenant = await createTenant(system.app, { mode: 'all-transaction' });
  if (options.timeZone) expect((await admin('PATCH', `/tenants/${tenant.id}`, { timeZone: options.timeZone })).statusCode).toBe(200);
  await setLadder(tenant, { definitionId: 1, basis: 'PointsEarned', window: { type: 'Rolling', months: 12 }, levels: LEVELS, ...ladder });
  return tenant;
}

async function push(tenant: Tenant, rows: object[]) {
  const response = await system.app.inject({ method: 'POST', url: '/api/v2/point-accounts/transactions', headers: tenant.headers, payload: rows });
  expect(response.statusCode, response.body).toBe(202);
  expect(response.json().notAccepted).toEqual([]);
  expect((await waitForBatch(system.app, tenant.headers, response.json().id)).status).toBe('Completed');
}

const purchase = (amount: number, contactId: string, extra: object = {}) => ({
  contactId,
  amount,
  definitionId: 1,
  source: 'Purchase',
  description: 'Order',
  ...extra,
});

async function levelOf(tenant: Tenant, contactId: string) {
  const response = await system.app.inject({ url: `/api/v2/contacts/${contactId}/member-level`, headers: tenant.headers });
  expect(response.statusCode, response.body).toBe(200);
  return response.json();
}

async function historyOf(tenant: Tenant, contactId: string, query = '') {
  const response = await system.app.inject({ url: `/api/v2/contacts/${contactId}/member-level/history${query}`, headers: tenant.headers });
  expect(response.statusCode, response.body).toBe(200);
  return response.json();
}

/** Waits until the worker has recorded `n` changes for the contact, and answers them newest first. */
async function changesOf(tenant: Tenant, contactId: string, n: number) {
  await expect.poll(async () => (await historyOf(tenant, contactId)).totalCount, { timeout: 10_000 }).toBe(n);
  return (await historyOf(tenant, contactId)).items;
}

async function connectMaster(tenant: Tenant): Promise<PointMaster & { webhookIds: string[] }> {
  const adminPut = async (path: string, body: object) => {
    const response = await admin('PUT', path, body);
    expect(response.statusCode, response.body).toBe(200);
    return response.json<{ encryptionKey?: string; signingSecret?: string }>();
  };
  const webhookIds: string[] = [];
  // The follower signs with its clock, which this file sets years ahead; the signature itself is still checked.
  const options = { followerUrl, toleranceSeconds: 20 * 365 * 86_400, logger: false };
  const { master } = await connectPointMaster(adminPut, tenant, options, (m) =>
    m.app.addHook('onResponse', async (request, reply) => {
      if (request.url === '/webhooks/engage' && reply.statusCode === 200) webhookIds.push(String(request.headers['webhook-id']));
    }),
  );
  masters.push(master);
  return { ...master, webhookIds };
}

describe('the ladder', () => {
  it('is refused for a balance-only tenant, and so are the level reads', async () => {
    const tenant = await createTenant(system.app, { mode: 'balance-only' });
    const put = await admin('PUT', `/tenants/${tenant.id}/levels`, { definitionId: 1, basis: 'Purchases', window: { type: 'CalendarYear' }, levels: LEVELS });
    expect(put.statusCode).toBe(400);
    expect(put.json().title).toBe('Member levels need all-transaction mode');
    expect((await admin('GET', `/tenants/${tenant.id}/levels`)).json().title).toBe('Member levels need all-transaction mode');
    const read = await system.app.inject({ url: `/api/v2/contacts/${randomUUID()}/member-level`, headers: tenant.headers });
    expect(read.statusCode).toBe(400);
    expect(read.json().title).toBe('Member levels need all-transaction mode');
  });

  it('answers 400 naming the field for a bad ladder, and stores nothing', async () => {
    const tenant = await createTenant(system.app, { mode: 'all-transaction' });
    const bad = async (body: object) => {
      const response = await admin('PUT', `/tenants/${tenant.id}/levels`, {
        definitionId: 1,
        basis: 'PointsEarned',
        window: { type: 'Rolling', months: 12 },
        levels: LEVELS,
        ...body,
      });
      expect(response.statusCode, response.body).toBe(400);
      expect(response.headers['content-type']).toContain('application/problem+json');
      return response.json().errors.map((e: { path: string }) => e.path);
    };
    expect(await bad({ levels: [LEVELS[0], { key: 'b', name: 'B', threshold: 100 }, { key: 'c', name: 'C', threshold: 100 }] })).toEqual([
      'levels[2].threshold',
    ]);
    expect(await bad({ levels: [{ key: 'a', name: 'A', threshold: 10 }] })).toEqual(['levels[0].threshold']);
    expect(await bad({ levels: [] })).toEqual(['levels']);
    expect(await bad({ window: { type: 'Rolling', months: 0 } })).toEqual(['window.months']);
    expect(await bad({ basis: 'Visits' })).toEqual(['basis']);
    expect(await bad({ definitionId: 7 })).toEqual(['definitionId']);
    const patch = await admin('PATCH', `/tenants/${tenant.id}`, { timeZone: 'Mars/Olympus' });
    expect(patch.statusCode).toBe(400);
    expect(patch.json().errors[0].path).toBe('timeZone');
    expect((await admin('GET', `/tenants/${tenant.id}/levels`)).statusCode).toBe(404);
  });

  it('is read back with the time zone, and changing it re-evaluates every contact (LadderChanged)', async () => {
    const tenant = await levelTenant();
    const contact = randomUUID();
    await push(tenant, [purchase(150, contact)]);
    await changesOf(tenant, contact, 1);
    const answer = await setLadder(tenant, {
      definitionId: 1,
      basis: 'PointsEarned',
      window: { type: 'Rolling', months: 6 },
      levels: [LEVELS[0], { key: 'silver', name: 'Silver', threshold: 200 }],
    });
    expect(answer).toMatchObject({ timeZone: 'UTC', window: { type: 'Rolling', months: 6 }, announce: false, changesRecorded: 1 });
    const [latest] = await changesOf(tenant, contact, 2);
    expect(latest).toMatchObject({ fromKey: 'silver', toKey: 'member', reason: 'LadderChanged', qualifying: 150 });
    expect((await admin('GET', `/tenants/${tenant.id}/levels`)).json()).toMatchObject({ levels: [{ key: 'member' }, { key: 'silver', threshold: 200 }] });
  });
});

describe('the level of a contact', () => {
  it('moves up as soon as a purchase lands, and the worker records it once', async () => {
    const tenant = await levelTenant();
    const contact = randomUUID();
    expect(await levelOf(tenant, contact)).toEqual({
      key: 'member',
      name: 'Member',
      qualifying: 0,
      basis: 'PointsEarned',
      window: { from: '2029-06-15T12:00:00.000Z', to: clock.now().toISOString() },
      next: { key: 'silver', name: 'Silver', threshold: 100, remaining: 100 },
    });
    await push(tenant, [purchase(60, contact), purchase(45, contact, { source: 'Automation' }), purchase(500, contact, { source: 'Reconciliation' })]);
    expect(await levelOf(tenant, contact)).toMatchObject({ key: 'silver', qualifying: 105, next: { key: 'gold', remaining: 395 } });
    const [change] = await changesOf(tenant, contact, 1);
    expect(change).toEqual({
      id: expect.any(String),
      fromKey: 'member',
      fromName: 'Member',
      toKey: 'silver',
      toName: 'Silver',
      reason: 'Transactions',
      qualifying: 105,
      changedAt: clock.now().toISOString(),
    });
    expect((await levelOf(tenant, contact)).since).toBe(change.changedAt);
  });

  it('moves down when the rolling window passes its oldest qualifying entry: at once when read, recorded by the periodic pass', async () => {
    const tenant = await levelTenant();
    const contact = randomUUID();
    const start = clock.now();
    await push(tenant, [purchase(100, contact, { timeStamp: start.toISOString() })]);
    await changesOf(tenant, contact, 1);
    clock.set(new Date(Date.UTC(2031, 5, 15, 12, 0, 0, 0)));
    expect((await levelOf(tenant, contact)).key).toBe('silver'); // exactly twelve months on: the entry is at the window's first instant
    clock.advance(1);
    expect(await levelOf(tenant, contact)).toMatchObject({ key: 'member', qualifying: 0 });
    const [latest] = await changesOf(tenant, contact, 2);
    expect(latest).toMatchObject({ fromKey: 'silver', toKey: 'member', reason: 'WindowMoved' });
  });

  it("resets the calendar-year window on 1 January in the tenant's time zone (UTC by default)", async () => {
    const ladder = { basis: 'Purchases', window: { type: 'CalendarYear' }, levels: [LEVELS[0], { key: 'vip', name: 'VIP', threshold: 2 }] };
    const stockholm = await levelTenant(ladder, { timeZone: 'Europe/Stockholm' });
    const utc = await levelTenant(ladder);
    const contact = randomUUID();
    clock.set('2030-12-31T22:00:00.000Z'); // 23:00 in Stockholm
    for (const tenant of [stockholm, utc]) {
      await push(tenant, [purchase(10, contact), purchase(20, contact), purchase(-5, contact, { source: 'Return', timeStamp: '2030-03-01T00:00:00.000Z' })]);
      expect(await levelOf(tenant, contact)).toMatchObject({ key: 'member', qualifying: 1, next: { key: 'vip', remaining: 1 } });
      await push(tenant, [purchase(10, contact)]);
      expect((await levelOf(tenant, contact)).key).toBe('vip');
      await changesOf(tenant, contact, 1);
    }
    clock.set('2030-12-31T22:59:59.999Z');
    expect(await levelOf(stockholm, contact)).toMatchObject({ key: 'vip', window: { from: '2029-12-31T23:00:00.000Z', to: '2030-12-31T23:00:00.000Z' } });
    clock.set('2030-12-31T23:00:00.000Z'); // midnight in Stockholm, still 2030 in UTC
    expect(await levelOf(stockholm, contact)).toMatchObject({ key: 'member', qualifying: 0, window: { from: '2030-12-31T23:00:00.000Z' } });
    expect(await levelOf(utc, contact)).toMatchObject({ key: 'vip', window: { from: '2030-01-01T00:00:00.000Z', to: '2031-01-01T00:00:00.000Z' } });
    expect((await changesOf(stockholm, contact, 2))[0]).toMatchObject({ fromKey: 'vip', toKey: 'member', reason: 'WindowMoved' });
    clock.set('2031-01-01T00:00:00.000Z');
    expect((await changesOf(utc, contact, 2))[0]).toMatchObject({ toKey: 'member', changedAt: '2031-01-01T00:00:00.000Z' });
  });

  it('keeps its history readable after a switch to balance-only mode, and gets no new changes', async () => {
    const tenant = await levelTenant();
    const contact = randomUUID();
    await push(tenant, [purchase(120, contact)]);
    await changesOf(tenant, contact, 1);
    expect((await admin('PATCH', `/tenants/${tenant.id}`, { mode: 'balance-only' })).statusCode).toBe(200);
    expect((await system.app.inject({ url: `/api/v2/contacts/${contact}/member-level`, headers: tenant.headers })).statusCode).toBe(400);
    clock.advance(400 * DAY);
    await system.runtime.services.levels.recordTimeMoves();
    expect((await historyOf(tenant, contact)).totalCount).toBe(1);
  });

  it('records nothing when the tenant leaves all-transaction mode between the periodic pass reading and writing', async () => {
    const tenant = await levelTenant();
    const contact = randomUUID();
    await push(tenant, [purchase(120, contact)]);
    await changesOf(tenant, contact, 1);
    // A pass of its own, a year ahead of the file's clock (so the worker's passes see nothing move), that stops after its
    // lock-free first pass found the contact and lets the operator switch the tenant to balance-only right there.
    const seen: string[] = [];
    const sweep = levelsService({
      db: system.runtime.db,
      clock: manualClock(new Date(clock.now().getTime() + 400 * DAY)),
      log: system.runtime.log,
      queueDeliveries: queueDeliveriesBestEffort(system.runtime.webhookQueue, system.runtime.log),
      afterSweepSelect: async (tenantId, moved) => {
        if (tenantId !== tenant.id) return;
        seen.push(...moved);
        expect((await admin('PATCH', `/tenants/${tenant.id}`, { mode: 'balance-only' })).statusCode).toBe(200);
      },
    });
    await sweep.recordTimeMoves();
    expect(seen).toEqual([contact]);
    expect((await historyOf(tenant, contact)).items.map((c: { toKey: string }) => c.toKey)).toEqual(['silver']);
  });

  it('pages the history newest first and refuses a bad contact id', async () => {
    const tenant = await levelTenant();
    const contact = randomUUID();
    await push(tenant, [purchase(100, contact)]);
    await changesOf(tenant, contact, 1);
    await push(tenant, [purchase(400, contact)]);
    await changesOf(tenant, contact, 2);
    const page = await historyOf(tenant, contact, '?offset=0&count=1');
    expect(page).toMatchObject({ totalCount: 2, offset: 0, count: 1, items: [{ fromKey: 'silver', toKey: 'gold' }] });
    expect((await historyOf(tenant, contact, '?offset=1&count=1')).items[0]).toMatchObject({ fromKey: 'member', toKey: 'silver' });
    const bad = await system.app.inject({ url: '/api/v2/contacts/not-a-uuid/member-level', headers: tenant.headers });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors[0].path).toBe('params.contactId');
  });
});

describe('recorded and announced', () => {
  it('queues one job for each change it announces, the one the recovery sweep would queue', async () => {
    // A system of its own whose only consumer applies batches, so the webhook jobs stay in Redis to be counted.
    const own = await startSystem(ENV, { clock });
    const ingest = startQueueWorker(own.runtime, ingestConsumer(own.runtime));
    try {
      const put = async (url: string, payload: object) => {
        const response = await own.app.inject({ method: 'PUT', url: `/admin/v1${url}`, headers: { authorization: `Bearer ${ADMIN_TOKEN}` }, payload });
        expect(response.statusCode, response.body).toBe(200);
      };
      const tenant = await createTenant(own.app, { mode: 'all-transaction' });
      await put(`/tenants/${tenant.id}/levels`, {
        definitionId: 1,
        basis: 'PointsEarned',
        window: { type: 'Rolling', months: 12 },
        levels: LEVELS,
        announce: true,
      });
      await put(`/tenants/${tenant.id}/webhook`, { url: 'http://127.0.0.1:9/never-called' });
      const response = await own.app.inject({
        method: 'POST',
        url: '/api/v2/point-accounts/transactions',
        headers: tenant.headers,
        payload: Array.from({ length: 20 }, () => purchase(150, randomUUID())),
      });
      expect(response.statusCode, response.body).toBe(202);
      expect((await waitForBatch(own.app, tenant.headers, response.json().id)).status).toBe('Completed');
      const jobIds = async () => (await own.runtime.webhookQueue.getJobs(['waiting', 'delayed', 'prioritized'])).map((job) => job.id).sort();
      // The batch queues its changes' webhooks just after it commits.
      await expect.poll(jobIds, { timeout: 10_000 }).toHaveLength(20);
      const queued = await jobIds();
      expect(await requeueSendableDeliveries(own.runtime)).toBe(20);
      expect(await jobIds()).toEqual(queued);
    } finally {
      await ingest.close();
      await own.close();
    }
  });

  it('sends loyalty.levelChanged to the master, encrypted and signed, once per change, with two workers running', async () => {
    second = await startSystem({ ...ENV, DATABASE_URL: system.runtime.config.databaseUrl, QUEUE_PREFIX: system.runtime.config.queue.prefix }, { clock });
    await second.startWorker();
    const tenant = await levelTenant({ announce: true });
    const master = await connectMaster(tenant);
    const contacts = Array.from({ length: 10 }, () => randomUUID());
    const start = clock.now();
    await push(
      tenant,
      contacts.map((contactId) => purchase(150, contactId)),
    );
    // Both workers' periodic passes and extra passes from both runtimes race the batch's own recording.
    await Promise.all([...Array.from({ length: 4 }, () => system.runtime.services.levels.recordTimeMoves()), second.runtime.services.levels.recordTimeMoves()]);
    await expect.poll(() => master.store.levelChanges.length, { timeout: 10_000 }).toBe(10);

    clock.advance(366 * DAY);
    await Promise.all([system.runtime.services.levels.recordTimeMoves(), second.runtime.services.levels.recordTimeMoves()]);
    await expect.poll(() => master.store.levelChanges.length, { timeout: 10_000 }).toBe(20);

    for (const contactId of contacts) {
      const items = await changesOf(tenant, contactId, 2);
      expect(items.map((c: { toKey: string }) => c.toKey)).toEqual(['member', 'silver']);
      const received = master.store.levelChanges.filter((c) => c.change.ContactId === contactId).map((c) => c.change);
      expect(received).toEqual([
        { ContactId: contactId, FromLevel: 'member', ToLevel: 'silver', ChangedAt: start.toISOString(), Reason: 'Transactions' },
        { ContactId: contactId, FromLevel: 'silver', ToLevel: 'member', ChangedAt: clock.now().toISOString(), Reason: 'WindowMoved' },
      ]);
    }
    // The master verified each signature and decrypted each payload; every event came once (a retry would repeat an id).
    expect(new Set(master.webhookIds).size).toBe(20);
    expect(master.webhookIds).toHaveLength(20);
  });
});
