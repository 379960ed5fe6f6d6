import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { webhookDeliveryJob } from '../../src/jobs/webhook-delivery.job.ts';
import { json, type RecordedRequest, type ScriptedServer, startScriptedServer } from '../support/http-server.ts';
import { ADMIN_TOKEN, createTenant, startSystem, type TestSystem } from '../support/system.ts';
import type { ServerResponse } from 'node:http';

type Tenant = Awaited<ReturnType<typeof createTenant>>;

let system: TestSystem;
let master: ScriptedServer;
let answer: (request: RecordedRequest, response: ServerResponse) => void;

beforeAll(async () => {
  system = await startSystem({ OUTBOUND_ALLOW_PRIVATE: 'true', POINTS_LOG_TIMEOUT_MS: '300' });
  master = await startScriptedServer((request, response) => answer(request, response));
});
afterAll(async () => {
  await master?.close();
  await system?.close();
});
beforeEach(() => {
  master.requests.length = 0;
});

async function configure(app: TestSystem['app'], tenant: Tenant, body: object) {
  const response = await app.inject({
    method: 'PUT',
    url: `/admin/v1/tenants/${tenant.id}/points-log`,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    payload: body,
  });
  expect(response.statusCode, response.body).toBe(200);
}

const pointsLog = (app: TestSystem['app'], tenant: Tenant, contactId: string) =>
  app.inject({ url: `/api/v2/contacts/${contactId}/points-log`, headers: tenant.headers });

async function configuredTenant() {
  const tenant = await createTenant(system.app);
  await configure(system.app, tenant, { urlTemplate: `${master.url}/points/{contactId}?tenant=demo`, authHeader: 'Authorization: Bearer master-token' });
  return tenant;
}

