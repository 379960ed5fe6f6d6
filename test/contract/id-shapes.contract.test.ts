import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, createTenant, startSystem, type TestSystem, waitForBatch } from '../support/system.ts';

/**
 * Every shape of an Engage id that input accepts (any version nibble, any
 * case, Engage's own example 0000...0001) goes through every read that
 * answers it, and comes back 200 in its lower-case form: an answer never
 * refuses what a request took.
 */
const SHAPES = [
  '00000000-0000-0000-0000-000000000001',
  '00000000-0000-0000-0000-000000000000',
  'ffffffff-ffff-ffff-ffff-ffffffffffff',
  'A0B1C2D3-E4F5-0617-8899-AABBCCDDEEFF',
  '0190a3b4-c5d6-7e8f-9a0b-1c2d3e4f5a6b',
  '3f2504e0-4f89-11d3-9a0c-0305e82c3301',
];

let system: TestSystem;
let tenant: Awaited<ReturnType<typeof createTenant>>;
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
beforeAll(async () => {
  system = await startSystem({ RATE_LIMIT_PER_SECOND: '0' });
  tenant = await createTenant(system.app, { definitions: [1] });
  await system.startWorker();
});
afterAll(() => system?.close());

const read = async (url: string, headers: Record<string, string> = tenant.headers) => {
  const response = await system.app.inject({ url, headers });
  expect(response.statusCode, `${url}: ${response.body}`).toBe(200);
  return response.json();
};
const send = async (method: 'POST', url: string, payload: unknown, headers: Record<string, string> = tenant.headers) => {
  const response = await system.app.inject({ method, url, headers, payload: payload as object });
  expect(response.statusCode, `${url}: ${response.body}`).toBeLessThan(300);
  return response.json();
};

describe('every accepted shape of an Engage id through every read', () => {
  it('contact ids: point accounts, reconciliation drifts (tenant and admin), adjustments, known contacts', async () => {
    const pushed = await send(
      'POST',
      '/api/v2/point-accounts/balances',
      SHAPES.map((contactId, i) => ({ contactId, amount: 10 + i, definitionId: 1, timeStamp: '2024-01-01T00:00:00Z' })),
    );
    expect((await waitForBatch(system.app, tenant.headers, pushed.id)).status).toBe('Completed');

    const reconciliation = await send('POST', '/api/v2/point-accounts/reconciliations', { asOf: new Date().toISOString() });
    await send(
      'POST',
      `/api/v2/point-accounts/reconciliations/${reconciliation.id}/accounts`,
      SHAPES.map((contactId) => ({ contactId, definitionId: 1, balance: 1 })),
    );
    await send('POST', `/api/v2/point-accounts/reconciliations/${reconciliation.id}/complete`, undefined);
    await expect.poll(async () => (await read(`/api/v2/point-accounts/reconciliations/${reconciliation.id}`)).status, { timeout: 20_000 }).toBe('Completed');

    await send('POST', `/admin/v1/tenants/${tenant.id}/contacts`, { contactIds: SHAPES }, admin);
    const known = await read(`/admin/v1/tenants/${tenant.id}/contacts`, admin);

    const drifts = await read(`/api/v2/point-accounts/reconciliations/${reconciliation.id}/drifts`);
    const adminDrifts = await read(`/admin/v1/tenants/${tenant.id}/reconciliations/${reconciliation.id}`, admin);

    for (const shape of SHAPES) {
      const id = shape.toLowerCase();
      const accounts = await read(`/api/v2/point-accounts?contactId=${shape}`);
      expect(accounts.items.map((a: { contactId: string }) => a.contactId)).toEqual([id]);
      await read(`/api/v2/point-accounts/${accounts.items[0].id}`);
      expect(drifts.items.map((d: { contactId: string }) => d.contactId)).toContain(id);
      expect(adminDrifts.drifts.items.map((d: { contactId: string }) => d.contactId)).toContain(id);
      expect(JSON.stringify(known)).toContain(id);

      const adjustment = await send('POST', '/api/v2/point-accounts/adjustments', {
        contactId: shape,
        definitionId: 1,
        amount: 5,
        description: 'Shape check',
        source: 'Automation',
        reason: 'Birthday',
        processId: shape,
        workflowId: shape,
        workflowName: 'Birthdays',
      });
      const shown = await read(`/api/v2/point-accounts/adjustments/${adjustment.id}`);
      expect(shown).toMatchObject({ contactId: id, processId: id, workflowId: id });
      expect((await read(`/api/v2/point-accounts/adjustments?contactId=${shape}`)).items).toHaveLength(1);
    }
  });
});
