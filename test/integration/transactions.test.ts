import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runLedgerMaintenance } from '../../src/jobs/ledger-maintenance.job.ts';
import { DAY, HOUR, manualClock } from '../support/clock.ts';
import { ADMIN_TOKEN, createTenant, startSystem, type TestSystem, waitForBatch } from '../support/system.ts';

const clock = manualClock('2030-01-10T12:00:00.000Z');
let system: TestSystem;
beforeAll(async () => {
  system = await startSystem({}, { clock });
  await system.startWorker();
});
afterAll(() => system?.close());

type Tenant = Awaited<ReturnType<typeof createTenant>>;

const later = (ms: number) => new Date(clock.now().getTime() + ms).toISOString();

const row = (contactId: string, amount: number, extra: Record<string, unknown> = {}) => ({
  contactId,
  amount,
  definitionId: 1,
  source: 'Purchase',
  description: 'Gilded gauntlets',
  ...extra,
});

const post = (tenant: Tenant, payload: unknown, headers: Record<string, string> = {}) =>
  system.app.inject({ method: 'POST', url: '/api/v2/point-accounts/transactions', headers: { ...tenant.headers, ...headers }, payload: payload as object });

async function postAndWait(tenant: Tenant, payload: unknown, headers: Record<string, string> = {}) {
  const response = await post(tenant, payload, headers);
  expect(response.statusCode, response.body).toBe(202);
  await waitForBatch(system.app, tenant.headers, response.json().id);
  return response.json();
}

async function accountOf(tenant: Tenant, contactId: string, definitionId = 1) {
  const response = await system.app.inject({ url: `/api/v2/point-accounts?contactId=${contactId}`, headers: tenant.headers });
  expect(response.statusCode, response.body).toBe(200);
  return response.json().items.find((a: { definitionId: number }) => a.definitionId === definitionId);
}

const get = (tenant: Tenant, url: string) => system.app.inject({ url, headers: tenant.headers });

const admin = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: unknown) =>
  system.app.inject({
    method,
    url: `/admin/v1${url}`,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    ...(payload ? { payload: payload } : {}),
  });

async function batchCount(tenant: Tenant): Promise<number> {
  const { rows } = await system.runtime.pool.query(`SELECT count(*) AS n FROM ingest_batch WHERE tenant_id = $1`, [tenant.id]);
  return rows[0].n;
}

async function entryCount(tenant: Tenant, type?: string): Promise<number> {
  const { rows } = await system.runtime.pool.query(`SELECT count(*) AS n FROM ledger_entry WHERE tenant_id = $1 AND ($2::text IS NULL OR type::text = $2)`, [
    tenant.id,
    type ?? null,
  ]);
  return rows[0].n;
}

const allTransaction = (options: { definitions?: number[]; requireKnownContacts?: boolean } = {}) =>
  createTenant(system.app, { mode: 'all-transaction', ...options });

