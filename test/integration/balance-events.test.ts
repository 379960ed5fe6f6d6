import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTenant, startSystem, waitForBatch, type TestSystem } from '../support/system.ts';
import { adminCall, subscribe, type TestSubscriber } from '../support/subscribers.ts';

type Tenant = Awaited<ReturnType<typeof createTenant>>;

let system: TestSystem;
const subscribers: TestSubscriber[] = [];

beforeAll(async () => {
  system = await startSystem({
    OUTBOUND_ALLOW_PRIVATE: 'true',
    // Many quick retries: an outage of a second stays well inside them; a 410 ends them at once.
    WEBHOOK_RETRY_SCHEDULE: Array.from({ length: 30 }, () => '100ms').join(','),
    WEBHOOK_TIMEOUT_MS: '1000',
    LEDGER_MAINTENANCE_INTERVAL_MS: '200',
  });
  await system.startWorker();
});
afterAll(async () => {
  for (const subscriber of subscribers) await subscriber.close();
  await system?.close();
});

const POLL = { timeout: 15_000, interval: 25 };

async function subscribed(tenant: Tenant, options: Parameters<typeof subscribe>[2] = {}) {
  const subscriber = await subscribe(system.app, tenant.id, options);
  subscribers.push(subscriber);
  return subscriber;
}

let clockMs = Date.now() - 60_000;
/** A master timeStamp later than every one sent before. */
const nextTime = () => new Date((clockMs += 1000)).toISOString();

async function pushBalances(tenant: Tenant, items: { contactId: string; amount: number; definitionId?: number }[]) {
  const response = await system.app.inject({
    method: 'POST',
    url: '/api/v2/point-accounts/balances',
    headers: tenant.headers,
    payload: items.map((item) => ({ definitionId: 1, timeStamp: nextTime(), ...item })),
  });
  expect(response.statusCode, response.body).toBe(202);
  const status = await waitForBatch(system.app, tenant.headers, response.json().id);
  // An account sent twice in one batch: the newest item wins and the others are reported as skipped.
  expect(status.status).toBeOneOf(['Completed', 'CompletedWithErrors']);
}

async function pushTransactions(tenant: Tenant, rows: object[]) {
  const response = await system.app.inject({ method: 'POST', url: '/api/v2/point-accounts/transactions', headers: tenant.headers, payload: rows });
  expect(response.statusCode, response.body).toBe(202);
  const id = response.json().id;
  await expect
    .poll(async () => (await system.app.inject({ url: `/api/v2/point-accounts/transactions/status/${id}`, headers: tenant.headers })).json().status, POLL)
    .toBe('Completed');
}

const outbox = async (tenant: Tenant, subscriber: TestSubscriber) =>
  (await adminCall(system.app, 'GET', `/tenants/${tenant.id}/subscriptions/${subscriber.subscriptionId}/events?count=1000`, undefined, 200)).json().items as {
    accountId: number;
    version: number;
    balance: number;
    state: string;
  }[];

const latestOf = (subscriber: TestSubscriber, contactId: string) => [...subscriber.subscriber.latest.values()].find((event) => event.contactId === contactId);
const receivedFor = (subscriber: TestSubscriber, contactId: string) =>
  subscriber.subscriber.received.filter(({ event }) => event.contactId === contactId).map(({ event }) => event);

