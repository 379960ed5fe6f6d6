import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { ADMIN_TOKEN, createTenant, startSystem, type TestSystem } from '../support/system.ts';
import { cookieOf, csrfOf, FORM, form, HTML, signInAdmin } from '../support/ui.ts';

/** One focused case for each 5xx or unusable 202 that the generated bad input found. */
let system: TestSystem;
let balanceTenant: Awaited<ReturnType<typeof createTenant>>;
let ledgerTenant: Awaited<ReturnType<typeof createTenant>>;
beforeAll(async () => {
  system = await startSystem({ RATE_LIMIT_PER_SECOND: '0' });
  balanceTenant = await createTenant(system.app);
  ledgerTenant = await createTenant(system.app, { mode: 'all-transaction' });
});

const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
const batchCount = async () => (await system.runtime.pool.query<{ n: number }>(`SELECT count(*) AS n FROM ingest_batch`)).rows[0]!.n;
afterAll(() => system?.close());

describe('input the generated requests found mishandled', () => {
  it('a path whose percent-encoding does not decode answers 400 problem+json', async () => {
    for (const url of ['/api/v2/point-accounts/%', '/api/v2/point-accounts/transactions/%E0%A4%A', '/admin/v1/tenants/%zz']) {
      const response = await system.app.inject({ url, headers: balanceTenant.headers });
      expect(response.statusCode, url).toBe(400);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(response.json()).toMatchObject({
        type: 'urn:point-follower:problem:validation',
        title: 'Invalid request',
        status: 400,
        detail: expect.stringContaining('not a valid url'),
      });
    }
  });

  // Postgres has no year 0 and cannot read toISOString's `+010000-...`: these used to be accepted and then fail in the worker.
  it.each(['0000-01-01T00:00:00Z', '0001-01-01T00:00:00+01:00', '9999-12-31T23:59:59-23:59'])(
    'a balance at %s answers 400 and stores nothing',
    async (timeStamp) => {
      const before = await batchCount();
      const response = await system.app.inject({
        method: 'POST',
        url: '/api/v2/point-accounts/balances',
        headers: balanceTenant.headers,
        payload: [{ contactId: randomUUID(), amount: 1, definitionId: 1, timeStamp }],
      });
      expect(response.statusCode).toBe(400);
      expect(response.json().errors).toEqual([{ path: '[0].timeStamp', message: 'must be between years 0001 and 9999 in UTC', code: 'custom' }]);
      expect(await batchCount()).toBe(before);
    },
  );

  it('the first and last storable instants are accepted', async () => {
    const response = await system.app.inject({
      method: 'POST',
      url: '/api/v2/point-accounts/balances',
      headers: balanceTenant.headers,
      payload: [
        { contactId: randomUUID(), amount: 1, definitionId: 1, timeStamp: '0001-01-01T00:00:00Z' },
        { contactId: randomUUID(), amount: 1, definitionId: 1, timeStamp: '9999-12-31T23:59:59.999Z' },
      ],
    });
    expect(response.statusCode).toBe(202);
  });

  it('a transaction row with an unstorable date is refused on its own', async () => {
    const contactId = randomUUID();
    const response = await system.app.inject({
      method: 'POST',
      url: '/api/v2/point-accounts/transactions',
      headers: ledgerTenant.headers,
      payload: [
        { contactId, amount: 5, definitionId: 1, source: 'Purchase', description: 'ok' },
        { contactId, amount: 5, definitionId: 1, source: 'Purchase', description: 'bad', validFrom: '0000-06-01T00:00:00Z' },
      ],
    });
    expect(response.statusCode).toBe(202);
    expect(response.json().errorMessages).toEqual(['Row [1].validFrom: must be between years 0001 and 9999 in UTC']);
  });

  // Postgres text refuses NUL and jsonb a lone surrogate: these used to answer 500.
  it.each(['a\u0000b', 'x\ud800'])('text %j is refused as a bad field, never a 500', async (text) => {
    const row = await system.app.inject({
      method: 'POST',
      url: '/api/v2/point-accounts/transactions',
      headers: ledgerTenant.headers,
      payload: [{ contactId: randomUUID(), amount: 5, definitionId: 1, source: text, description: text }],
    });
    expect(row.statusCode).toBe(202);
    expect(row.json().errorMessages).toEqual([
      'Row [0].source: must not contain NUL or unpaired surrogate characters',
      'Row [0].description: must not contain NUL or unpaired surrogate characters',
    ]);

    const definition = await system.app.inject({
      method: 'POST',
      url: `/admin/v1/tenants/${balanceTenant.id}/definitions`,
      headers: admin,
      payload: { id: 9, name: text },
    });
    expect(definition.statusCode).toBe(400);
    expect(definition.json().errors).toEqual([{ path: 'name', message: 'must not contain NUL or unpaired surrogate characters', code: 'custom' }]);

    const key = await system.app.inject({ method: 'POST', url: `/admin/v1/tenants/${balanceTenant.id}/api-keys`, headers: admin, payload: { name: text } });
    expect(key.statusCode).toBe(400);
    expect(key.headers['content-type']).toMatch(/^application\/problem\+json/);
  });
});