describe('POST /api/v2/point-accounts/transactions', () => {
  it('stores immediate, pending and expiring points and answers in Engage shape with a Location', async () => {
    const tenant = await allTransaction();
    const contact = randomUUID();
    const response = await post(tenant, [
      row(contact, 100),
      row(contact, 40, { validFrom: later(2 * DAY) }),
      row(contact, 25, { validTo: later(5 * DAY), timeStamp: '2030-01-09T10:00:00+01:00' }),
      row(contact, -30, { source: 'Return', description: 'Returned gauntlets' }),
    ]);
    expect(response.statusCode).toBe(202);
    const body = response.json();
    expect(body).toEqual({
      id: expect.any(String),
      notAccepted: [],
      errorMessages: [],
      missingDefinitionIds: [],
      missingContactIds: [],
      duplicates: [],
      duplicateCount: 0,
    });
    expect(response.headers.location).toBe(`/api/v2/point-accounts/transactions/status/${body.id}`);

    const status = await waitForBatch(system.app, tenant.headers, body.id);
    expect(status).toMatchObject({ status: 'Completed', itemCount: 4, appliedCount: 4, skippedCount: 0, messages: [] });
    expect((await get(tenant, response.headers.location as string)).json()).toEqual(status);

    // The return used up the 25 first, the soonest to expire: nothing is left to expire.
    const account = await accountOf(tenant, contact);
    expect(account).toMatchObject({ balance: 95, pendingPoints: 40 });
    expect(account).not.toHaveProperty('balanceExpires');
    expect(await entryCount(tenant)).toBe(4);
  });

  it('a bad row does not fail the request: refuses a contactId that is not a uuid, applies the rest', async () => {
    const tenant = await allTransaction();
    const contact = randomUUID();
    const bad = row('111111fa6-103b-459b-8d01-b6c000e8e26a', 12);
    const body = await postAndWait(tenant, [row(contact, 5), bad]);
    expect(body).toMatchObject({ notAccepted: [bad], errorMessages: ['Row [1].contactId: must be a uuid'], missingDefinitionIds: [], missingContactIds: [] });
    expect((await accountOf(tenant, contact)).balance).toBe(5);
    expect(await entryCount(tenant)).toBe(1);
  });

  it('refuses an amount of zero', async () => {
    const tenant = await allTransaction();
    const bad = row(randomUUID(), 0);
    const body = await postAndWait(tenant, [bad, row(randomUUID(), 1)]);
    expect(body).toMatchObject({ notAccepted: [bad], errorMessages: ['Row [0].amount: must not be zero'] });
  });

  it('refuses an amount with more than 4 decimal places', async () => {
    const tenant = await allTransaction();
    const bad = row(randomUUID(), 2.50001);
    const body = await postAndWait(tenant, [row(randomUUID(), 1), bad]);
    expect(body).toMatchObject({ notAccepted: [bad], errorMessages: ['Row [1].amount: must have at most 4 decimal places'] });
  });

  it('refuses a row without source', async () => {
    const tenant = await allTransaction();
    const { source: _, ...bad } = row(randomUUID(), 3);
    const body = await postAndWait(tenant, [bad, row(randomUUID(), 1)]);
    expect(body).toMatchObject({ notAccepted: [bad], errorMessages: ['Row [0].source: is required'] });
  });

  it('refuses an empty description', async () => {
    const tenant = await allTransaction();
    const bad = row(randomUUID(), 3, { description: '   ' });
    const body = await postAndWait(tenant, [bad, row(randomUUID(), 1)]);
    expect(body).toMatchObject({ notAccepted: [bad], errorMessages: ['Row [0].description: must not be empty'] });
  });

  it('refuses a validTo that is not after validFrom', async () => {
    const tenant = await allTransaction();
    const bad = row(randomUUID(), 3, { validFrom: '2030-03-01T00:00:00Z', validTo: '2030-02-01T00:00:00Z' });
    const body = await postAndWait(tenant, [row(randomUUID(), 1), bad]);
    expect(body).toMatchObject({ notAccepted: [bad], errorMessages: ['Row [1].validTo: must be after validFrom (2030-03-01T00:00:00.000Z)'] });
  });

  it('echoes a refused row with only the fields whose values fit the model: no null, no wrongly typed value', async () => {
    const tenant = await allTransaction();
    const contact = randomUUID();
    const nullValidTo = row(contact, 0, { validTo: null, validFrom: '2030-01-01T00:00:00Z' });
    const textAmount = row(contact, 1, { amount: '5', definitionId: '1', extra: 'kept out' });
    const body = await postAndWait(tenant, [nullValidTo, textAmount, 'not a row', row(contact, 2)]);
    expect(body.notAccepted).toEqual([
      { contactId: contact, amount: 0, definitionId: 1, source: 'Purchase', description: 'Gilded gauntlets', validFrom: '2030-01-01T00:00:00Z' },
      { contactId: contact, source: 'Purchase', description: 'Gilded gauntlets' },
      {},
    ]);
    expect(JSON.stringify(body)).not.toContain('null');
    expect(body.errorMessages).toEqual([
      'Row [0].amount: must not be zero',
      'Row [1].amount: must be a non-zero number with at most 4 decimal places',
      'Row [1].definitionId: must be a positive integer',
      'Row [2]: must be an object',
    ]);
    expect((await accountOf(tenant, contact)).balance).toBe(2);
  });

  it('refuses rows with an unknown definitionId and lists the id once in missingDefinitionIds', async () => {
    const tenant = await allTransaction({ definitions: [1, 2] });
    const contact = randomUUID();
    const rows = [row(contact, 1, { definitionId: 7 }), row(contact, 2, { definitionId: 2 }), row(contact, 3, { definitionId: 7 })];
    const body = await postAndWait(tenant, rows);
    expect(body).toMatchObject({
      notAccepted: [rows[0], rows[2]],
      errorMessages: ['Row [0].definitionId: unknown definitionId 7', 'Row [2].definitionId: unknown definitionId 7'],
      missingDefinitionIds: [7],
      missingContactIds: [],
    });
    expect((await accountOf(tenant, contact, 2)).balance).toBe(2);
    expect(await entryCount(tenant)).toBe(1);
  });

  it('refuses unknown contacts when the tenant requires known contacts', async () => {
    const tenant = await allTransaction({ requireKnownContacts: true });
    const [known, unknown] = [randomUUID(), randomUUID()];
    expect((await admin('POST', `/tenants/${tenant.id}/contacts`, { contactIds: [known] })).json()).toEqual({ added: 1, alreadyKnown: 0 });
    const rows = [row(known, 10), row(unknown, 20)];
    const body = await postAndWait(tenant, rows);
    expect(body).toMatchObject({ notAccepted: [rows[1]], errorMessages: [`Row [1].contactId: unknown contact ${unknown}`], missingContactIds: [unknown] });
    expect((await accountOf(tenant, known)).balance).toBe(10);
    expect(await accountOf(tenant, unknown)).toBeUndefined();
  });

  it('does not check contacts when the tenant does not require known contacts', async () => {
    const tenant = await allTransaction();
    const body = await postAndWait(tenant, [row(randomUUID(), 10)]);
    expect(body.missingContactIds).toEqual([]);
    expect(body.notAccepted).toEqual([]);
  });

  it('answers 202 when every row is refused, storing a batch that is already final and applying nothing', async () => {
    const tenant = await allTransaction();
    const rows = [row(randomUUID(), 0), row(randomUUID(), 1, { definitionId: 99 })];
    const response = await post(tenant, rows);
    expect(response.statusCode).toBe(202);
    const body = response.json();
    expect(body).toMatchObject({ notAccepted: rows, missingDefinitionIds: [99] });
    const status = (await get(tenant, response.headers.location as string)).json();
    expect(status).toMatchObject({ id: body.id, status: 'CompletedWithErrors', itemCount: 2, appliedCount: 0, skippedCount: 2 });
    expect(status.messages.map((m: { message: string }) => m.message)).toEqual(body.errorMessages);
    expect(await system.runtime.ingestQueue.getJob(body.id)).toBeUndefined();
    expect(await entryCount(tenant)).toBe(0);
  });

  it('answers 400 Too many items above 1000 and stores nothing', async () => {
    const tenant = await allTransaction();
    const response = await post(
      tenant,
      Array.from({ length: 1001 }, () => row(randomUUID(), 1)),
    );
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ title: 'Too many items', status: 400, detail: 'A batch holds at most 1000 items; this one has 1001' });
    expect(await batchCount(tenant)).toBe(0);
  });

  it('answers 400 New point system not active for a balance-only tenant', async () => {
    const tenant = await createTenant(system.app, { mode: 'balance-only' });
    const response = await post(tenant, [row(randomUUID(), 1)]);
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({
      title: 'New point system not active',
      status: 400,
      detail: `Tenant ${tenant.name} is in balance-only mode; transactions are accepted only in all-transaction mode`,
    });
    expect(await batchCount(tenant)).toBe(0);
  });

  it('answers 400 New point system not active when the point system is switched off', async () => {
    const tenant = await allTransaction();
    expect((await admin('PATCH', `/tenants/${tenant.id}`, { pointSystemActive: false })).statusCode).toBe(200);
    const response = await post(tenant, [row(randomUUID(), 1)]);
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ title: 'New point system not active', detail: `The point system of tenant ${tenant.name} is switched off` });
    expect(await batchCount(tenant)).toBe(0);
  });

  it('answers 400 for a body that is not an array, or an empty one', async () => {
    const tenant = await allTransaction();
    expect((await post(tenant, row(randomUUID(), 1))).json()).toMatchObject({ status: 400, title: 'Invalid request' });
    expect((await post(tenant, [])).json()).toMatchObject({ status: 400, errors: [{ path: 'body', message: 'must contain at least one item' }] });
  });

  it('refuses a malformed Idempotency-Key header', async () => {
    const tenant = await allTransaction();
    const response = await post(tenant, [row(randomUUID(), 1)], { 'idempotency-key': 'x'.repeat(256) });
    expect(response.statusCode).toBe(400);
    expect(response.json().errors[0].path).toBe('headers.idempotency-key');
  });
});

