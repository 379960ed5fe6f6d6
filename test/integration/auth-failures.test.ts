import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, createTenant, startSystem, type TestSystem } from '../support/system.ts';

// Two API processes over one database and one Redis prefix, as a deployment with several API replicas runs.
let first: TestSystem;
let second: TestSystem;
beforeAll(async () => {
  first = await startSystem({ AUTH_FAILURE_LIMIT: '5', AUTH_FAILURE_WINDOW_SECONDS: '60' });
  const { databaseUrl, queue } = first.runtime.config;
  second = await startSystem({ DATABASE_URL: databaseUrl, QUEUE_PREFIX: queue.prefix, AUTH_FAILURE_LIMIT: '5', AUTH_FAILURE_WINDOW_SECONDS: '60' });
});
afterAll(async () => {
  await second?.close();
  await first?.close();
});

const url = () => `/api/v2/point-accounts?contactId=${randomUUID()}`;

describe('failed authentication is limited per client address', () => {
  it('answers 429 with Retry-After once an address has failed 5 API-key checks, before looking the key up, in every API process', async () => {
    const tenant = await createTenant(first.app);
    const from = (system: TestSystem, remoteAddress: string, apikey: string) => system.app.inject({ url: url(), headers: { apikey }, remoteAddress });
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await from(i % 2 ? first : second, '10.60.0.1', `bogus-${i}`)).statusCode);
    expect(statuses).toEqual([401, 401, 401, 401, 401]);

    const refused = await from(first, '10.60.0.1', 'bogus-again');
    expect(refused.statusCode).toBe(429);
    expect(refused.headers['content-type']).toContain('application/problem+json');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(50);
    expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(60);
    expect(refused.json()).toMatchObject({ status: 429, detail: expect.stringContaining('failed authentications from this address') });
    // Even a good key waits: the address is refused before any key is looked up.
    expect((await from(second, '10.60.0.1', tenant.key)).statusCode).toBe(429);
    // Other addresses, and the address's own successes before the limit, are not affected.
    expect((await from(second, '10.60.0.2', tenant.key)).statusCode).toBe(200);
  });

  it('limits wrong admin tokens the same way, counted apart from API keys', async () => {
    const admin = (token: string, remoteAddress: string) =>
      first.app.inject({ url: '/admin/v1/tenants', headers: { authorization: `Bearer ${token}` }, remoteAddress });
    for (let i = 0; i < 5; i++) expect((await admin(`wrong-token-${i}`, '10.61.0.1')).statusCode).toBe(401);
    const refused = await admin(ADMIN_TOKEN, '10.61.0.1');
    expect(refused.statusCode).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect((await admin(ADMIN_TOKEN, '10.61.0.2')).statusCode).toBe(200);
    const tenant = await createTenant(first.app);
    expect((await first.app.inject({ url: url(), headers: tenant.headers, remoteAddress: '10.61.0.1' })).statusCode).toBe(200);
  });

  it('does not count good credentials', async () => {
    const tenant = await createTenant(first.app);
    for (let i = 0; i < 8; i++) {
      expect((await first.app.inject({ url: url(), headers: tenant.headers, remoteAddress: '10.62.0.1' })).statusCode).toBe(200);
    }
  });
});
