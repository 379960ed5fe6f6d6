import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adjustRewardPointsResult, nullPaths } from '../contract/engage-models.ts';
import { ADMIN_TOKEN, createTenant, startSystem, type TestSystem, waitForBatch } from '../support/system.ts';

type Tenant = Awaited<ReturnType<typeof createTenant>>;

let system: TestSystem;
beforeAll(async () => {
  system = await startSystem();
  await system.startWorker();
});
afterAll(() => system?.close());

const reward = (tenant: Tenant, contactId: string, payload: unknown, headers: Record<string, string> = {}) =>
  system.app.inject({
    method: 'POST',
    url: `/api/v2/contacts/${contactId}/rewardpointtransaction`,
    headers: { ...tenant.headers, ...headers },
    payload: payload as object,
  });

const adjustmentsOf = async (tenant: Tenant, contactId: string) =>
  (await system.app.inject({ url: `/api/v2/point-accounts/adjustments?contactId=${contactId}`, headers: tenant.headers })).json().items;

const patchTenant = (tenant: Tenant, payload: object) =>
  system.app.inject({ method: 'PATCH', url: `/admin/v1/tenants/${tenant.id}`, headers: { authorization: `Bearer ${ADMIN_TOKEN}` }, payload });

async function setBalance(tenant: Tenant, contactId: string, amount: number, definitionId = 1) {
  const response = await system.app.inject({
    method: 'POST',
    url: '/api/v2/point-accounts/balances',
    headers: tenant.headers,
    payload: [{ contactId, amount, definitionId, timeStamp: new Date().toISOString() }],
  });
  await waitForBatch(system.app, tenant.headers, response.json().id);
}

describe('POST /api/v2/contacts/{contactId}/rewardpointtransaction', () => {
  it('sends an Automation adjustment to the master and answers the unchanged balance', async () => {
    const tenant = await createTenant(system.app, { definitions: [1, 2] });
    const contact = randomUUID();
    await setBalance(tenant, contact, 50);
    const response = await reward(tenant, contact, { points: 10, description: 'Happy birthday', type: 'Birthday' });
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json()).toEqual({ contactId: contact, totalRewardPoints: 50 });
    expect(adjustRewardPointsResult.safeParse(response.json()).success).toBe(true);
    expect(await adjustmentsOf(tenant, contact)).toEqual([
      expect.objectContaining({
        contactId: contact,
        definitionId: 1,
        amount: 10,
        source: 'Automation',
        description: 'Happy birthday',
        reason: 'Birthday',
        processId: '00000000-0000-0000-0000-000000000000',
        deliveryState: 'AwaitingConfiguration',
      }),
    ]);
    const accounts = await system.app.inject({ url: `/api/v2/point-accounts?contactId=${contact}`, headers: tenant.headers });
    expect(accounts.json().items[0].balance).toBe(50);

    const negative = await reward(tenant, contact, { points: -5 });
    expect(negative.json()).toEqual({ contactId: contact, totalRewardPoints: 50 });
    expect((await adjustmentsOf(tenant, contact))[0]).toMatchObject({ amount: -5, description: 'Reward points', reason: 'Reward points' });
    expect(nullPaths(negative.json())).toEqual([]);
  });

  it("uses the tenant's default definition, set and cleared with PATCH, and refuses an unknown one", async () => {
    const tenant = await createTenant(system.app, { definitions: [3, 7] });
    const contact = randomUUID();
    await setBalance(tenant, contact, 12, 7);
    await reward(tenant, contact, { points: 1 });
    expect((await adjustmentsOf(tenant, contact))[0].definitionId).toBe(3);

    const set = await patchTenant(tenant, { defaultDefinitionId: 7 });
    expect(set.statusCode, set.body).toBe(200);
    expect(set.json()).toMatchObject({ defaultDefinitionId: 7 });
    expect((await reward(tenant, contact, { points: 2 })).json()).toEqual({ contactId: contact, totalRewardPoints: 12 });
    expect((await adjustmentsOf(tenant, contact))[0].definitionId).toBe(7);

    const unknown = await patchTenant(tenant, { defaultDefinitionId: 9 });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().errors).toEqual([{ path: 'defaultDefinitionId', message: expect.stringContaining('9') }]);

    const cleared = await patchTenant(tenant, { defaultDefinitionId: null });
    expect(cleared.statusCode, cleared.body).toBe(200);
    expect(cleared.json()).not.toHaveProperty('defaultDefinitionId');
    await reward(tenant, contact, { points: 3 });
    expect((await adjustmentsOf(tenant, contact))[0]).toMatchObject({ amount: 3, definitionId: 3 });
  });

  it('takes an Idempotency-Key: a retry replays the answer and sends nothing twice, another body under it is 422', async () => {
    const tenant = await createTenant(system.app);
    const contact = randomUUID();
    const headers = { 'idempotency-key': randomUUID() };
    const first = await reward(tenant, contact, { points: 10 }, headers);
    const again = await reward(tenant, contact, { points: 10 }, headers);
    expect(again.statusCode).toBe(200);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.json()).toEqual(first.json());
    expect(await adjustmentsOf(tenant, contact)).toHaveLength(1);
    expect((await reward(tenant, contact, { points: 11 }, headers)).statusCode).toBe(422);
    expect((await reward(tenant, randomUUID(), { points: 10 }, headers)).statusCode).toBe(422);
  });

  it('refuses bad input with a problem naming the field, and stores nothing', async () => {
    const tenant = await createTenant(system.app);
    const contact = randomUUID();
    for (const [payload, field] of [
      [{ points: 0 }, 'points'],
      [{ points: 1.00005 }, 'points'],
      [{ points: '5' }, 'points'],
      [{}, 'points'],
      [{ points: 5, description: '' }, 'description'],
      [{ points: 5, type: 42 }, 'type'],
    ] as const) {
      const response = await reward(tenant, contact, payload);
      expect(response.statusCode, JSON.stringify(payload)).toBe(400);
      expect(response.headers['content-type']).toContain('application/problem+json');
      expect(response.body).toContain(field);
    }
    expect((await reward(tenant, 'not-a-uuid', { points: 5 })).statusCode).toBe(400);
    expect(await adjustmentsOf(tenant, contact)).toEqual([]);
  });

  it('refuses while the point system is off, storing nothing', async () => {
    const tenant = await createTenant(system.app);
    const contact = randomUUID();
    expect((await patchTenant(tenant, { pointSystemActive: false })).statusCode).toBe(200);
    expect((await reward(tenant, contact, { points: 5 })).statusCode).toBe(400);
    expect(await adjustmentsOf(tenant, contact)).toEqual([]);
  });
});