describe('balances derived from the ledger as time passes', () => {
  it('turns pending points active and lets points expire without any request, and records Expiry entries', async () => {
    const tenant = await allTransaction();
    const contact = randomUUID();
    const start = clock.now();
    await postAndWait(tenant, [
      row(contact, 10),
      row(contact, 20, { validFrom: later(1 * DAY), validTo: later(3 * DAY) }),
      row(contact, 30, { validTo: later(2 * DAY) }),
    ]);
    const expect0 = { balance: 40, pendingPoints: 20, balanceExpires: later(2 * DAY) };
    expect(await accountOf(tenant, contact)).toMatchObject(expect0);

    try {
      clock.advance(1 * DAY);
      expect(await accountOf(tenant, contact)).toMatchObject({
        balance: 60,
        pendingPoints: 0,
        balanceExpires: new Date(start.getTime() + 2 * DAY).toISOString(),
      });

      clock.advance(1 * DAY); // the 30 lapse exactly now
      expect(await accountOf(tenant, contact)).toMatchObject({
        balance: 30,
        pendingPoints: 0,
        balanceExpires: new Date(start.getTime() + 3 * DAY).toISOString(),
      });
      // The maintenance pass records the expiry once, however often it runs.
      const expiries = async () => {
        const { id } = await accountOf(tenant, contact);
        const { items } = (await get(tenant, `/api/v2/point-accounts/transactions?accountId=${id}`)).json();
        return items.filter((t: { type: string }) => t.type === 'Expiry').map((t: { amount: number }) => t.amount);
      };
      expect(await expiries()).toEqual([]);
      await runLedgerMaintenance(system.runtime);
      expect(await expiries()).toEqual([-30]);
      await runLedgerMaintenance(system.runtime);
      expect(await expiries()).toEqual([-30]);
      expect(await accountOf(tenant, contact)).toMatchObject({ balance: 30 });

      clock.advance(1 * DAY);
      await runLedgerMaintenance(system.runtime);
      expect(await accountOf(tenant, contact)).toMatchObject({ balance: 10, pendingPoints: 0 });
      expect(await accountOf(tenant, contact)).not.toHaveProperty('balanceExpires');

      const account = await accountOf(tenant, contact);
      const history = (await get(tenant, `/api/v2/point-accounts/transactions?accountId=${account.id}`)).json();
      expect(
        history.items
          .filter((t: { type: string }) => t.type === 'Expiry')
          .map((t: { amount: number; transactionDate: string }) => [t.amount, t.transactionDate]),
      ).toEqual([
        [-20, new Date(start.getTime() + 3 * DAY).toISOString()],
        [-30, new Date(start.getTime() + 2 * DAY).toISOString()],
      ]);
    } finally {
      clock.set(start);
    }
  });
});

