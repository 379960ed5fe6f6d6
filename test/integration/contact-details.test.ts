import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, createTenant, startSystem, type TestSystem, waitForBatch } from '../support/system.ts';
import { createUiUser, FORM, form, HTML, signIn, type UiSession } from '../support/ui.ts';

type Tenant = Awaited<ReturnType<typeof createTenant>>;

const lines: string[] = [];
let system: TestSystem;
beforeAll(async () => {
  // Every log line at every level is kept, so the last test can look for personal data in all of them.
  system = await startSystem({ LOG_LEVEL: 'trace', RATE_LIMIT_PER_SECOND: '0' }, { logLines: lines });
  await system.startWorker();
});
afterAll(async () => {
  await system?.close();
});

const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
const adminCall = (method: 'GET' | 'PUT' | 'DELETE', url: string, payload?: object) =>
  system.app.inject({ method, url: `/admin/v1${url}`, headers: admin, ...(payload ? { payload } : {}) });
const push = (tenant: Tenant, items: object[], version = 'v2') =>
  system.app.inject({ method: 'POST', url: `/api/${version}/contacts/details`, headers: tenant.headers, payload: items });

/** Signs in a contact card user of the tenant. */
async function cardUser(tenant: Tenant): Promise<UiSession> {
  const user = await createUiUser(system.app, tenant.id, { displayName: 'Sam Support' });
  return signIn(system.app, { tenant: tenant.name, username: user.username, password: user.password });
}

const search = (session: UiSession, q: string) =>
  system.app.inject({
    method: 'POST',
    url: '/ui/contacts/search',
    headers: { ...FORM, ...HTML, cookie: session.cookie },
    payload: form({ _csrf: session.csrf, q }),
  });

const card = (session: UiSession, contact: string) => system.app.inject({ url: `/ui/contacts/${contact}`, headers: { ...HTML, cookie: session.cookie } });

const anna = { displayName: 'Åsa-Anna Lindqvist', email: 'Anna.Lindqvist@Example.com', phone: '+46 70 123 45 67', memberNumber: 'M-0042 17' };

