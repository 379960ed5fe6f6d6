import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTenant, startSystem, type TestSystem } from '../support/system.ts';

/** One focused case for each 5xx or unusable 202 that the generated bad input found. */
let system: TestSystem;
let balanceTenant: Awaited<ReturnType<typeof createTenant>>;
beforeAll(async () => {
  system = await startSystem({ RATE_LIMIT_PER_SECOND: '0' });
  balanceTenant = await createTenant(system.app);
});
afterAll(() => system?.close());

describe('input the generated requests found mishandled', () => {
  it('a path whose percent-encoding does not decode answers 400 problem+json', async () => {
    for (const url of ['/api/v2/point-accounts/%', '/api/v2/point-accounts/transactions/%E0%A4%A', '/admin/v1/tenants/%zz']) {
      const response = await system.app.inject({ url, headers: balanceTenant.headers });
      expect(response.statusCode, url).toBe(400);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(response.json()).toMatchObject({ type: 'urn:point-follower:problem:validation', title: 'Invalid request', status: 400, detail: expect.stringContaining('not a valid url') });
    }
  });
});