describe('subscriptions through the admin API', () => {
  it('creates one with its secret shown once, lists, reads, changes, rotates and deletes it', async () => {
    const tenant = await createTenant(system.app);
    const created = await adminCall(
      system.app,
      'POST',
      `/tenants/${tenant.id}/subscriptions`,
      { url: 'https://shop.example/hooks', events: ['point.balance.updated'] },
      201,
    );
    const body = created.json();
    expect(body).toMatchObject({ url: 'https://shop.example/hooks', events: ['point.balance.updated'], encrypted: false, batch: false });
    expect(body.signingSecret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);

    const listed = (await adminCall(system.app, 'GET', `/tenants/${tenant.id}/subscriptions`, undefined, 200)).json();
    expect(listed.items).toHaveLength(1);
    expect(JSON.stringify(listed)).not.toContain(body.signingSecret.slice(6));
    const one = (await adminCall(system.app, 'GET', `/tenants/${tenant.id}/subscriptions/${body.id}`, undefined, 200)).json();
    expect(one.outbox).toEqual({ pending: 0, retrying: 0, delivered: 0, failed: 0 });
    expect(one).not.toHaveProperty('signingSecret');

    const patched = (await adminCall(system.app, 'PATCH', `/tenants/${tenant.id}/subscriptions/${body.id}`, { batch: true }, 200)).json();
    expect(patched).toMatchObject({ batch: true, url: 'https://shop.example/hooks' });
    const rotated = (await adminCall(system.app, 'POST', `/tenants/${tenant.id}/subscriptions/${body.id}/rotate`, undefined, 200)).json();
    expect(rotated.signingSecret).toMatch(/^whsec_/);
    expect(rotated.signingSecret).not.toBe(body.signingSecret);

    // Stored sealed, as the master's webhook secret is.
    const { rows } = await system.runtime.pool.query<{ signing_secret: string }>(`SELECT signing_secret FROM event_subscription WHERE id = $1`, [body.id]);
    expect(rows[0]?.signing_secret).toMatch(/^enc:v1:/);

    await adminCall(system.app, 'DELETE', `/tenants/${tenant.id}/subscriptions/${body.id}`, undefined, 204);
    await adminCall(system.app, 'GET', `/tenants/${tenant.id}/subscriptions/${body.id}`, undefined, 404);
  });

  it('answers bad input with a 400 naming the field, and another tenant’s subscription with 404', async () => {
    const tenant = await createTenant(system.app);
    const other = await createTenant(system.app);
    const bad = await adminCall(system.app, 'POST', `/tenants/${tenant.id}/subscriptions`, { url: 'ftp://x', events: ['loyalty.addPoints'] }, 400);
    expect(bad.headers['content-type']).toContain('application/problem+json');
    expect(
      bad
        .json()
        .errors.map((e: { path: string }) => e.path)
        .sort(),
    ).toEqual(['events[0]', 'url']);
    const noKey = await adminCall(
      system.app,
      'POST',
      `/tenants/${tenant.id}/subscriptions`,
      { url: 'https://a.example', events: ['point.balance.updated'], encrypted: true },
      400,
    );
    expect(noKey.json().errors).toEqual([{ path: 'encrypted', message: expect.stringContaining('encryption key') }]);
    await adminCall(system.app, 'PATCH', `/tenants/${tenant.id}/subscriptions/${randomUUID()}`, {}, 400);
    const id = (
      await adminCall(system.app, 'POST', `/tenants/${tenant.id}/subscriptions`, { url: 'https://a.example', events: ['point.balance.updated'] }, 201)
    ).json().id;
    await adminCall(system.app, 'GET', `/tenants/${other.id}/subscriptions/${id}`, undefined, 404);
    await adminCall(system.app, 'DELETE', `/tenants/${other.id}/subscriptions/${id}`, undefined, 404);
  });
});

