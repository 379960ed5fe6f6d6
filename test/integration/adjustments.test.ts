import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { automation, manual } from '../support/adjustments.ts';
import { ADMIN_TOKEN, adminPost, createTenant, startSystem, type TestSystem } from '../support/system.ts';

type Tenant = Awaited<ReturnType<typeof createTenant>>;

let system: TestSystem;
beforeAll(async () => {
  system = await startSystem(); // no worker: these tests look at what the API records, not at delivery
});
afterAll(() => system?.close());

const post = (tenant: Tenant, payload: object, headers: Record<string, string> = {}) =>
  system.app.inject({ method: 'POST', url: '/api/v2/point-accounts/adjustments', headers: { ...tenant.headers, ...headers }, payload });
/** A job for the delivery is waiting in the queue (no worker runs here to take it). */
const queuedFor = async (deliveryId: string) =>
  (await system.runtime.webhookQueue.getJobs(['waiting', 'prioritized', 'delayed'])).some((job) => job.data.deliveryId === deliveryId);
const get = (tenant: Tenant, url: string) => system.app.inject({ url: `/api/v2/point-accounts/adjustments${url}`, headers: tenant.headers });

describe('POST /api/v2/point-accounts/adjustments', () => {
  it('records an automation adjustment and answers 202 with its delivery state; the balance does not change', async () => {
    const tenant = await createTenant(system.app);
    const contact = randomUUID();
    const response = await post(tenant, automation(contact));
    expect(response.statusCode, response.body).toBe(202);
    const body = response.json();
    expect(body).toEqual({
      id: expect.any(String),
      ...automation(contact), // every field sent comes back as sent
      createdOn: expect.any(String),
      eventId: expect.any(String),
      deliveryState: 'AwaitingConfiguration',
      attempts: 0,
      confirmation: 'Unconfirmed',
      links: [{ rel: 'self', href: `/api/v2/point-accounts/adjustments/${body.id}`, method: 'GET' }],
    });
    expect(response.headers.location).toBe(`/api/v2/point-accounts/adjustments/${body.id}`);
    expect((await get(tenant, `/${body.id}`)).json()).toEqual(body);

    const accounts = await system.app.inject({ url: `/api/v2/point-accounts?contactId=${contact}`, headers: tenant.headers });
    expect(accounts.json().totalCount).toBe(0);
  });

  it('records a manual adjustment with the user, and nothing of an automation', async () => {
    const tenant = await createTenant(system.app);
    const response = await post(tenant, { ...manual(randomUUID(), -20), reason: 'ignored' });
    expect(response.statusCode, response.body).toBe(202);
    const body = response.json();
    expect(body).toMatchObject({ source: 'Manual', amount: -20, userId: 'c23f28cb-d62d-42cf-9d11-b919198409ea', userName: 'Jimmy User' });
    expect(body).not.toHaveProperty('reason');
    expect(body).not.toHaveProperty('workflowId');
  });

  it('writes the adjustment and its outbox row together, Pending and queued once a webhook is set', async () => {
    const tenant = await createTenant(system.app);
    const put = await system.app.inject({
      method: 'PUT',
      url: `/admin/v1/tenants/${tenant.id}/webhook`,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      payload: { url: 'https://master.example/hooks' },
    });
    expect(put.statusCode).toBe(200);
    const body = (await post(tenant, automation(randomUUID()))).json();
    expect(body).toMatchObject({ deliveryState: 'Pending', attempts: 0, nextAttemptAt: body.createdOn });

    const { rows } = await system.runtime.pool.query(
      `SELECT d.id, d.state FROM point_adjustment a JOIN webhook_delivery d ON d.adjustment_id = a.id WHERE a.tenant_id = $1`,
      [tenant.id],
    );
    expect(rows).toEqual([{ id: body.eventId, state: 'Pending' }]);
    expect(await queuedFor(body.eventId)).toBe(true);
  });

  it('answers 400 naming an unknown definition, and stores nothing', async () => {
    const tenant = await createTenant(system.app, { definitions: [1] });
    const response = await post(tenant, { ...automation(randomUUID()), definitionId: 7 });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({
      title: 'Invalid request',
      detail: 'Unknown definitionId: point definition 7 does not exist for this tenant',
      errors: [{ path: 'definitionId', message: 'point definition 7 does not exist for this tenant' }],
    });
    const { rows } = await system.runtime.pool.query(`SELECT count(*) AS n FROM point_adjustment WHERE tenant_id = $1`, [tenant.id]);
    expect(rows[0].n).toBe(0);
  });

  it.each([
    ['a zero amount', { amount: 0 }, ['amount']],
    ['an amount with 5 decimal places', { amount: 1.00005 }, ['amount']],
    ['a contact that is not a uuid', { contactId: 'x' }, ['contactId']],
    ['an empty description', { description: '  ' }, ['description']],
  ])('answers 400 for %s', async (_name, change, paths) => {
    const tenant = await createTenant(system.app);
    const response = await post(tenant, { ...automation(randomUUID()), ...change });
    expect(response.statusCode).toBe(400);
    expect(response.json().errors.map((e: { path: string }) => e.path)).toEqual(paths);
  });

  it('requires the user for Manual and the automation fields for Automation', async () => {
    const tenant = await createTenant(system.app);
    const { userId: _u, userName: _n, ...anonymous } = manual(randomUUID());
    const noUser = await post(tenant, anonymous);
    expect(noUser.statusCode).toBe(400);
    expect(
      noUser
        .json()
        .errors.map((e: { path: string }) => e.path)
        .sort(),
    ).toEqual(['userId', 'userName']);

    const { processId: _p, ...noProcess } = automation(randomUUID());
    expect((await post(tenant, noProcess)).json().errors.map((e: { path: string }) => e.path)).toEqual(['processId']);
  });

  it('answers 400 for a source other than Manual or Automation', async () => {
    const tenant = await createTenant(system.app);
    const response = await post(tenant, { ...manual(randomUUID()), source: 'Purchase' });
    expect(response.statusCode).toBe(400);
    expect(response.json().errors[0].path).toBe('source');
  });

  it('refuses adjustments while the point system is switched off', async () => {
    const created = await adminPost(system.app, '/tenants', { name: `off-${randomUUID().slice(0, 8)}`, mode: 'balance-only', pointSystemActive: false });
    await adminPost(system.app, `/tenants/${created.id}/definitions`, { id: 1, name: 'Points' });
    const { key } = await adminPost(system.app, `/tenants/${created.id}/api-keys`, { name: 'ui' });
    const response = await post({ ...created, key, headers: { apikey: key } }, automation(randomUUID()));
    expect(response.statusCode).toBe(400);
    expect(response.json().title).toBe('New point system not active');
  });
});