describe('GET /api/v2/point-accounts/transactions', () => {
  it('lists newest first with All, Active and Pending filters and paging links', async () => {
    const tenant = await allTransaction({ definitions: [1, 2] });
    const contact = randomUUID();
    const now = clock.now().getTime();
    const day = (n: number) => new Date(now + n * DAY).toISOString();
    await postAndWait(tenant, [
      row(contact, 1, { timeStamp: day(-5) }),
      row(contact, 2, { timeStamp: day(-4), validFrom: day(3) }),
      row(contact, 3, { timeStamp: day(-3), validFrom: day(-10), validTo: day(-1) }),
      // Counting from now: without validFrom it would count from its timeStamp, and take the 3 before that expires.
      row(contact, -4, { timeStamp: day(-2), validFrom: day(0) }),
      row(contact, 5, { timeStamp: day(-1), validFrom: day(1), validTo: day(9) }),
      row(contact, 6, { timeStamp: day(-6), definitionId: 2 }),
    ]);
    const account = await accountOf(tenant, contact);
    const amounts = async (query: string) => {
      const response = await get(tenant, `/api/v2/point-accounts/transactions?${query}`);
      expect(response.statusCode, response.body).toBe(200);
      return response.json();
    };

    // The 3 had expired whole before it arrived: its Expiry entry (dated its validTo, newest by id) is written with it.
    const all = await amounts(`accountId=${account.id}`);
    expect(all.items.map((t: { amount: number }) => t.amount)).toEqual([-3, 5, -4, 3, 2, 1]);
    expect(all).toMatchObject({ totalCount: 6, offset: 0, count: 100 });
    expect((await amounts(`accountId=${account.id}&filter=Active`)).items.map((t: { amount: number }) => t.amount)).toEqual([-4, 1]);
    expect((await amounts(`contactId=${contact}&definitionId=1&filter=Pending`)).items.map((t: { amount: number }) => t.amount)).toEqual([5, 2]);
    expect((await amounts(`contactId=${contact.toUpperCase()}&definitionId=2`)).items.map((t: { amount: number }) => t.amount)).toEqual([6]);

    const page = await amounts(`accountId=${account.id}&offset=2&count=2`);
    expect(page.items.map((t: { amount: number }) => t.amount)).toEqual([-4, 3]);
    expect(page).toMatchObject({ totalCount: 6, offset: 2, count: 2 });
    expect(page.links).toEqual([
      { rel: 'self', href: `/api/v2/point-accounts/transactions?accountId=${account.id}&filter=All&offset=2&count=2`, method: 'GET' },
      { rel: 'next', href: `/api/v2/point-accounts/transactions?accountId=${account.id}&filter=All&offset=4&count=2`, method: 'GET' },
      { rel: 'previous', href: `/api/v2/point-accounts/transactions?accountId=${account.id}&filter=All&offset=0&count=2`, method: 'GET' },
    ]);
  });

  it('serves one transaction as a PointTransaction', async () => {
    const tenant = await allTransaction();
    const contact = randomUUID();
    await postAndWait(tenant, [
      row(contact, 12, { timeStamp: '2023-06-01T08:40:51.658Z', validFrom: '2023-06-16T08:40:51.658Z', validTo: '2099-06-16T08:40:51.658Z' }),
    ]);
    const account = await accountOf(tenant, contact);
    const listed = (await get(tenant, `/api/v2/point-accounts/transactions?accountId=${account.id}`)).json().items[0];
    const response = await get(tenant, `/api/v2/point-accounts/transactions/${listed.id}`);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      id: listed.id,
      accountId: account.id,
      amount: 12,
      type: 'Addition',
      source: 'Purchase',
      description: 'Gilded gauntlets',
      transactionDate: '2023-06-01T08:40:51.658Z',
      validFrom: '2023-06-16T08:40:51.658Z',
      validTo: '2099-06-16T08:40:51.658Z',
      createdOn: clock.now().toISOString(),
      modifiedOn: clock.now().toISOString(),
      links: [
        { rel: 'self', href: `/api/v2/point-accounts/transactions/${listed.id}`, method: 'GET' },
        { rel: 'account', href: `/api/v2/point-accounts/${account.id}`, method: 'GET' },
      ],
    });
    expect(listed).toEqual(response.json());
  });

  it('answers 400 unless given accountId or contactId with definitionId', async () => {
    const tenant = await allTransaction();
    for (const query of ['', `contactId=${randomUUID()}`, 'definitionId=1', 'accountId=1&filter=Expired']) {
      const response = await get(tenant, `/api/v2/point-accounts/transactions?${query}`);
      expect(response.statusCode, query).toBe(400);
    }
  });

  it('lets accountId win over contactId and definitionId, as Engage documents', async () => {
    const tenant = await allTransaction({ definitions: [1, 2] });
    const [contact, other] = [randomUUID(), randomUUID()];
    await postAndWait(tenant, [row(contact, 7), row(other, 9, { definitionId: 2 })]);
    const account = await accountOf(tenant, contact);
    const response = await get(tenant, `/api/v2/point-accounts/transactions?accountId=${account.id}&contactId=${other}&definitionId=2`);
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json().items).toEqual([expect.objectContaining({ accountId: account.id, amount: 7 })]);
    expect(response.json().links[0].href).toBe(`/api/v2/point-accounts/transactions?accountId=${account.id}&filter=All&offset=0&count=100`);
    // The ignored pair need not name an account at all.
    const unknownPair = await get(tenant, `/api/v2/point-accounts/transactions?accountId=${account.id}&contactId=${randomUUID()}&definitionId=99`);
    expect(unknownPair.json().totalCount).toBe(1);
  });

  it("answers 404 for another tenant's account, transaction and batch, and for unknown ones; its contact's list is empty", async () => {
    const owner = await allTransaction();
    const other = await allTransaction();
    const contact = randomUUID();
    const batch = await postAndWait(owner, [row(contact, 7)]);
    const account = await accountOf(owner, contact);
    const entry = (await get(owner, `/api/v2/point-accounts/transactions?accountId=${account.id}`)).json().items[0];

    // Another tenant's contact is, to this tenant, a contact without accounts: an empty list, as Engage answers.
    const byContact = await get(other, `/api/v2/point-accounts/transactions?contactId=${contact}&definitionId=1`);
    expect(byContact.statusCode).toBe(200);
    expect(byContact.json()).toMatchObject({ items: [], totalCount: 0 });
    for (const url of [
      `/api/v2/point-accounts/transactions?accountId=${account.id}`,
      `/api/v2/point-accounts/transactions/${entry.id}`,
      `/api/v2/point-accounts/transactions/status/${batch.id}`,
      `/api/v2/point-accounts/${account.id}`,
    ]) {
      const response = await get(other, url);
      expect(response.statusCode, url).toBe(404);
      expect(response.body).not.toContain(contact);
    }
    expect((await get(owner, `/api/v2/point-accounts/transactions/${entry.id + 1000}`)).statusCode).toBe(404);
  });
});