describe('an event whenever a served balance changes', () => {
  it('balance pushes: one event per account per batch with its final figure, none when nothing changed', async () => {
    const tenant = await createTenant(system.app);
    const [a, b] = [randomUUID(), randomUUID()];
    await pushBalances(tenant, [{ contactId: a, amount: 5 }]); // before any subscriber: not announced, its figure is the start
    const subscriber = await subscribed(tenant);

    await pushBalances(tenant, [
      { contactId: a, amount: 10 },
      { contactId: a, amount: 11 },
      { contactId: a, amount: 12 },
      { contactId: a, amount: 13 },
      { contactId: a, amount: 14 },
      { contactId: b, amount: 20 },
    ]);
    await expect.poll(() => subscriber.subscriber.latest.size, POLL).toBe(2);
    expect(receivedFor(subscriber, a)).toEqual([expect.objectContaining({ balance: 14, version: 1, definitionId: 1 })]);
    expect(receivedFor(subscriber, b)).toEqual([expect.objectContaining({ balance: 20, version: 1 })]);
    const event = latestOf(subscriber, a)!;
    expect(event).not.toHaveProperty('balanceExpires');
    expect(Date.parse(event.changedAt)).toBeGreaterThan(0);

    // The nightly full sync of the same balances: the batch is final, so is its outbox, and it holds nothing new.
    // The subscriber has the events before their outcome is recorded: the outbox is read once both are Delivered.
    await expect.poll(async () => (await outbox(tenant, subscriber)).map((row) => row.state), POLL).toEqual(['Delivered', 'Delivered']);
    const before = await outbox(tenant, subscriber);
    await pushBalances(tenant, [
      { contactId: a, amount: 14 },
      { contactId: b, amount: 20 },
    ]);
    expect(await outbox(tenant, subscriber)).toEqual(before);
    expect(before.every((row) => row.version === 1)).toBe(true);
  });

  it('transaction applies carry balanceExpires; time passing (lots turning active, expiring) is found by the maintenance pass', async () => {
    const tenant = await createTenant(system.app, { mode: 'all-transaction' });
    const subscriber = await subscribed(tenant);
    const contactId = randomUUID();
    const soon = new Date(Date.now() + 1500).toISOString();
    const expires = new Date(Date.now() + 3000).toISOString();
    await pushTransactions(tenant, [
      { contactId, definitionId: 1, amount: 100, source: 'Purchase', description: 'Jeans' },
      { contactId, definitionId: 1, amount: 40, source: 'Purchase', description: 'Shirt', validFrom: soon, validTo: expires },
    ]);
    await expect.poll(() => receivedFor(subscriber, contactId).length, POLL).toBeGreaterThanOrEqual(1);
    expect(receivedFor(subscriber, contactId)[0]).toMatchObject({ balance: 100, version: 1 });
    expect(receivedFor(subscriber, contactId)[0]).not.toHaveProperty('balanceExpires');

    // The shirt's points turn active at `soon`, and what is left of them expires at `expires`.
    await expect.poll(() => receivedFor(subscriber, contactId).length, POLL).toBe(3);
    const [, active, expired] = receivedFor(subscriber, contactId);
    expect(active).toMatchObject({ balance: 140, version: 2, balanceExpires: expires, changedAt: soon });
    expect(expired).toMatchObject({ balance: 100, version: 3, changedAt: expires });
    expect(expired).not.toHaveProperty('balanceExpires');
  });

  it('a mode switch announces the accounts whose served figures it changed, and only those', async () => {
    const tenant = await createTenant(system.app, { mode: 'all-transaction' });
    const subscriber = await subscribed(tenant);
    const [expiring, lasting] = [randomUUID(), randomUUID()];
    const inADay = new Date(Date.now() + 86_400_000).toISOString();
    await pushTransactions(tenant, [
      { contactId: expiring, definitionId: 1, amount: 100, source: 'Purchase', description: 'Jeans' },
      { contactId: expiring, definitionId: 1, amount: 40, source: 'Automation', description: 'Campaign', validTo: inADay },
      { contactId: lasting, definitionId: 1, amount: 50, source: 'Purchase', description: 'Shirt' },
    ]);
    await expect.poll(() => latestOf(subscriber, expiring), POLL).toMatchObject({ balance: 140, version: 1, balanceExpires: inADay });
    await expect.poll(() => latestOf(subscriber, lasting), POLL).toMatchObject({ balance: 50, version: 1 });

    await adminCall(system.app, 'PATCH', `/tenants/${tenant.id}`, { mode: 'balance-only' }, 200);
    // Balance-only figures have no expiry: the balance stays, balanceExpires goes.
    await expect.poll(() => latestOf(subscriber, expiring), POLL).toMatchObject({ balance: 140, version: 2 });
    expect(latestOf(subscriber, expiring)).not.toHaveProperty('balanceExpires');
    // Written in the switch's own transaction: the account whose figures stayed has no second version.
    const versions = (await outbox(tenant, subscriber)).map((row) => row.version).sort();
    expect(versions).toEqual([1, 2]);
  });

  it('a change committing while the first subscription is made is its starting point, never lost between the two', async () => {
    const tenant = await createTenant(system.app);
    const contactId = randomUUID();
    await pushBalances(tenant, [{ contactId, amount: 70 }]);
    // A push's apply, held open between its announcement (no subscriber yet) and its commit.
    let announced!: () => void;
    let release!: () => void;
    const atAnnouncement = new Promise<void>((resolve) => (announced = resolve));
    const released = new Promise<void>((resolve) => (release = resolve));
    const applying = system.runtime.db.transaction(async (tx) => {
      await tx.pointAccounts.setBalances(tenant.id, randomUUID(), [{ contactId, definitionId: 1, amount: 90, timeStamp: nextTime(), index: 0 }]);
      const subscriptions = await tx.balanceEvents.record(tenant.id, { keys: [{ contactId, definitionId: 1 }] }, new Date());
      announced();
      await released;
      return subscriptions;
    });
    await atAnnouncement;
    const creating = subscribed(tenant);
    // The new subscription waits for the apply to commit.
    const waiting = async () =>
      (
        await system.runtime.pool.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND wait_event = 'advisory'`,
        )
      ).rows[0]!.n;
    await expect.poll(waiting, POLL).toBe(1);
    release();
    expect(await applying).toEqual([]);
    const subscriber = await creating;
    // Its starting point holds the applied 90, so it is not owed an event for it; the next change reaches it.
    const { rows } = await system.runtime.pool.query(`SELECT balance FROM account_event_state WHERE tenant_id = $1`, [tenant.id]);
    expect(rows).toEqual([{ balance: 90 }]);
    await pushBalances(tenant, [{ contactId, amount: 95 }]);
    await expect.poll(() => latestOf(subscriber, contactId), POLL).toMatchObject({ balance: 95 });
  });

  it('a reconciliation repair sends the repaired figure', async () => {
    const tenant = await createTenant(system.app);
    const contactId = randomUUID();
    await pushBalances(tenant, [{ contactId, amount: 70 }]);
    const subscriber = await subscribed(tenant);
    const base = '/api/v2/point-accounts/reconciliations';
    const opened = await system.app.inject({
      method: 'POST',
      url: base,
      headers: tenant.headers,
      payload: { asOf: nextTime(), scope: 'Listed', repair: true },
    });
    expect(opened.statusCode, opened.body).toBe(201);
    const id = opened.json().id;
    const listed = await system.app.inject({
      method: 'POST',
      url: `${base}/${id}/accounts`,
      headers: tenant.headers,
      payload: [{ contactId, definitionId: 1, balance: 75 }],
    });
    expect(listed.statusCode, listed.body).toBe(200);
    expect((await system.app.inject({ method: 'POST', url: `${base}/${id}/complete`, headers: tenant.headers })).statusCode).toBe(202);
    await expect.poll(() => latestOf(subscriber, contactId), POLL).toMatchObject({ balance: 75, version: 1 });
  });

  it('several subscribers each get every event; none of them is the master, whose webhook is unaffected', async () => {
    const tenant = await createTenant(system.app);
    const [one, two] = [await subscribed(tenant), await subscribed(tenant)];
    const contactId = randomUUID();
    await pushBalances(tenant, [{ contactId, amount: 3 }]);
    await expect.poll(() => [latestOf(one, contactId)?.balance, latestOf(two, contactId)?.balance], POLL).toEqual([3, 3]);
    const deliveries = (await adminCall(system.app, 'GET', `/tenants/${tenant.id}/deliveries`, undefined, 200)).json();
    expect(deliveries.totalCount).toBe(0);
  });
});

describe('the outbox', () => {
  it('in order per account: after an outage only the newest figure is sent, superseded ones never', async () => {
    const tenant = await createTenant(system.app);
    const subscriber = await subscribed(tenant);
    const contactId = randomUUID();
    subscriber.answer = 503;
    await pushBalances(tenant, [{ contactId, amount: 1 }]);
    await expect.poll(() => subscriber.requests, POLL).toBeGreaterThan(0);
    await pushBalances(tenant, [{ contactId, amount: 2 }]);
    await pushBalances(tenant, [{ contactId, amount: 3 }]);
    const [row] = await outbox(tenant, subscriber);
    expect(row).toMatchObject({ version: 3, balance: 3 });
    subscriber.answer = 204;
    await expect.poll(() => latestOf(subscriber, contactId), POLL).toMatchObject({ balance: 3, version: 3 });
    expect(receivedFor(subscriber, contactId).map((event) => event.balance)).toEqual([3]);
    expect(subscriber.subscriber.outOfOrder).toBe(0);
  });

  it('a 410 makes a dead letter at once; replay sends it again', async () => {
    const tenant = await createTenant(system.app);
    const subscriber = await subscribed(tenant);
    const contactId = randomUUID();
    subscriber.answer = 410;
    await pushBalances(tenant, [{ contactId, amount: 9 }]);
    await expect.poll(async () => (await outbox(tenant, subscriber))[0]?.state, POLL).toBe('Failed');
    subscriber.answer = 204;
    const replayed = await adminCall(system.app, 'POST', `/tenants/${tenant.id}/subscriptions/${subscriber.subscriptionId}/replay`, undefined, 200);
    expect(replayed.json()).toEqual({ replayed: 1 });
    await expect.poll(() => latestOf(subscriber, contactId), POLL).toMatchObject({ balance: 9, version: 1 });
    const detail = (await adminCall(system.app, 'GET', `/tenants/${tenant.id}/subscriptions/${subscriber.subscriptionId}`, undefined, 200)).json();
    expect(detail.outbox).toEqual({ pending: 0, retrying: 0, delivered: 1, failed: 0 });
    // Both outcomes are counted for Prometheus.
    const metrics = (await system.app.inject({ url: '/metrics' })).body;
    expect(metrics).toMatch(/pf_balance_event_attempts_total\{outcome="Failed"\} [1-9]/);
    expect(metrics).toMatch(/pf_balance_event_attempts_total\{outcome="Delivered"\} [1-9]/);
  });

  it('batch mode sends an array of envelopes per request; encrypted subscriptions get the payload encrypted with the tenant key', async () => {
    const tenant = await createTenant(system.app);
    const webhook = (await adminCall(system.app, 'PUT', `/tenants/${tenant.id}/webhook`, { url: 'https://master.example/hook' }, 200)).json();
    const batch = await subscribed(tenant, { batch: true, encrypted: true, encryptionKey: webhook.encryptionKey });
    const plain = await subscribed(tenant);
    const contacts = Array.from({ length: 25 }, () => randomUUID());
    await pushBalances(
      tenant,
      contacts.map((contactId, i) => ({ contactId, amount: i + 1 })),
    );
    await expect.poll(() => [batch.subscriber.latest.size, plain.subscriber.latest.size], POLL).toEqual([25, 25]);
    expect(batch.bodies).toHaveLength(1);
    const envelopes = JSON.parse(batch.bodies[0]!);
    expect(envelopes).toHaveLength(25);
    expect(envelopes[0]).toEqual({
      eventType: 'point.balance.updated',
      id: expect.any(String),
      isEncrypted: true,
      payload: expect.any(String),
      tenant: tenant.name,
    });
    expect(plain.bodies).toHaveLength(25);
    expect(JSON.parse(plain.bodies[0]!)).toMatchObject({
      eventType: 'point.balance.updated',
      isEncrypted: false,
      payload: { accountId: expect.any(Number) },
      tenant: tenant.name,
    });
  });
});