describe('Idempotency-Key on adjustments', () => {
  const withWebhook = async () => {
    const tenant = await createTenant(system.app);
    await system.app.inject({
      method: 'PUT',
      url: `/admin/v1/tenants/${tenant.id}/webhook`,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      payload: { url: 'https://master.example/hooks' },
    });
    return tenant;
  };
  const recorded = async (tenant: Tenant) => {
    const { rows } = await system.runtime.pool.query(
      `SELECT a.id, d.id AS "deliveryId" FROM point_adjustment a JOIN webhook_delivery d ON d.adjustment_id = a.id WHERE a.tenant_id = $1`,
      [tenant.id],
    );
    return rows as { id: string; deliveryId: string }[];
  };

  it('records one adjustment with one webhook for 20 parallel requests with the same key and body', async () => {
    const tenant = await withWebhook();
    const body = automation(randomUUID());
    const answers = await Promise.all(Array.from({ length: 20 }, () => post(tenant, body, { 'idempotency-key': 'adjust-1' })));
    const created = answers.filter((a) => a.statusCode === 202);
    expect(created.length).toBeGreaterThanOrEqual(1);
    expect(answers.every((a) => a.statusCode === 202 || a.statusCode === 409)).toBe(true);
    expect(new Set(created.map((a) => a.json().id)).size).toBe(1);
    const rows = await recorded(tenant);
    expect(rows).toHaveLength(1);
    expect(await queuedFor(rows[0]!.deliveryId)).toBe(true);
  });

  it('replays the same adjustment for a retry with the same key and body, recording and sending nothing twice', async () => {
    const tenant = await withWebhook();
    const body = manual(randomUUID(), 25);
    const first = await post(tenant, body, { 'idempotency-key': 'lost-202' });
    expect(first.statusCode).toBe(202);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    const retry = await post(tenant, Object.fromEntries(Object.entries(body).reverse()), { 'idempotency-key': 'lost-202' });
    expect(retry.statusCode).toBe(202);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.headers.location).toBe(first.headers.location);
    expect(retry.json()).toEqual(first.json());
    expect(await recorded(tenant)).toHaveLength(1);
    // Without the key a retry is a new adjustment, as before.
    expect((await post(tenant, body)).json().id).not.toBe(first.json().id);
  });

  it('answers 422 for the same key with another body, 409 never once answered, and keeps keys per tenant', async () => {
    const tenant = await withWebhook();
    const contact = randomUUID();
    expect((await post(tenant, automation(contact, 10), { 'idempotency-key': 'k1' })).statusCode).toBe(202);
    const other = await post(tenant, automation(contact, 11), { 'idempotency-key': 'k1' });
    expect(other.statusCode).toBe(422);
    expect(other.json()).toMatchObject({ status: 422, title: 'Idempotency key reused' });
    expect(await recorded(tenant)).toHaveLength(1);
    const elsewhere = await withWebhook();
    expect((await post(elsewhere, automation(contact, 11), { 'idempotency-key': 'k1' })).statusCode).toBe(202);
  });

  it('frees the key when the request is refused, so the corrected retry goes ahead', async () => {
    const tenant = await withWebhook();
    const contact = randomUUID();
    const refused = await post(tenant, { ...automation(contact), definitionId: 999 }, { 'idempotency-key': 'fix-me' });
    expect(refused.statusCode).toBe(400);
    // The body differs from the refused one, but nothing was stored under the key.
    expect((await post(tenant, automation(contact), { 'idempotency-key': 'fix-me' })).statusCode).toBe(202);
  });

  it('refuses a malformed Idempotency-Key', async () => {
    const tenant = await withWebhook();
    const response = await post(tenant, automation(randomUUID()), { 'idempotency-key': 'has space' });
    expect(response.statusCode).toBe(400);
    expect(response.json().errors[0].path).toContain('idempotency-key');
  });
});