describe('Idempotency-Key', () => {
  it('replays the first answer for the same key and body and applies nothing twice', async () => {
    const tenant = await allTransaction();
    const contact = randomUUID();
    const rows = [row(contact, 10), row(contact, 0)];
    const first = await post(tenant, rows, { 'idempotency-key': 'order-1' });
    expect(first.statusCode).toBe(202);
    await waitForBatch(system.app, tenant.headers, first.json().id);

    // Same body with its keys in another order and other spacing is the same body.
    const reordered = rows.map((r) => Object.fromEntries(Object.entries(r).reverse()));
    const retry = await post(tenant, reordered, { 'idempotency-key': 'order-1' });
    expect(retry.statusCode).toBe(202);
    expect(retry.body).toBe(first.body); // byte for byte, rows as first sent
    expect(retry.headers.location).toBe(first.headers.location);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(await batchCount(tenant)).toBe(1);
    expect((await accountOf(tenant, contact)).balance).toBe(10);
  });

  it('answers 422 for the same key with another body', async () => {
    const tenant = await allTransaction();
    const contact = randomUUID();
    await postAndWait(tenant, [row(contact, 10)], { 'idempotency-key': 'k' });
    const response = await post(tenant, [row(contact, 11)], { 'idempotency-key': 'k' });
    expect(response.statusCode).toBe(422);
    expect(response.json()).toMatchObject({ status: 422, title: 'Idempotency key reused' });
    expect(await batchCount(tenant)).toBe(1);
  });

  it('keeps keys per tenant', async () => {
    const [a, b] = [await allTransaction(), await allTransaction()];
    const first = await postAndWait(a, [row(randomUUID(), 1)], { 'idempotency-key': 'shared' });
    const second = await postAndWait(b, [row(randomUUID(), 2)], { 'idempotency-key': 'shared' });
    expect(second.id).not.toBe(first.id);
  });

  it('answers 409 to a retry while the first request is still in flight, then replays its answer', async () => {
    const tenant = await allTransaction();
    const rows = [row(randomUUID(), 5)];
    // Hold the tenant row the way a mode switch does: the first request claims
    // the key, then waits to store its batch until the lock goes.
    const blocker = new pg.Client({ connectionString: system.runtime.config.databaseUrl });
    await blocker.connect();
    try {
      await blocker.query('BEGIN');
      await blocker.query('SELECT 1 FROM tenant WHERE id = $1 FOR NO KEY UPDATE', [tenant.id]);
      const first = post(tenant, rows, { 'idempotency-key': 'slow' });
      await expect.poll(async () => (await system.runtime.pool.query(`SELECT 1 FROM idempotency_key WHERE tenant_id = $1`, [tenant.id])).rowCount).toBe(1);

      const retry = await post(tenant, rows, { 'idempotency-key': 'slow' });
      expect(retry.statusCode).toBe(409);
      expect(retry.json()).toMatchObject({ status: 409, title: 'Request in progress' });

      await blocker.query('ROLLBACK');
      const answered = await first;
      expect(answered.statusCode).toBe(202);
      const replay = await post(tenant, rows, { 'idempotency-key': 'slow' });
      expect(replay.json()).toEqual(answered.json());
    } finally {
      await blocker.end();
    }
  });

  it('forgets keys after 24 hours (the worker cleans them up), after which the key starts afresh', async () => {
    const tenant = await allTransaction();
    const rows = [row(randomUUID(), 5)];
    const start = clock.now();
    try {
      const first = await postAndWait(tenant, rows, { 'idempotency-key': 'daily' });
      clock.advance(DAY - 1);
      expect((await runLedgerMaintenance(system.runtime)).expiredKeys).toBe(0);
      expect((await post(tenant, rows, { 'idempotency-key': 'daily' })).json().id).toBe(first.id);

      clock.advance(1);
      expect((await runLedgerMaintenance(system.runtime)).expiredKeys).toBeGreaterThanOrEqual(1);
      const { rowCount } = await system.runtime.pool.query(`SELECT 1 FROM idempotency_key WHERE tenant_id = $1`, [tenant.id]);
      expect(rowCount).toBe(0);
      const again = await postAndWait(tenant, rows, { 'idempotency-key': 'daily' });
      expect(again.id).not.toBe(first.id);
    } finally {
      clock.set(start);
    }
  });

  it('lets a retry take over a key whose request died without answering', async () => {
    const tenant = await allTransaction();
    await system.runtime.pool.query(
      `INSERT INTO idempotency_key (tenant_id, key, request_hash, claim_token, claimed_at, expires_at) VALUES ($1, 'orphan', 'x', $2, $3, $4)`,
      [tenant.id, randomUUID(), new Date(clock.now().getTime() - 2 * 60 * 1000), new Date(clock.now().getTime() + DAY)],
    );
    const response = await post(tenant, [row(randomUUID(), 1)], { 'idempotency-key': 'orphan' });
    expect(response.statusCode).toBe(202);
  });

  it('releases the key when the request fails, so a retry is not refused', async () => {
    const tenant = await allTransaction();
    await admin('PATCH', `/tenants/${tenant.id}`, { pointSystemActive: false });
    expect((await post(tenant, [row(randomUUID(), 1)], { 'idempotency-key': 'r' })).statusCode).toBe(400);
    await admin('PATCH', `/tenants/${tenant.id}`, { pointSystemActive: true });
    expect((await post(tenant, [row(randomUUID(), 1)], { 'idempotency-key': 'r' })).statusCode).toBe(202);
  });
});

