import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashApiKey } from '../../src/domain/api-keys.ts';
import { createTenant, startSystem, type TestSystem } from '../support/system.ts';
import { tableFingerprints } from '../support/tables.ts';

/** Refusals that say everything at once and say it right: one round for every bad field, an empty JSON body, a wait of whole seconds. */
let system: TestSystem;
beforeAll(async () => {
  system = await startSystem({ RATE_LIMIT_PER_SECOND: '3' });
});
afterAll(() => system?.close());

const BASE = '/api/v2/point-accounts/reconciliations';
type Tenant = Awaited<ReturnType<typeof createTenant>>;

async function open(tenant: Tenant): Promise<string> {
  const opened = await system.app.inject({ method: 'POST', url: BASE, headers: tenant.headers, payload: { asOf: new Date(Date.now() - 1000).toISOString() } });
  expect(opened.statusCode, opened.body).toBe(201);
  return opened.json().id;
}

describe('reconciliation lines', () => {
  it('lists unknown definitions in the same answer as the malformed fields, item by item', async () => {
    const tenant = await createTenant(system.app, { definitions: [1] });
    const id = await open(tenant);
    const before = await tableFingerprints(system.runtime.pool);
    const response = await system.app.inject({
      method: 'POST',
      url: `${BASE}/${id}/accounts`,
      headers: tenant.headers,
      payload: [
        { contactId: randomUUID(), definitionId: 9, balance: 5 },
        { contactId: 'not-a-uuid', definitionId: 1, balance: 5 },
        { contactId: 'nope', definitionId: 7, balance: 1.23456 },
        { contactId: randomUUID(), definitionId: 1, balance: 5 },
        { contactId: randomUUID(), definitionId: 'two', balance: 5 },
      ],
    });
    expect(response.statusCode).toBe(400);
    expect(response.headers['content-type']).toContain('application/problem+json');
    expect(response.json()).toMatchObject({
      detail: '6 fields of the body are not valid',
      errors: [
        { path: '[0].definitionId', message: 'unknown definitionId 9' },
        { path: '[1].contactId', message: 'must be a uuid' },
        { path: '[2].contactId', message: 'must be a uuid' },
        { path: '[2].definitionId', message: 'unknown definitionId 7' },
        { path: '[2].balance', message: 'must have at most 4 decimal places' },
        { path: '[4].definitionId', message: 'must be a positive integer' },
      ],
    });
    expect(await tableFingerprints(system.runtime.pool)).toEqual(before);
  });
});

describe('completing a reconciliation', () => {
  it('takes a JSON content type with no body', async () => {
    const tenant = await createTenant(system.app);
    const id = await open(tenant);
    const response = await system.app.inject({
      method: 'POST',
      url: `${BASE}/${id}/complete`,
      headers: { ...tenant.headers, 'content-type': 'application/json' },
    });
    expect(response.statusCode, response.body).toBe(202);
    expect(response.json()).toMatchObject({ id, status: 'Comparing' });
  });

  it('still refuses an empty JSON body where a body is required', async () => {
    const tenant = await createTenant(system.app);
    const response = await system.app.inject({ method: 'POST', url: BASE, headers: { ...tenant.headers, 'content-type': 'application/json' } });
    expect(response.statusCode).toBe(400);
    expect(response.headers['content-type']).toContain('application/problem+json');
    expect(response.json().errors.map((e: { path: string }) => e.path)).toEqual(['body']);
  });
});

describe('the per-key rate limit', () => {
  const url = `/api/v2/point-accounts?contactId=${randomUUID()}`;

  async function refused(tenant: Tenant) {
    for (let i = 0; i < 3; i++) expect((await system.app.inject({ url, headers: tenant.headers })).statusCode).toBe(200);
    const response = await system.app.inject({ url, headers: tenant.headers });
    expect(response.statusCode).toBe(429);
    const seconds = Number(response.headers['retry-after']);
    const said = /retry after (\d+) s$/.exec(response.json().detail)?.[1];
    return { seconds, said: Number(said) };
  }

  it('says the same whole seconds in Retry-After and in the detail, at least one', async () => {
    const { seconds, said } = await refused(await createTenant(system.app));
    expect(seconds).toBe(1);
    expect(said).toBe(seconds);
  });

  it('never says 0 when the window ends as the counter is read', async () => {
    const tenant = await createTenant(system.app);
    const counter = `${system.runtime.config.limits.keyPrefix}:rate:${hashApiKey(tenant.key)}`;
    for (let i = 0; i < 3; i++) expect((await system.app.inject({ url, headers: tenant.headers })).statusCode).toBe(200);
    // A counter with no time left reads as a remaining time of 0 (or less), the moment the "retry after 0 ms" came from.
    expect(await system.runtime.redis.persist(counter)).toBe(1);
    try {
      const response = await system.app.inject({ url, headers: tenant.headers });
      expect(response.statusCode).toBe(429);
      expect(response.headers['retry-after']).toBe('1');
      expect(response.json().detail).toBe('More than 3 requests per second for this API key; retry after 1 s');
    } finally {
      await system.runtime.redis.del(counter);
    }
  });
});
