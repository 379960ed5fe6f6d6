import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, createTenant, startSystem, type TestSystem, waitForBatch } from '../support/system.ts';
import { createUiUser, FORM, form, HTML, signIn, signInAdmin } from '../support/ui.ts';

let system: TestSystem;
beforeAll(async () => {
  system = await startSystem();
  await system.startWorker();
});
afterAll(() => system?.close());

const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

describe('screens that claim only what is known', () => {
  it('a balance-only card shows no pending or expiry figures, and says when the master last pushed, per account and per tenant, in its zone', async () => {
    const tenant = await createTenant(system.app, { mode: 'balance-only' });
    const zone = await system.app.inject({ method: 'PATCH', url: `/admin/v1/tenants/${tenant.id}`, headers: admin, payload: { timeZone: 'Europe/Stockholm' } });
    expect(zone.statusCode, zone.body).toBe(200);
    const contact = randomUUID();
    const pushed = await system.app.inject({
      method: 'POST',
      url: '/api/v2/point-accounts/balances',
      headers: tenant.headers,
      payload: [{ contactId: contact, amount: 1200, definitionId: 1, timeStamp: new Date().toISOString() }],
    });
    expect(pushed.statusCode, pushed.body).toBe(202);
    await waitForBatch(system.app, tenant.headers, pushed.json().id);
    const user = await createUiUser(system.app, tenant.id);
    const session = await signIn(system.app, { tenant: tenant.name, username: user.username, password: user.password });
    const card = await system.app.inject({ url: `/ui/contacts/${contact}`, headers: { ...HTML, cookie: session.cookie } });
    expect(card.statusCode).toBe(200);
    expect(card.body).toMatch(/<span class="figure">1,200<\/span>/);
    expect(card.body).not.toContain('data-testid="pending"');
    expect(card.body).not.toContain('data-testid="expiry"');
    expect(card.body).not.toContain('Next expiry');
    expect(card.body).toMatch(/data-testid="account-last-push"><time datetime="[^"]+" data-format="datetime">/);
    expect(card.body).toMatch(/data-testid="tenant-last-push">Last pushed by the master\s+at <time/);
    expect(card.body).toMatch(/Times in Europe\/Stockholm \(UTC\+0[12]:00\)/);
  });

  it('refuses a repair without the CSRF token, and a repair of a reconciliation that found nothing', async () => {
    const tenant = await createTenant(system.app, { mode: 'all-transaction' });
    const opened = await system.app.inject({
      method: 'POST',
      url: '/api/v2/point-accounts/reconciliations',
      headers: tenant.headers,
      payload: { asOf: new Date(Date.now() - 1000).toISOString(), scope: 'Listed' },
    });
    const { id } = opened.json<{ id: string }>();
    await system.app.inject({ method: 'POST', url: `/api/v2/point-accounts/reconciliations/${id}/complete`, headers: tenant.headers });
    await expect
      .poll(async () => (await system.app.inject({ url: `/api/v2/point-accounts/reconciliations/${id}`, headers: tenant.headers })).json().status, {
        timeout: 20_000,
      })
      .toBe('Completed');
    const operator = await signInAdmin(system.app, ADMIN_TOKEN);
    const url = `/ui/admin/reconciliations/${tenant.id}/${id}/repair`;
    const noToken = await system.app.inject({ method: 'POST', url, headers: { ...HTML, ...FORM, cookie: operator.cookie }, payload: form({}) });
    expect(noToken.statusCode).toBe(403);
    const nothing = await system.app.inject({
      method: 'POST',
      url,
      headers: { ...HTML, ...FORM, cookie: operator.cookie },
      payload: form({ _csrf: operator.csrf }),
    });
    expect(nothing.statusCode).toBe(409);
    const page = await system.app.inject({ url: `/ui/admin/reconciliations/${tenant.id}/${id}`, headers: { ...HTML, cookie: operator.cookie } });
    expect(page.body).toContain('data-outcome="matched"');
    expect(page.body).not.toContain('Repair these accounts');
  });
});