describe('PATCH /admin/v1/tenants/{tenantId}', () => {
  const postBalances = (tenant: Tenant, items: unknown) =>
    system.app.inject({ method: 'POST', url: '/api/v2/point-accounts/balances', headers: tenant.headers, payload: items as object });

  it('balance-only -> all-transaction carries each balance into the ledger as one opening entry', async () => {
    const tenant = await createTenant(system.app, { mode: 'balance-only' });
    const [a, b, zero] = [randomUUID(), randomUUID(), randomUUID()];
    const balances = await postBalances(tenant, [
      { contactId: a, amount: 120, definitionId: 1, timeStamp: '2030-01-01T00:00:00Z' },
      { contactId: b, amount: -15, definitionId: 1, timeStamp: '2030-01-01T00:00:00Z' },
      { contactId: zero, amount: 0, definitionId: 1, timeStamp: '2030-01-01T00:00:00Z' },
    ]);
    await waitForBatch(system.app, tenant.headers, balances.json().id);

    const patched = await admin('PATCH', `/tenants/${tenant.id}`, { mode: 'all-transaction' });
    expect(patched.statusCode, patched.body).toBe(200);
    expect(patched.json()).toMatchObject({ id: tenant.id, mode: 'all-transaction', pointSystemActive: true, requireKnownContacts: false });

    expect(await accountOf(tenant, a)).toEqual(expect.objectContaining({ balance: 120, pendingPoints: 0 }));
    expect(await accountOf(tenant, a)).not.toHaveProperty('balanceExpires');
    expect(await accountOf(tenant, b)).toMatchObject({ balance: -15 });
    expect(await accountOf(tenant, zero)).toMatchObject({ balance: 0 });
    const history = (await get(tenant, `/api/v2/point-accounts/transactions?contactId=${a}&definitionId=1`)).json();
    expect(history.items).toEqual([expect.objectContaining({ amount: 120, type: 'Addition', source: 'OpeningBalance', validFrom: clock.now().toISOString() })]);
    expect(await entryCount(tenant)).toBe(2);

    await postAndWait(tenant, [row(a, 5)]);
    expect((await accountOf(tenant, a)).balance).toBe(125);
    expect((await postBalances(tenant, [{ contactId: a, amount: 1, definitionId: 1, timeStamp: '2030-01-02T00:00:00Z' }])).json().title).toBe(
      'Wrong point mode',
    );
  });

  it('all-transaction -> balance-only keeps the derived balance until the master sends the next one; the ledger stays readable', async () => {
    const tenant = await allTransaction();
    const contact = randomUUID();
    await postAndWait(tenant, [row(contact, 50), row(contact, 30, { validFrom: later(DAY) }), row(contact, 20, { validTo: later(2 * DAY) })]);

    const patched = await admin('PATCH', `/tenants/${tenant.id}`, { mode: 'balance-only' });
    expect(patched.statusCode, patched.body).toBe(200);
    expect(await accountOf(tenant, contact)).toMatchObject({ balance: 70, pendingPoints: 0 });
    expect(await accountOf(tenant, contact)).not.toHaveProperty('balanceExpires');
    const { rows } = await system.runtime.pool.query(
      `SELECT h.source, h.amount, h.balance FROM balance_history h JOIN point_account a ON a.id = h.account_id WHERE a.tenant_id = $1`,
      [tenant.id],
    );
    expect(rows).toEqual([{ source: 'ModeSwitch', amount: 70, balance: 70 }]);

    const history = (await get(tenant, `/api/v2/point-accounts/transactions?contactId=${contact}&definitionId=1`)).json();
    expect(history.totalCount).toBe(3);
    expect((await post(tenant, [row(contact, 1)])).json().title).toBe('New point system not active');

    const balance = await postBalances(tenant, [{ contactId: contact, amount: 10, definitionId: 1, timeStamp: clock.now().toISOString() }]);
    await waitForBatch(system.app, tenant.headers, balance.json().id);
    expect((await accountOf(tenant, contact)).balance).toBe(10);
  });

  it('switching back and forth leaves the balance where it was', async () => {
    const tenant = await allTransaction();
    const contact = randomUUID();
    await postAndWait(tenant, [row(contact, 50)]);
    await admin('PATCH', `/tenants/${tenant.id}`, { mode: 'balance-only' });
    const balance = await postBalances(tenant, [{ contactId: contact, amount: 80, definitionId: 1, timeStamp: clock.now().toISOString() }]);
    await waitForBatch(system.app, tenant.headers, balance.json().id);
    await admin('PATCH', `/tenants/${tenant.id}`, { mode: 'all-transaction' });
    expect((await accountOf(tenant, contact)).balance).toBe(80);
    const history = (await get(tenant, `/api/v2/point-accounts/transactions?contactId=${contact}&definitionId=1`)).json();
    expect(history.items.map((t: { amount: number; source: string }) => [t.source, t.amount])).toEqual([
      ['OpeningBalance', 30],
      ['Purchase', 50],
    ]);
  });

  it('refuses a mode switch with 409 while a batch is unfinished, and allows it once the batch is applied', async () => {
    const tenant = await allTransaction();
    await system.stopWorker();
    try {
      const response = await post(tenant, [row(randomUUID(), 1)]);
      expect(response.statusCode).toBe(202);
      const refused = await admin('PATCH', `/tenants/${tenant.id}`, { mode: 'balance-only' });
      expect(refused.statusCode).toBe(409);
      expect(refused.json().detail).toMatch(/still being applied/);
      // Settings other than the mode do not wait.
      expect((await admin('PATCH', `/tenants/${tenant.id}`, { requireKnownContacts: true })).json()).toMatchObject({
        requireKnownContacts: true,
        mode: 'all-transaction',
      });
      await system.startWorker();
      await waitForBatch(system.app, tenant.headers, response.json().id);
    } finally {
      await system.startWorker();
    }
    expect((await admin('PATCH', `/tenants/${tenant.id}`, { mode: 'balance-only' })).statusCode).toBe(200);
  });

  it('answers 404 for an unknown tenant and 400 for an empty change', async () => {
    expect((await admin('PATCH', `/tenants/${randomUUID()}`, { pointSystemActive: true })).statusCode).toBe(404);
    const tenant = await allTransaction();
    const empty = await admin('PATCH', `/tenants/${tenant.id}`, {});
    expect(empty.statusCode).toBe(400);
    expect((await admin('PATCH', `/tenants/${tenant.id}`, { mode: 'points-only' })).statusCode).toBe(400);
  });
});

