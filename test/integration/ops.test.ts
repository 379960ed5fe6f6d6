import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTenant, startSystem, type TestSystem, waitForBatch } from '../support/system.ts';

describe('health, readiness and docs', () => {
  let system: TestSystem;
  beforeAll(async () => {
    system = await startSystem({ DOCS_INCLUDE_ADMIN: 'true' });
  });
  afterAll(() => system?.close());

  it('answers /health and /ready', async () => {
    expect((await system.app.inject({ url: '/health' })).json()).toEqual({ status: 'ok' });
    const ready = await system.app.inject({ url: '/ready' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ status: 'ready', postgres: 'up', redis: 'up' });
  });

  it('serves OpenAPI 3.1 generated from the route schemas, and Swagger UI', async () => {
    const doc = (await system.app.inject({ url: '/documentation/json' })).json();
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/api/v2/point-accounts/balances',
        '/api/v2/point-accounts/balances/status/{id}',
        '/api/v2/point-accounts',
        '/api/v2/point-accounts/{id}',
        '/api/v2/point-accounts/definitions',
        '/admin/v1/tenants',
      ]),
    );
    const post = doc.paths['/api/v2/point-accounts/balances'].post;
    expect(Object.keys(post.responses)).toEqual(expect.arrayContaining(['202', '400', '401']));
    expect(post.requestBody.content['application/json'].schema).toMatchObject({ type: 'array', minItems: 1 });
    const item = doc.components.schemas.BalanceItemInput;
    expect(Object.keys(item.properties)).toEqual(['contactId', 'amount', 'definitionId', 'timeStamp']);
    const ui = await system.app.inject({ url: '/documentation/' });
    expect(ui.statusCode).toBe(200);
    expect(ui.headers['content-type']).toContain('text/html');
  });

  it('answers unknown routes with a problem and echoes a request id', async () => {
    const response = await system.app.inject({ url: '/nope', headers: { 'x-request-id': 'abc-123' } });
    expect(response.statusCode).toBe(404);
    expect(response.headers['content-type']).toContain('application/problem+json');
    expect(response.headers['x-request-id']).toBe('abc-123');
  });

  it('makes its own request id when the client sends a long one or one with unsafe characters', async () => {
    for (const sent of ['x'.repeat(8192), 'a b', 'id"\u00e9', 'x'.repeat(129)]) {
      const response = await system.app.inject({ url: '/health', headers: { 'x-request-id': sent } });
      expect(response.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    }
    const kept = 'req:2030-01-01.a_b-' + 'x'.repeat(100);
    expect((await system.app.inject({ url: '/health', headers: { 'x-request-id': kept } })).headers['x-request-id']).toBe(kept);
  });

  it('serves the docs page with its own CSP that forbids framing, and X-Frame-Options', async () => {
    const ui = await system.app.inject({ url: '/documentation/' });
    expect(ui.statusCode).toBe(200);
    expect(ui.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(ui.headers['content-security-policy']).not.toContain('upgrade-insecure-requests');
    expect(ui.headers['x-frame-options']).toBe('DENY');
    expect((await system.app.inject({ url: '/documentation/json' })).headers['x-frame-options']).toBe('DENY');
  });

  it('answers 413 for a body over the limit', async () => {
    const tenant = await createTenant(system.app);
    const response = await system.app.inject({
      method: 'POST',
      url: '/api/v2/point-accounts/balances',
      headers: { ...tenant.headers, 'content-type': 'application/json' },
      payload: `[${'"x",'.repeat(600_000)}"x"]`,
    });
    expect(response.statusCode).toBe(413);
    expect(response.json().title).toBe('Payload too large');
  });
});

describe('with Redis unreachable', () => {
  let system: TestSystem;
  beforeAll(async () => {
    // Nothing listens on port 1: every Redis command fails.
    system = await startSystem({ REDIS_URL: 'redis://127.0.0.1:1' });
  });
  afterAll(() => system?.close());

  it('/ready names Redis as down', async () => {
    const ready = await system.app.inject({ url: '/ready' });
    expect(ready.statusCode).toBe(503);
    expect(ready.json()).toEqual({ status: 'not ready', postgres: 'up', redis: 'down' });
  });

  it('still accepts balances durably; a worker with Redis back applies them', async () => {
    const tenant = await createTenant(system.app);
    const contactId = randomUUID();
    const response = await system.app.inject({
      method: 'POST',
      url: '/api/v2/point-accounts/balances',
      headers: tenant.headers,
      payload: [{ contactId, amount: 5, definitionId: 1, timeStamp: '2024-01-01T00:00:00Z' }],
    });
    expect(response.statusCode).toBe(202);

    // A second system over the same database, with Redis reachable, plays the recovered worker.
    const { rows } = await system.runtime.pool.query(`SELECT status FROM ingest_batch WHERE id = $1`, [response.json().id]);
    expect(rows[0].status).toBe('Queued');
    const recovered = await startSystem({ DATABASE_URL: system.runtime.config.databaseUrl });
    try {
      await recovered.startWorker();
      const done = await waitForBatch(recovered.app, tenant.headers, response.json().id);
      expect(done.status).toBe('Completed');
    } finally {
      await recovered.close();
    }
  });
});

describe('with Postgres unreachable', () => {
  let system: TestSystem;
  beforeAll(async () => {
    system = await startSystem({ DATABASE_URL: 'postgresql://postgres@127.0.0.1:1/nowhere' });
  });
  afterAll(() => system?.close());

  it('answers 503, never 202, and /ready names Postgres', async () => {
    const response = await system.app.inject({
      method: 'POST',
      url: '/api/v2/point-accounts/balances',
      headers: { apikey: 'pf_any' },
      payload: [{ contactId: randomUUID(), amount: 5, definitionId: 1, timeStamp: '2024-01-01T00:00:00Z' }],
    });
    expect(response.statusCode).toBe(503);
    expect(response.headers['retry-after']).toBe('5');
    expect(response.json()).toMatchObject({ title: 'Service unavailable', detail: 'The database is unavailable; nothing was stored. Retry later.' });
    const ready = await system.app.inject({ url: '/ready' });
    expect(ready.json()).toEqual({ status: 'not ready', postgres: 'down', redis: 'up' });
  });
});
