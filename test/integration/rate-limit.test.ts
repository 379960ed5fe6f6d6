import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTenant, startSystem, type TestSystem } from '../support/system.ts';

let system: TestSystem;
beforeAll(async () => {
  system = await startSystem({ RATE_LIMIT_PER_SECOND: '5' });
});
afterAll(() => system?.close());

it('limits requests per API key with 429, Retry-After and a problem body', async () => {
  const busy = await createTenant(system.app);
  const calm = await createTenant(system.app);
  const url = `/api/v2/point-accounts?contactId=${randomUUID()}`;
  const statuses = [];
  for (let i = 0; i < 6; i++) statuses.push((await system.app.inject({ url, headers: busy.headers })).statusCode);
  expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);

  const refused = await system.app.inject({ url, headers: busy.headers });
  expect(refused.statusCode).toBe(429);
  expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
  expect(refused.headers['content-type']).toContain('application/problem+json');
  expect(refused.json()).toMatchObject({ title: 'Too many requests', status: 429 });

  // Another key has its own budget.
  expect((await system.app.inject({ url, headers: calm.headers })).statusCode).toBe(200);
});