describe('contact registry (admin API)', () => {
  it('imports 10,000 contacts at once, lists them with paging and forgets one', async () => {
    const tenant = await allTransaction({ requireKnownContacts: true });
    const ids: string[] = Array.from({ length: 10_000 }, () => randomUUID());
    const extra = randomUUID();
    const added = await admin('POST', `/tenants/${tenant.id}/contacts`, { contactIds: ids });
    expect(added.statusCode, added.body).toBe(200);
    expect(added.json()).toEqual({ added: 10_000, alreadyKnown: 0 });
    expect((await admin('POST', `/tenants/${tenant.id}/contacts`, { contactIds: [ids[0], ids[1], extra] })).json()).toEqual({ added: 1, alreadyKnown: 2 });

    const sorted = [...ids, extra].sort();
    const page = (await admin('GET', `/tenants/${tenant.id}/contacts?offset=10&count=5`)).json();
    expect(page).toMatchObject({ totalCount: 10_001, offset: 10, count: 5 });
    expect(page.items.map((c: { contactId: string }) => c.contactId)).toEqual(sorted.slice(10, 15));

    expect((await admin('DELETE', `/tenants/${tenant.id}/contacts/${sorted[0]}`)).statusCode).toBe(204);
    expect((await admin('DELETE', `/tenants/${tenant.id}/contacts/${sorted[0]}`)).statusCode).toBe(404);
    const body = await postAndWait(tenant, [row(sorted[0]!, 1), row(sorted[1]!, 1)]);
    expect(body.missingContactIds).toEqual([sorted[0]]);
  });

  it('refuses more than 10,000 contacts, bad ids and unknown tenants', async () => {
    const tenant = await allTransaction();
    expect((await admin('POST', `/tenants/${tenant.id}/contacts`, { contactIds: Array.from({ length: 10_001 }, () => randomUUID()) })).statusCode).toBe(400);
    const bad = await admin('POST', `/tenants/${tenant.id}/contacts`, { contactIds: ['nope'] });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors[0].path).toBe('contactIds[0]');
    expect((await admin('GET', `/tenants/${randomUUID()}/contacts`)).statusCode).toBe(404);
  });
});