describe('contact details through the admin API', () => {
  it('sets them as a whole, answers which are held but never their values, and erases them leaving the points', async () => {
    const tenant = await createTenant(system.app, { mode: 'all-transaction' });
    const contact = randomUUID();
    const accepted = await system.app.inject({
      method: 'POST',
      url: '/api/v2/point-accounts/transactions',
      headers: tenant.headers,
      payload: [{ contactId: contact, definitionId: 1, amount: 120, source: 'Purchase', description: 'Jeans' }],
    });
    await waitForBatch(system.app, tenant.headers, accepted.json().id);

    const set = await adminCall('PUT', `/tenants/${tenant.id}/contacts/${contact.toUpperCase()}`, anna);
    expect(set.statusCode, set.body).toBe(200);
    expect(set.json()).toMatchObject({ contactId: contact, personalData: { displayName: true, email: true, phone: true, memberNumber: true } });
    expect(set.body).not.toMatch(/Lindqvist|Example|123 45|0042/i);
    const shown = (await adminCall('GET', `/tenants/${tenant.id}/contacts/${contact}`)).json();
    expect(shown.personalDataAsOf).toEqual(expect.any(String));
    const listed = (await adminCall('GET', `/tenants/${tenant.id}/contacts`)).json();
    expect(listed.items).toEqual([shown]);

    // The whole: what is left out is held no more.
    const onlyName = await adminCall('PUT', `/tenants/${tenant.id}/contacts/${contact}`, { displayName: 'Anna Lindqvist' });
    expect(onlyName.json().personalData).toEqual({ displayName: true, email: false, phone: false, memberNumber: false });
    await adminCall('PUT', `/tenants/${tenant.id}/contacts/${contact}`, anna);

    const erased = await adminCall('DELETE', `/tenants/${tenant.id}/contacts/${contact}/personal-data`);
    expect(erased.statusCode).toBe(204);
    const after = (await adminCall('GET', `/tenants/${tenant.id}/contacts/${contact}`)).json();
    expect(after).toMatchObject({ personalData: { displayName: false, email: false, phone: false, memberNumber: false } });
    expect(after.personalDataErasedAt).toEqual(expect.any(String));
    expect(after).not.toHaveProperty('personalDataAsOf');
    const { rows } = await system.runtime.pool.query(
      `SELECT num_nonnulls(display_name, email, phone, member_number, name_key, email_key, phone_digits, phone_tail, member_number_key) AS n
         FROM contact WHERE tenant_id = $1 AND contact_id = $2`,
      [tenant.id, contact],
    );
    expect(rows).toEqual([{ n: 0 }]);
    // The ledger stays under the contact id.
    const accounts = (await system.app.inject({ url: `/api/v2/point-accounts?contactId=${contact}`, headers: tenant.headers })).json();
    expect(accounts.items).toMatchObject([{ contactId: contact, balance: 120 }]);
  });

  it('refuses bad details naming each field, and unknown tenants and contacts with 404', async () => {
    const tenant = await createTenant(system.app);
    const contact = randomUUID();
    const bad = await adminCall('PUT', `/tenants/${tenant.id}/contacts/${contact}`, {
      displayName: '',
      email: 'anna at example',
      phone: 'call me',
      memberNumber: 'x'.repeat(65),
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.headers['content-type']).toContain('application/problem+json');
    expect(
      bad
        .json()
        .errors.map((e: { path: string }) => e.path)
        .sort(),
    ).toEqual(['displayName', 'email', 'memberNumber', 'phone']);
    expect((await adminCall('PUT', `/tenants/${randomUUID()}/contacts/${contact}`, anna)).statusCode).toBe(404);
    expect((await adminCall('DELETE', `/tenants/${tenant.id}/contacts/${contact}/personal-data`)).statusCode).toBe(404);
    expect((await adminCall('GET', `/tenants/${tenant.id}/contacts/${contact}`)).statusCode).toBe(404);
    expect((await adminCall('DELETE', `/tenants/${tenant.id}/contacts/not-a-uuid/personal-data`)).statusCode).toBe(400);
  });
});

describe('the master pushes contact details', () => {
  it('stores the newest per contact, skips stale ones and ones older than an erasure, and answers at once', async () => {
    const tenant = await createTenant(system.app, { requireKnownContacts: true });
    const [a, b] = [randomUUID(), randomUUID()];
    const first = await push(tenant, [
      { contactId: a, timeStamp: '2026-01-01T10:00:00Z', displayName: 'Old name' },
      { contactId: a, timeStamp: '2026-01-02T10:00:00Z', ...anna },
      { contactId: b, timeStamp: '2026-01-01T10:00:00', email: 'bo@example.com' },
    ]);
    expect(first.statusCode, first.body).toBe(200);
    expect(first.json()).toMatchObject({ status: 'CompletedWithErrors', itemCount: 3, appliedCount: 2, skippedCount: 1 });
    expect(first.json().messages[0].message).toContain('[0]');
    expect(first.body).not.toMatch(/Lindqvist|bo@example/);
    // Pushed contacts are known: the registry accepts transactions for them.
    expect((await adminCall('GET', `/tenants/${tenant.id}/contacts/${b}`)).json().personalData.email).toBe(true);

    const stale = await push(tenant, [{ contactId: a, timeStamp: '2026-01-01T12:00:00Z', displayName: 'Stale' }], 'v3');
    expect(stale.json()).toMatchObject({ status: 'CompletedWithErrors', appliedCount: 0, skippedCount: 1 });

    await adminCall('DELETE', `/tenants/${tenant.id}/contacts/${a}/personal-data`);
    const resent = await push(tenant, [{ contactId: a, timeStamp: '2026-01-03T10:00:00Z', ...anna }]);
    expect(resent.json()).toMatchObject({ appliedCount: 0, skippedCount: 1 });
    expect((await adminCall('GET', `/tenants/${tenant.id}/contacts/${a}`)).json().personalData.displayName).toBe(false);
    const later = new Date(Date.now() + 60_000).toISOString();
    const renewed = await push(tenant, [{ contactId: a, timeStamp: later, displayName: 'Anna Lindqvist' }]);
    expect(renewed.json()).toMatchObject({ status: 'Completed', appliedCount: 1, skippedCount: 0, messages: [] });
  });

  it('refuses a bad batch as a whole, naming every bad item, and more than the batch limit', async () => {
    const tenant = await createTenant(system.app);
    const bad = await push(tenant, [
      { contactId: randomUUID(), timeStamp: '2026-01-01T10:00:00Z', email: 'nope' },
      { contactId: 'x', timeStamp: 'yesterday', phone: '12' },
    ]);
    expect(bad.statusCode).toBe(400);
    expect(
      bad
        .json()
        .errors.map((e: { path: string }) => e.path)
        .sort(),
    ).toEqual(['[0].email', '[1].contactId', '[1].phone', '[1].timeStamp']);
    expect((await adminCall('GET', `/tenants/${tenant.id}/contacts`)).json().totalCount).toBe(0);
    expect((await push(tenant, [])).statusCode).toBe(400);
    const tooMany = await push(
      tenant,
      Array.from({ length: 1001 }, () => ({ contactId: randomUUID(), timeStamp: '2026-01-01T10:00:00Z' })),
    );
    expect(tooMany.statusCode).toBe(400);
    expect(tooMany.json().title).toBe('Too many items');
    expect((await system.app.inject({ method: 'POST', url: '/api/v2/contacts/details', payload: [] })).statusCode).toBe(401);
  });
});

describe('the contact card finds and shows who a contact is', () => {
  it('finds a contact by each identifier, as support agents type them, only in its own tenant', async () => {
    const tenant = await createTenant(system.app);
    const other = await createTenant(system.app);
    const session = await cardUser(tenant);
    const otherSession = await cardUser(other);
    const contact = randomUUID();
    await adminCall('PUT', `/tenants/${tenant.id}/contacts/${contact}`, anna);

    for (const typed of [
      'anna.lindqvist@example.com',
      ' ANNA.LINDQVIST@EXAMPLE.COM ',
      '+46701234567',
      '070-123 45 67',
      '0046 70 123 45 67',
      'm004217',
      'M-0042 17',
      'Asa',
      'lindq',
      'anna lind',
      'LINDQVIST åsa',
      contact.toUpperCase(),
    ]) {
      const found = await search(session, typed);
      expect(found.statusCode, typed).toBe(303);
      expect(found.headers.location, typed).toBe(`/ui/contacts/${contact}`);
    }
    for (const typed of ['anna@example.com', '0701234568', 'M-0042', 'Lindqvista', 'a']) {
      const none = await search(session, typed);
      expect(none.statusCode, typed).toBe(404);
      expect(none.body).toContain('No contact found');
    }
    expect((await search(session, '  ')).statusCode).toBe(400);
    // Another tenant's user finds nothing and sees no name on the same contact id.
    expect((await search(otherSession, 'lindqvist')).statusCode).toBe(404);
    expect((await card(otherSession, contact)).body).not.toContain('Lindqvist');
    // Without the form's token nothing is searched.
    const forged = await system.app.inject({
      method: 'POST',
      url: '/ui/contacts/search',
      headers: { ...FORM, ...HTML, cookie: session.cookie },
      payload: form({ q: 'lindqvist' }),
    });
    expect(forged.statusCode).toBe(403);
  });

  it('lists several matches, names first, and shows the details in the card header until they are erased', async () => {
    const tenant = await createTenant(system.app);
    const session = await cardUser(tenant);
    const [anders, annika, ada] = [randomUUID(), randomUUID(), randomUUID()];
    await adminCall('PUT', `/tenants/${tenant.id}/contacts/${anders}`, { displayName: 'Anders Berg', memberNumber: '1001' });
    await adminCall('PUT', `/tenants/${tenant.id}/contacts/${annika}`, { displayName: 'Annika Ek' });
    await adminCall('PUT', `/tenants/${tenant.id}/contacts/${ada}`, { displayName: 'Ada Hannson' });
    // Names that start with what was typed first, then those that contain it.
    const several = await search(session, 'ann');
    expect(several.statusCode).toBe(200);
    const order = [...several.body.matchAll(/href="\/ui\/contacts\/([0-9a-f-]{36})"/g)].map((m) => m[1]);
    expect(order).toEqual([annika, ada]);
    expect((await search(session, 'Annika Ek')).headers.location).toBe(`/ui/contacts/${annika}`);

    const shown = await card(session, anders);
    expect(shown.body).toContain('data-testid="contact-name"><bdi>Anders Berg</bdi>');
    expect(shown.body).toContain('data-testid="contact-member-number"><bdi>1001</bdi>');
    expect(shown.body).toContain(`data-testid="contact-id">${anders}<`);
    await adminCall('DELETE', `/tenants/${tenant.id}/contacts/${anders}/personal-data`);
    const erased = await card(session, anders);
    expect(erased.body).not.toContain('Anders');
    expect(erased.body).toContain(`data-testid="contact-id">${anders}<`);
    expect((await search(session, '1001')).statusCode).toBe(404);
  });

  it('never writes the personal data into a log line', async () => {
    // Everything above ran through this system; the log holds every request, refusal and the worker's lines.
    const tenant = await createTenant(system.app);
    const session = await cardUser(tenant);
    const contact = randomUUID();
    await push(tenant, [{ contactId: contact, timeStamp: new Date().toISOString(), ...anna }]);
    await push(tenant, [{ contactId: contact, timeStamp: new Date().toISOString(), ...anna, email: 'Anna.Lindqvist@Example', phone: 'Anna Lindqvist' }]);
    await adminCall('PUT', `/tenants/${tenant.id}/contacts/${contact}`, { ...anna, email: 'Anna.Lindqvist at Example.com' });
    for (const typed of [anna.email, anna.phone, anna.memberNumber, 'Lindqvist', 'Nobody Lindqvist']) await search(session, typed);
    await card(session, contact);
    await system.app.inject({ url: `/ui/contacts?contactId=${encodeURIComponent(anna.email)}`, headers: { ...HTML, cookie: session.cookie } });
    // The lines are there: each request, the refused push and the search address, its query left out.
    expect(lines.filter((line) => line.includes('"url":"/ui/contacts/search"')).length).toBeGreaterThanOrEqual(5);
    expect(lines.some((line) => line.includes('invalid request') && line.includes('[0].email'))).toBe(true);
    expect(lines.some((line) => line.includes('"url":"/ui/contacts?[redacted]"'))).toBe(true);
    const leaks = lines.filter((line) => /lindqvist|M-0042|004217|123 45 67|701234567/i.test(line));
    expect(leaks).toEqual([]);
  });
});