describe('deeply nested JSON', () => {
  // Thousands of nested brackets fit in the body limit but overflowed the stack of the Idempotency-Key hash: 500.
  it.each([
    ['no key', {}],
    ['an Idempotency-Key', { 'idempotency-key': 'deep-1' }],
  ])('with %s answers 400 and stores nothing', async (_, extra) => {
    const before = await batchCount();
    for (const depth of [65, 5000, 200_000]) {
      const response = await system.app.inject({
        method: 'POST',
        url: '/api/v2/point-accounts/transactions',
        headers: { ...ledgerTenant.headers, ...extra, 'content-type': 'application/json' },
        payload: `${'['.repeat(depth)}${']'.repeat(depth)}`,
      });
      expect(response.statusCode, String(depth)).toBe(400);
      expect(response.json()).toMatchObject({ title: 'Invalid request', detail: 'The JSON body nests deeper than 64 levels' });
    }
    expect(await batchCount()).toBe(before);
  });

  it('brackets inside strings do not count, and 64 levels are still parsed', async () => {
    const response = await system.app.inject({
      method: 'POST',
      url: '/api/v2/point-accounts/transactions',
      headers: { ...ledgerTenant.headers, 'content-type': 'application/json' },
      payload: JSON.stringify([{ contactId: randomUUID(), amount: 1, definitionId: 1, source: '[[[[\\"{{{{', description: '['.repeat(500) }, '['.repeat(62)]),
    });
    expect(response.statusCode, response.body).toBe(202);
    const nested = `${'['.repeat(64)}${']'.repeat(64)}`;
    const deepest = await system.app.inject({
      method: 'POST',
      url: '/api/v2/point-accounts/transactions',
      headers: { ...ledgerTenant.headers, 'content-type': 'application/json' },
      payload: nested,
    });
    expect(deepest.statusCode).toBe(202);
  });
});

describe('text Postgres cannot store, in the point master integration and the UI', () => {
  const nul = 'a\u0000b';

  it('adjustment fields answer 400 naming the field', async () => {
    const base = { contactId: randomUUID(), definitionId: 1, amount: 5, description: 'ok' };
    const cases = [
      [{ ...base, description: nul, source: 'Manual', userId: randomUUID(), userName: 'Ann' }, 'description'],
      [{ ...base, source: 'Manual', userId: randomUUID(), userName: nul }, 'userName'],
      [{ ...base, source: 'Automation', reason: nul, processId: randomUUID(), workflowId: randomUUID() }, 'reason'],
      [{ ...base, source: 'Automation', reason: 'x', processId: randomUUID(), workflowId: randomUUID(), workflowName: 'x\ud800' }, 'workflowName'],
    ] as const;
    for (const [payload, field] of cases) {
      const response = await system.app.inject({ method: 'POST', url: '/api/v2/point-accounts/adjustments', headers: balanceTenant.headers, payload });
      expect(response.statusCode, field).toBe(400);
      expect(response.json().errors).toEqual([{ path: field, message: 'must not contain NUL or unpaired surrogate characters', code: 'custom' }]);
    }
  });

  it('a contact card user display name and a points-log auth header answer 400', async () => {
    const user = await system.app.inject({
      method: 'POST',
      url: `/admin/v1/tenants/${balanceTenant.id}/users`,
      headers: admin,
      payload: { username: 'ann', displayName: nul, password: 'a-long-enough-password' },
    });
    expect(user.statusCode).toBe(400);
    expect(user.json().errors).toEqual([{ path: 'displayName', message: 'must not contain NUL or unpaired surrogate characters', code: 'custom' }]);

    const pointsLog = await system.app.inject({
      method: 'PUT',
      url: `/admin/v1/tenants/${balanceTenant.id}/points-log`,
      headers: admin,
      payload: { urlTemplate: 'https://master.example/points/{contactId}', authHeader: `X-Key: ${nul}` },
    });
    expect(pointsLog.statusCode).toBe(400);
    expect(pointsLog.headers['content-type']).toMatch(/^application\/problem\+json/);
  });

  it('a sign-in with NUL in the tenant or user name is refused with the form, not a 500 page', async () => {
    const page = await system.app.inject({ url: '/ui/login', headers: HTML });
    const response = await system.app.inject({
      method: 'POST',
      url: '/ui/login',
      headers: { ...HTML, ...FORM, cookie: cookieOf(page, 'pf_login_csrf')! },
      payload: form({ _csrf: csrfOf(page.body), tenant: nul, username: nul, password: 'x' }),
    });
    expect(response.statusCode).toBeGreaterThanOrEqual(400);
    expect(response.statusCode).toBeLessThan(500);
  });
});

describe('errors inside the queue dashboard', () => {
  // The dashboard answers errors with its own handler, which read only `statusCode`: a too deeply nested body answered 500.
  it('a refused JSON body keeps its 400 there too', async () => {
    const session = await signInAdmin(system.app, ADMIN_TOKEN);
    const response = await system.app.inject({
      method: 'PUT',
      url: '/ui/admin/queues/api/queues/pause',
      headers: { cookie: session.cookie, 'x-csrf-token': session.csrf, 'content-type': 'application/json' },
      payload: `${'['.repeat(100)}${']'.repeat(100)}`,
    });
    expect(response.statusCode).toBe(400);
  });
});