describe('durability', () => {
  it('applies a transactions batch whose job Redis lost after the 202, once', async () => {
    const tenant = await allTransaction();
    const contact = randomUUID();
    await system.stopWorker();
    const start = clock.now();
    try {
      const response = await post(tenant, [row(contact, 33), row(contact, -3)]);
      expect(response.statusCode).toBe(202);
      await system.loseRedisJobs();
      clock.advance(1000); // the sweep re-queues batches untouched for RECOVERY_GRACE_MS (0 here) by the clock
      await system.startWorker();
      expect(await waitForBatch(system.app, tenant.headers, response.json().id)).toMatchObject({ status: 'Completed', appliedCount: 2 });
      expect((await accountOf(tenant, contact)).balance).toBe(30);
      expect(await entryCount(tenant)).toBe(2);
    } finally {
      await system.startWorker();
      clock.set(start);
    }
  });
});

describe('ledger storage', () => {
  it('keeps tenant_id leading every index of the ledger, ready for partitioning by tenant', async () => {
    const { rows } = await system.runtime.pool.query(`SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'ledger_entry' ORDER BY indexname`);
    expect(rows.length).toBeGreaterThanOrEqual(5);
    for (const index of rows) expect(index.indexdef, index.indexname).toMatch(/\(tenant_id[,)]/);
  });

  it('keeps hour-precision windows exact at the boundary', async () => {
    const tenant = await allTransaction();
    const contact = randomUUID();
    const start = clock.now();
    await postAndWait(tenant, [row(contact, 9, { validFrom: later(HOUR), validTo: later(2 * HOUR) })]);
    try {
      clock.advance(HOUR - 1);
      expect(await accountOf(tenant, contact)).toMatchObject({ balance: 0, pendingPoints: 9 });
      clock.advance(1);
      expect(await accountOf(tenant, contact)).toMatchObject({ balance: 9, pendingPoints: 0 });
      clock.advance(HOUR);
      expect(await accountOf(tenant, contact)).toMatchObject({ balance: 0, pendingPoints: 0 });
    } finally {
      clock.set(start);
    }
  });
});
