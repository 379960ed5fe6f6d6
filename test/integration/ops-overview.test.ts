import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, startScriptedServer, type ScriptedServer } from '../support/http-server.ts';
import { automation } from '../support/adjustments.ts';
import { ADMIN_TOKEN, createTenant, startSystem, type TestSystem, waitForBatch } from '../support/system.ts';
import { HTML, signInAdmin } from '../support/ui.ts';

let system: TestSystem;
let master: ScriptedServer;

beforeAll(async () => {
  system = await startSystem({ OUTBOUND_ALLOW_PRIVATE: 'true' });
  await system.startWorker();
  master = await startScriptedServer((_request, response) => json(response, 410, { error: 'gone' }));
}, 60_000);
afterAll(async () => {
  await master?.close();
  await system?.close();
});

const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
const patch = (tenantId: string, payload: object) => system.app.inject({ method: 'PATCH', url: `/admin/v1/tenants/${tenantId}`, headers: admin, payload });

/** The overview's row of one tenant. */
const rowOf = (body: string, tenantId: string) => {
  const match = new RegExp(`<tr[^>]*data-tenant-id="${tenantId}"[\\s\\S]*?</tr>`).exec(body);
  if (!match) throw new Error(`no row for tenant ${tenantId}`);
  return match[0];
};
const cell = (row: string, label: string) => new RegExp(`data-label="${label.replace(/[()]/g, '\\$&')}"[^>]*>([\\s\\S]*?)</td>`).exec(row)?.[1] ?? '';

describe('the operator overview', () => {
  it('shows per tenant the last push, the last 24 h, deliveries waiting and failed, red where a person is needed, and two charts', async () => {
    const syncing = await createTenant(system.app, { definitions: [1] });
    const pushed = await system.app.inject({
      method: 'POST',
      url: '/api/v2/point-accounts/balances',
      headers: syncing.headers,
      payload: [
        { contactId: randomUUID(), definitionId: 1, amount: 10, timeStamp: new Date().toISOString() },
        { contactId: randomUUID(), definitionId: 1, amount: 20, timeStamp: new Date().toISOString() },
        { contactId: randomUUID(), definitionId: 9, amount: 30, timeStamp: new Date().toISOString() },
      ],
    });
    expect(pushed.statusCode, pushed.body).toBe(202);
    await waitForBatch(system.app, syncing.headers, pushed.json().id);
    expect((await patch(syncing.id, { expectedPushMinutes: 60 })).statusCode).toBe(200);

    const silent = await createTenant(system.app);
    const patched = await patch(silent.id, { expectedPushMinutes: 5 });
    expect(patched.json()).toMatchObject({ expectedPushMinutes: 5 });

    const refused = await createTenant(system.app);
    await system.app.inject({ method: 'PUT', url: `/admin/v1/tenants/${refused.id}/webhook`, headers: admin, payload: { url: master.url } });
    const adjusted = await system.app.inject({
      method: 'POST',
      url: '/api/v2/point-accounts/adjustments',
      headers: refused.headers,
      payload: automation(randomUUID()),
    });
    const read = async () =>
      (await system.app.inject({ url: `/api/v2/point-accounts/adjustments/${adjusted.json().id}`, headers: refused.headers })).json().deliveryState;
    await expect.poll(read, { timeout: 10_000 }).toBe('Failed');

    const operator = await signInAdmin(system.app, ADMIN_TOKEN);
    const page = await system.app.inject({ url: '/ui/admin', headers: { ...HTML, cookie: operator.cookie } });
    expect(page.statusCode).toBe(200);

    const ok = rowOf(page.body, syncing.id);
    expect(ok).toContain('data-needs-person="false"');
    expect(cell(ok, 'Last push')).toMatch(/<time datetime="[^"]+" data-format="time">/);
    expect(cell(ok, 'Pushes (24 h)')).toBe('1');
    expect(cell(ok, 'Items (24 h)')).toBe('3');
    expect(cell(ok, 'Batches with errors (24 h)')).toContain('>1<');

    const overdue = rowOf(page.body, silent.id);
    expect(overdue).toContain('data-needs-person="true"');
    expect(cell(overdue, 'Last push')).toContain('never');
    expect(cell(overdue, 'Last push')).toContain('no push for over 5 min');

    const failed = rowOf(page.body, refused.id);
    expect(failed).toContain('data-needs-person="true"');
    expect(cell(failed, 'Deliveries failed')).toContain(`href="/ui/admin/deliveries?tenant=${refused.id}&amp;state=Failed"`);
    expect(cell(failed, 'Deliveries waiting')).toContain(`href="/ui/admin/deliveries?tenant=${refused.id}"`);

    expect(page.body).toMatch(/tenants? needs? a person/);
    // Charts drawn on the server, with their figures in words for screen readers.
    expect(page.body).toMatch(/<svg [^>]*aria-label="Items applied per minute: [\d,]+ in all/);
    expect(page.body).toMatch(/<svg [^>]*aria-label="Webhook outcomes[^"]*Failed [1-9]/);
  });
});
