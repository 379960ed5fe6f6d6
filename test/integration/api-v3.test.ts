import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTenant, startSystem, type TestSystem, waitForBatch } from '../support/system.ts';

/** Engage's newer documentation names /api/v3 for the pushes: they and their status endpoints answer there too, identically. */
let system: TestSystem;
beforeAll(async () => {
  system = await startSystem();
  await system.startWorker();
});
afterAll(() => system?.close());

const timeStamp = '2026-01-01T00:00:00.000Z';

describe('/api/v3', () => {
  it('takes a balance batch and answers its status as /api/v2 does', async () => {
    const tenant = await createTenant(system.app);
    const contact = randomUUID();
    const response = await system.app.inject({
      method: 'POST',
      url: '/api/v3/point-accounts/balances',
      headers: tenant.headers,
      payload: [{ contactId: contact, amount: 42, definitionId: 1, timeStamp }],
    });
    expect(response.statusCode, response.body).toBe(202);
    const { id } = response.json();
    await waitForBatch(system.app, tenant.headers, id);
    const v3 = await system.app.inject({ url: `/api/v3/point-accounts/balances/status/${id}`, headers: tenant.headers });
    const v2 = await system.app.inject({ url: `/api/v2/point-accounts/balances/status/${id}`, headers: tenant.headers });
    expect(v3.statusCode).toBe(200);
    expect(v3.json()).toEqual(v2.json());
    expect(v3.json()).toMatchObject({ status: 'Completed', appliedCount: 1 });
    const accounts = await system.app.inject({ url: `/api/v2/point-accounts?contactId=${contact}`, headers: tenant.headers });
    expect(accounts.json().items[0].balance).toBe(42);
  });

  it('takes transactions with the same Idempotency-Key store as /api/v2: one route, two prefixes', async () => {
    const tenant = await createTenant(system.app, { mode: 'all-transaction' });
    const rows = [{ contactId: randomUUID(), amount: 5, definitionId: 1, source: 'Purchase', description: 'v3' }];
    const headers = { ...tenant.headers, 'idempotency-key': randomUUID() };
    const first = await system.app.inject({ method: 'POST', url: '/api/v3/point-accounts/transactions', headers, payload: rows });
    expect(first.statusCode, first.body).toBe(202);
    const replay = await system.app.inject({ method: 'POST', url: '/api/v2/point-accounts/transactions', headers, payload: rows });
    expect(replay.json()).toEqual(first.json());
    expect(replay.headers['idempotent-replayed']).toBe('true');
    const status = await system.app.inject({ url: `/api/v3/point-accounts/transactions/status/${first.json().id}`, headers: tenant.headers });
    expect(status.statusCode).toBe(200);
  });

  it('asks for the API key and serves only the pushes', async () => {
    const tenant = await createTenant(system.app);
    expect((await system.app.inject({ method: 'POST', url: '/api/v3/point-accounts/balances', payload: [] })).statusCode).toBe(401);
    expect((await system.app.inject({ url: `/api/v3/point-accounts?contactId=${randomUUID()}`, headers: tenant.headers })).statusCode).toBe(404);
  });

  it('is listed in the OpenAPI document next to /api/v2', async () => {
    const doc = (await system.app.inject({ url: '/documentation/json' })).json();
    const paths = Object.keys(doc.paths);
    for (const path of [
      '/point-accounts/balances',
      '/point-accounts/transactions',
      '/point-accounts/balances/status/{id}',
      '/point-accounts/transactions/status/{id}',
    ]) {
      expect(paths).toContain(`/api/v2${path}`);
      expect(paths).toContain(`/api/v3${path}`);
    }
    expect(paths.filter((path) => path.startsWith('/api/v3'))).toHaveLength(4);
  });
});