describe('GET /api/v2/contacts/{contactId}/points-log', () => {
  it("returns the master's log newest first, calling the configured URL with the auth header", async () => {
    const tenant = await configuredTenant();
    const contact = randomUUID();
    answer = (_request, response) =>
      json(response, 200, [
        { transactionDate: '2023-05-08T12:02:55Z', amount: 1500, description: 'Purchase of jeans' },
        { transactionDate: '2023-05-08T12:06:58Z', amount: 1900, description: 'Purchase of tshirt', extra: 'ignored' },
        { transactionDate: '2023-05-08T14:00:00+02:00', amount: -100, description: 'Return (12:00 UTC)' },
      ]);
    const response = await pointsLog(system.app, tenant, contact);
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json()).toEqual([
      { transactionDate: '2023-05-08T12:06:58Z', amount: 1900, description: 'Purchase of tshirt' },
      { transactionDate: '2023-05-08T12:02:55Z', amount: 1500, description: 'Purchase of jeans' },
      { transactionDate: '2023-05-08T14:00:00+02:00', amount: -100, description: 'Return (12:00 UTC)' },
    ]);
    expect(master.requests).toHaveLength(1);
    expect(master.requests[0]).toMatchObject({ method: 'GET', url: `/points/${contact}?tenant=demo` });
    expect(master.requests[0]?.headers.authorization).toBe('Bearer master-token');
  });

  it('passes an empty log on as an empty array', async () => {
    const tenant = await configuredTenant();
    answer = (_request, response) => json(response, 200, []);
    const response = await pointsLog(system.app, tenant, randomUUID());
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual([]);
  });

  it('answers 504 when the master does not answer in time', async () => {
    const tenant = await configuredTenant();
    answer = () => undefined; // never answers
    const started = Date.now();
    const response = await pointsLog(system.app, tenant, randomUUID());
    expect(response.statusCode).toBe(504);
    expect(response.json()).toMatchObject({ title: 'Gateway timeout', detail: 'The point master did not answer within 300 ms' });
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('answers 502 naming the status when the master fails', async () => {
    const tenant = await configuredTenant();
    answer = (_request, response) => json(response, 500, { error: 'database down' });
    const response = await pointsLog(system.app, tenant, randomUUID());
    expect(response.statusCode).toBe(502);
    expect(response.headers['content-type']).toContain('application/problem+json');
    expect(response.json()).toMatchObject({ title: 'Bad gateway', detail: 'The point master answered 500 instead of 200' });
  });

  it('answers 502 naming each wrong index and field when the shape is wrong', async () => {
    const tenant = await configuredTenant();
    answer = (_request, response) =>
      json(response, 200, [
        { transactionDate: '2023-05-08T12:06:58Z', amount: 1900, description: 'ok' },
        { transactionDate: 'yesterday', amount: '5', description: 'bad' },
        { transactionDate: '2023-05-08T12:06:58Z', amount: 1 },
      ]);
    const response = await pointsLog(system.app, tenant, randomUUID());
    expect(response.statusCode).toBe(502);
    const { detail } = response.json();
    expect(detail).toMatch(/^The point master's answer has the wrong shape: it should be an array of \{transactionDate, amount, description\}: /);
    expect(detail).toContain('[1].transactionDate: must be an ISO 8601 date-time with an offset, e.g. 2023-05-08T12:06:58Z');
    expect(detail).toContain('[1].amount');
    expect(detail).toContain('[2].description');
  });

  it('answers 502 when the answer is not an array, or not JSON', async () => {
    const tenant = await configuredTenant();
    answer = (_request, response) => json(response, 200, { items: [] });
    expect((await pointsLog(system.app, tenant, randomUUID())).json().detail).toContain('the answer: must be a list');
    answer = (_request, response) => response.writeHead(200, { 'content-type': 'text/html' }).end('<html>maintenance</html>');
    expect((await pointsLog(system.app, tenant, randomUUID())).json()).toMatchObject({ status: 502, detail: expect.stringContaining('not JSON') });
  });

  it('does not follow a redirect', async () => {
    const tenant = await configuredTenant();
    answer = (request, response) =>
      request.url.startsWith('/elsewhere') ? json(response, 200, []) : response.writeHead(302, { location: `${master.url}/elsewhere` }).end();
    const response = await pointsLog(system.app, tenant, randomUUID());
    expect(response.statusCode).toBe(502);
    expect(response.json().detail).toContain('answered 302 instead of 200; redirects are not followed');
    expect(master.requests.map((r) => r.url.split('/')[1])).toEqual(['points']);
  });

  it('answers 502 when the master cannot be reached', async () => {
    const tenant = await createTenant(system.app);
    const closed = await startScriptedServer(() => undefined);
    await closed.close();
    await configure(system.app, tenant, { urlTemplate: `${closed.url}/points/{contactId}` });
    const response = await pointsLog(system.app, tenant, randomUUID());
    expect(response.statusCode).toBe(502);
    expect(response.json().detail).toMatch(/^The point master could not be reached: .*ECONNREFUSED/);
  });

  it('answers 404 Not configured when the tenant has no points-log URL', async () => {
    const tenant = await createTenant(system.app);
    const response = await pointsLog(system.app, tenant, randomUUID());
    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({ title: 'Not configured', detail: `No points-log URL is configured for tenant ${tenant.name}` });
  });

  it('answers 400 for a contact id that is not a uuid, without calling the master', async () => {
    const tenant = await configuredTenant();
    const response = await pointsLog(system.app, tenant, 'not-a-contact');
    expect(response.statusCode).toBe(400);
    expect(response.json().errors[0].path).toBe('params.contactId');
    expect(master.requests).toHaveLength(0);
  });
});

describe('outbound address rules (OUTBOUND_ALLOW_PRIVATE off)', () => {
  let strict: TestSystem;
  beforeAll(async () => {
    strict = await startSystem({ POINTS_LOG_TIMEOUT_MS: '300' });
  });
  afterAll(() => strict?.close());

  it.each([
    ['127.0.0.1', 'is a loopback (127.0.0.0/8) address'],
    ['localhost', 'localhost resolves to 127.0.0.1, which is a loopback (127.0.0.0/8) address'],
    ['[::ffff:127.0.0.1]', 'is a loopback (127.0.0.0/8) address'],
  ])('refuses %s with a clear problem, and no request reaches the server', async (host, reason) => {
    const tenant = await createTenant(strict.app);
    const port = new URL(master.url).port;
    await configure(strict.app, tenant, { urlTemplate: `http://${host}:${port}/points/{contactId}` });
    answer = (_request, response) => json(response, 200, []);
    const response = await pointsLog(strict.app, tenant, randomUUID());
    expect(response.statusCode).toBe(502);
    expect(response.json()).toMatchObject({ title: 'Point master address refused', detail: expect.stringContaining(reason) });
    expect(response.json().detail).toContain('OUTBOUND_ALLOW_PRIVATE is off');
    expect(master.requests).toHaveLength(0);
  });

  it('refuses a webhook to a loopback address the same way: the attempt fails and nothing reaches the server', async () => {
    const tenant = await createTenant(strict.app);
    const put = await strict.app.inject({
      method: 'PUT',
      url: `/admin/v1/tenants/${tenant.id}/webhook`,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      payload: { url: `${master.url}/hook` },
    });
    expect(put.statusCode).toBe(200);
    const created = await strict.app.inject({
      method: 'POST',
      url: '/api/v2/point-accounts/adjustments',
      headers: tenant.headers,
      payload: { contactId: randomUUID(), definitionId: 1, amount: 5, description: 'x', source: 'Manual', userId: randomUUID(), userName: 'Op' },
    });
    const { id, eventId } = created.json();
    expect(await webhookDeliveryJob(strict.runtime, { tenantId: tenant.id, deliveryId: eventId })).toBe('Retrying');
    const after = await strict.app.inject({ url: `/api/v2/point-accounts/adjustments/${id}`, headers: tenant.headers });
    expect(after.json()).toMatchObject({ deliveryState: 'Retrying', attempts: 1, lastError: expect.stringContaining('is a loopback (127.0.0.0/8) address') });
    expect(master.requests).toHaveLength(0);
  });
});
