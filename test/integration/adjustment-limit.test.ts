import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manual } from '../support/adjustments.ts';
import { ADMIN_TOKEN, createTenant, startSystem, type TestSystem } from '../support/system.ts';

type Tenant = Awaited<ReturnType<typeof createTenant>>;

let system: TestSystem;
beforeAll(async () => {
  system = await startSystem();
});
afterAll(() => system?.close());

const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

const adjust = (tenant: Tenant, amount: number) =>
  system.app.inject({ method: 'POST', url: '/api/v2/point-accounts/adjustments', headers: tenant.headers, payload: manual(randomUUID(), amount) });

const reward = (tenant: Tenant, points: number) =>
  system.app.inject({ method: 'POST', url: `/api/v2/contacts/${randomUUID()}/rewardpointtransaction`, headers: tenant.headers, payload: { points } });

const adjustmentCount = async (tenant: Tenant) =>
  (await system.runtime.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM point_adjustment WHERE tenant_id = $1', [tenant.id])).rows[0]!.n;

describe('the per-adjustment limit', () => {
  it('is 100,000 points by default: more is refused with the maximum named, and nothing is recorded', async () => {
    const tenant = await createTenant(system.app);
    const shown = await system.app.inject({ url: `/admin/v1/tenants/${tenant.id}`, headers: admin });
    expect(shown.json()).toMatchObject({ maxAdjustmentPoints: 100_000 });

    expect((await adjust(tenant, 100_000)).statusCode).toBe(202);
    expect((await adjust(tenant, -100_000)).statusCode).toBe(202);
    for (const amount of [100_001, -100_001, 2_147_483_647]) {
      const refused = await adjust(tenant, amount);
      expect(refused.statusCode, refused.body).toBe(400);
      expect(refused.headers['content-type']).toContain('application/problem+json');
      expect(refused.json()).toMatchObject({
        detail: 'One adjustment may give or remove at most 100,000 points in this organisation; nothing was sent',
        errors: [{ path: 'amount', message: 'must be at most 100,000 points (the limit per adjustment)' }],
      });
    }
    expect(await adjustmentCount(tenant)).toBe(2);
  });

  it('is a tenant setting, enforced on rewardpointtransaction too', async () => {
    const tenant = await createTenant(system.app);
    const patched = await system.app.inject({ method: 'PATCH', url: `/admin/v1/tenants/${tenant.id}`, headers: admin, payload: { maxAdjustmentPoints: 500 } });
    expect(patched.statusCode, patched.body).toBe(200);
    expect(patched.json()).toMatchObject({ maxAdjustmentPoints: 500 });

    expect((await adjust(tenant, 500)).statusCode).toBe(202);
    expect((await adjust(tenant, 501)).json()).toMatchObject({
      errors: [{ path: 'amount', message: 'must be at most 500 points (the limit per adjustment)' }],
    });
    expect((await reward(tenant, 500)).statusCode).toBe(200);
    const refused = await reward(tenant, -501);
    expect(refused.statusCode, refused.body).toBe(400);
    expect(refused.json()).toMatchObject({ errors: [{ path: 'points', message: 'must be at most 500 points (the limit per adjustment)' }] });
    expect(await adjustmentCount(tenant)).toBe(2);

    const zero = await system.app.inject({ method: 'PATCH', url: `/admin/v1/tenants/${tenant.id}`, headers: admin, payload: { maxAdjustmentPoints: 0 } });
    expect(zero.statusCode).toBe(400);
  });
});