describe('reading adjustments', () => {
  it("lists a contact's adjustments newest first, paged", async () => {
    const tenant = await createTenant(system.app);
    const contact = randomUUID();
    const ids: string[] = [];
    for (const amount of [1, 2, 3, 4, 5]) ids.push((await post(tenant, automation(contact, amount))).json().id);
    await post(tenant, automation(randomUUID(), 99)); // another contact

    const first = (await get(tenant, `?contactId=${contact}&count=2`)).json();
    expect(first).toMatchObject({ totalCount: 5, offset: 0, count: 2 });
    expect(first.items.map((a: { amount: number }) => a.amount)).toEqual([5, 4]);
    expect(first.links.map((l: { rel: string }) => l.rel)).toEqual(['self', 'next']);
    const last = (await get(tenant, `?contactId=${contact}&offset=4&count=2`)).json();
    expect(last.items.map((a: { id: string }) => a.id)).toEqual([ids[0]]);
  });

  it("answers 404 for another tenant's adjustment and lists none of it", async () => {
    const owner = await createTenant(system.app);
    const other = await createTenant(system.app);
    const contact = randomUUID();
    const { id } = (await post(owner, automation(contact))).json();
    const response = await get(other, `/${id}`);
    expect(response.statusCode).toBe(404);
    expect(response.body).not.toContain(contact);
    expect((await get(other, `?contactId=${contact}`)).json().totalCount).toBe(0);
    expect((await get(owner, `/${randomUUID()}`)).statusCode).toBe(404);
  });
});
