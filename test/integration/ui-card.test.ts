import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { json, type RecordedRequest, type ScriptedServer, startScriptedServer } from '../support/http-server.ts';
import { ADMIN_TOKEN, createTenant, startSystem, type TestSystem, waitForBatch } from '../support/system.ts';
import { createUiUser, FORM, form, HTML, signIn, signInAdmin, type UiSession } from '../support/ui.ts';

type Tenant = Awaited<ReturnType<typeof createTenant>>;

let system: TestSystem;
let master: ScriptedServer;
let answer: (request: RecordedRequest, response: ServerResponse) => void;

beforeAll(async () => {
  system = await startSystem({ OUTBOUND_ALLOW_PRIVATE: 'true', POINTS_LOG_TIMEOUT_MS: '300', WEBHOOK_RETRY_SCHEDULE: '100ms' });
  await system.startWorker();
  master = await startScriptedServer((request, response) => answer(request, response));
});
afterAll(async () => {
  await master?.close();
  await system?.close();
});
beforeEach(() => {
  answer = (_request, response) => response.writeHead(204).end();
});

const adminHeaders = { authorization: `Bearer ${ADMIN_TOKEN}` };
const page = (session: UiSession, url: string) => system.app.inject({ url, headers: { ...HTML, cookie: session.cookie } });

async function signedInTenant(options: { mode?: 'balance-only' | 'all-transaction'; definitions?: number[] } = {}) {
  const tenant = await createTenant(system.app, { mode: options.mode ?? 'all-transaction', definitions: options.definitions ?? [1] });
  const user = await createUiUser(system.app, tenant.id, { displayName: 'Sam Support' });
  const session = await signIn(system.app, { tenant: tenant.name, username: user.username, password: user.password });
  return { tenant, user, session };
}

async function transactions(tenant: Tenant, rows: object[]) {
  const response = await system.app.inject({ method: 'POST', url: '/api/v2/point-accounts/transactions', headers: tenant.headers, payload: rows });
  expect(response.statusCode, response.body).toBe(202);
  await waitForBatch(system.app, tenant.headers, response.json().id);
}

async function balances(tenant: Tenant, rows: object[]) {
  const response = await system.app.inject({ method: 'POST', url: '/api/v2/point-accounts/balances', headers: tenant.headers, payload: rows });
  expect(response.statusCode, response.body).toBe(202);
  await waitForBatch(system.app, tenant.headers, response.json().id);
}

const purchase = (contactId: string, amount: number, description: string, definitionId = 1) => ({
  contactId,
  definitionId,
  amount,
  source: 'Purchase',
  description,
});

function postAdjustment(session: UiSession, contact: string, fields: Record<string, string>, accept: 'html' | 'json') {
  return system.app.inject({
    method: 'POST',
    url: `/ui/contacts/${contact}/adjustments`,
    headers: { ...FORM, cookie: session.cookie, ...(accept === 'html' ? HTML : { accept: 'application/json', 'x-csrf-token': session.csrf }) },
    payload: form({ ...(accept === 'html' ? { _csrf: session.csrf } : {}), ...fields }),
  });
}

const give = { definitionId: '1', direction: 'give', amount: '120', description: 'Birthday gift' };

describe('contact card', () => {
  it("shows only the signed-in user's tenant: the same contact id in another tenant stays invisible", async () => {
    const a = await signedInTenant();
    const b = await signedInTenant({ definitions: [1, 7] });
    const contact = randomUUID();
    await transactions(a.tenant, [purchase(contact, 300, 'Tenant A purchase')]);
    await transactions(b.tenant, [purchase(contact, 9999, 'Tenant B secret purchase'), purchase(contact, 5, 'Tenant B other definition', 7)]);
    await postAdjustment(b.session, contact, { ...give, description: 'Tenant B goodwill' }, 'json');

    const cardA = await page(a.session, `/ui/contacts/${contact}`);
    expect(cardA.statusCode).toBe(200);
    expect(cardA.body).toContain('Tenant A purchase');
    expect(cardA.body).toMatch(/<span class="figure">300<\/span>/);
    expect(cardA.body).not.toMatch(/Tenant B|9,999|Definition 7/);
    const listA = await page(a.session, `/ui/contacts/${contact}/adjustments`);
    expect(listA.body).not.toContain('Tenant B goodwill');
    expect(listA.body).toContain('No points given or removed for this contact yet.');
    // Another tenant's definition does not exist for this user: nothing is sent.
    const refused = await postAdjustment(a.session, contact, { ...give, definitionId: '7' }, 'json');
    expect(refused.statusCode).toBe(400);
    expect(refused.json().errors).toEqual([{ path: 'definitionId', message: 'point definition 7 does not exist for this tenant' }]);
  });

  it('escapes whatever the master sent, so a description cannot inject markup', async () => {
    const { tenant, session } = await signedInTenant();
    const contact = randomUUID();
    await transactions(tenant, [purchase(contact, 10, '<img src=x onerror="alert(1)"><script>alert(2)</script>')]);
    const card = await page(session, `/ui/contacts/${contact}`);
    expect(card.body).toContain('&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&lt;script&gt;alert(2)&lt;/script&gt;');
    expect(card.body).not.toContain('<script>alert');
  });

  it('explains a contact id that is not a uuid, and opens a valid one in lower case', async () => {
    const { session } = await signedInTenant();
    const bad = await page(session, '/ui/contacts?contactId=12345');
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('A contact id is a uuid');
    expect(bad.body).toContain('value="12345"');
    const contact = randomUUID();
    const good = await page(session, `/ui/contacts?contactId=${contact.toUpperCase()}`);
    expect(good.statusCode).toBe(303);
    expect(good.headers.location).toBe(`/ui/contacts/${contact}`);
    expect((await page(session, `/ui/contacts/${contact}`)).body).toContain('No points yet for this contact');
    expect((await page(session, '/ui/contacts/not-a-uuid')).statusCode).toBe(400);
  });

  it('pages and filters the ledger history of the chosen account', async () => {
    const { tenant, session } = await signedInTenant({ definitions: [1, 2] });
    const contact = randomUUID();
    const later = new Date(Date.now() + 5 * 86_400_000).toISOString();
    await transactions(tenant, [
      ...Array.from({ length: 23 }, (_, i) => purchase(contact, i + 1, `Receipt ${i + 1}`)),
      { ...purchase(contact, 70, 'Future bonus'), validFrom: later },
      purchase(contact, 40, 'Other account', 2),
    ]);
    const first = await page(session, `/ui/contacts/${contact}`);
    expect(first.body).toContain('Showing 1–20 of 24');
    expect(first.body).not.toContain('Other account');
    const second = await page(session, `/ui/contacts/${contact}?offset=20`);
    expect(second.body).toContain('Showing 21–24 of 24');
    const pending = await page(session, `/ui/contacts/${contact}?filter=Pending`);
    expect(pending.body).toContain('Showing 1–1 of 1');
    expect(pending.body).toContain('Future bonus');
    const other = await page(session, `/ui/contacts/${contact}?definition=2`);
    expect(other.body).toContain('Other account');
    expect(other.body).toContain('Showing 1–1 of 1');
    expect((await page(session, `/ui/contacts/${contact}?filter=Everything`)).statusCode).toBe(400);
  });
});

describe('giving and removing points from the card', () => {
  it('sends a Manual adjustment carrying the user id and name; without a webhook it waits, the balance is unchanged', async () => {
    const { tenant, user, session } = await signedInTenant();
    const contact = randomUUID();
    await transactions(tenant, [purchase(contact, 500, 'Jacket')]);
    const response = await postAdjustment(
      session,
      contact,
      { ...give, direction: 'remove', amount: '75', description: 'Correction of a double purchase' },
      'html',
    );
    expect(response.statusCode, response.body).toBe(303);
    const [path, query] = String(response.headers.location).split('?');
    expect(path).toBe(`/ui/contacts/${contact}`);
    expect(query).toMatch(/^sent=[0-9a-f-]{36}#adjust$/);

    const card = await page(session, String(response.headers.location).replace(/#.*/, ''));
    // Saved, not sent: no green "sent" banner while nothing reached the master, and the banner says why (no webhook yet), as the line does.
    expect(card.body).toContain('Saved; waiting for the connection to the point master');
    expect(card.body).not.toContain('Sent to the point master');
    expect(card.body).toContain('Waiting to send');
    expect(card.body).toContain('-75');
    expect(card.body).toMatch(/<span class="figure">500<\/span>/);
    const api = await system.app.inject({ url: `/api/v2/point-accounts/adjustments?contactId=${contact}`, headers: tenant.headers });
    expect(api.json().items).toEqual([
      expect.objectContaining({
        amount: -75,
        source: 'Manual',
        userId: user.id,
        userName: 'Sam Support',
        description: 'Correction of a double purchase',
        deliveryState: 'AwaitingConfiguration',
      }),
    ]);
  });

  it('answers scripts with 202 and the delivery state, and refuses bad fields with problem details naming them', async () => {
    const { session } = await signedInTenant();
    const contact = randomUUID();
    const ok = await postAdjustment(session, contact, give, 'json');
    expect(ok.statusCode, ok.body).toBe(202);
    expect(ok.json()).toEqual({
      id: expect.any(String),
      deliveryState: 'AwaitingConfiguration',
      banner: { tone: 'warning', title: 'Saved; waiting for the connection to the point master', text: expect.stringContaining('not set up yet') },
    });

    const bad = await postAdjustment(session, contact, { definitionId: '1', direction: 'sideways', amount: '-5', description: ' ' }, 'json');
    expect(bad.statusCode).toBe(400);
    expect(bad.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(bad.json()).toMatchObject({
      title: 'Invalid request',
      detail: '3 fields of the adjustment are not valid; nothing was sent',
      errors: [
        { path: 'direction', message: 'choose whether to give or remove points' },
        { path: 'amount', message: 'has a minus sign: to take points away, choose “Remove points” and enter 5' },
        { path: 'description', message: 'is required: say why, e.g. "Complaint 4411: late delivery"' },
      ],
    });
    const list = await page(session, `/ui/contacts/${contact}/adjustments`);
    expect(list.body.match(/class="adjustment"/g)).toHaveLength(1);
  });

  it('sends once for a form posted twice (one key per rendering of the form), and gives each rendering its own key', async () => {
    const { session } = await signedInTenant();
    const contact = randomUUID();
    const keyOf = (body: string) => /name="idempotencyKey" value="([^"]+)"/.exec(body)?.[1];
    const card = await page(session, `/ui/contacts/${contact}`);
    const key = keyOf(card.body);
    expect(key).toMatch(/^[0-9a-f-]{36}$/);
    expect(keyOf((await page(session, `/ui/contacts/${contact}`)).body)).not.toBe(key);

    const first = await postAdjustment(session, contact, { ...give, idempotencyKey: key! }, 'json');
    const second = await postAdjustment(session, contact, { ...give, idempotencyKey: key! }, 'html');
    expect(first.statusCode, first.body).toBe(202);
    expect(second.statusCode).toBe(303);
    expect(second.headers.location).toContain(`sent=${first.json().id}`);
    const list = await page(session, `/ui/contacts/${contact}/adjustments`);
    expect(list.body.match(/class="adjustment"/g)).toHaveLength(1);
    const refused = await postAdjustment(session, contact, { ...give, idempotencyKey: 'not-a-uuid' }, 'json');
    expect(refused.json().errors).toEqual([{ path: 'idempotencyKey', message: 'must be the key the form was given', code: 'invalid_format' }]);
  });

  it('shows the problem in the form for a post without script, keeping what was typed', async () => {
    const { session } = await signedInTenant();
    const contact = randomUUID();
    const response = await postAdjustment(session, contact, { ...give, amount: '0', description: 'Complaint 17' }, 'html');
    expect(response.statusCode).toBe(400);
    // The heading is for people and the field is named by its label.
    expect(response.body).toContain('The points were not sent');
    expect(response.body).not.toContain('Invalid request');
    expect(response.body).toContain('<strong>Amount</strong>: must be more than 0');
    expect(response.body).toMatch(/id="amount" name="amount"[^>]*value="0"[^>]*aria-invalid="true"/);
    expect(response.body).toContain('value="Complaint 17"');
  });

  it('refuses an adjustment without the CSRF token', async () => {
    const { session } = await signedInTenant();
    const response = await system.app.inject({
      method: 'POST',
      url: `/ui/contacts/${randomUUID()}/adjustments`,
      headers: { ...FORM, accept: 'application/json', cookie: session.cookie },
      payload: form(give),
    });
    expect(response.statusCode).toBe(403);
  });

  it('follows the delivery: sent and awaiting the master sync once the master accepts it, Synced after its next push; Failed when every retry is refused', async () => {
    const { tenant, session } = await signedInTenant({ definitions: [1, 2] });
    const contact = randomUUID();
    const webhook = await system.app.inject({
      method: 'PUT',
      url: `/admin/v1/tenants/${tenant.id}/webhook`,
      headers: adminHeaders,
      payload: { url: `${master.url}/hook` },
    });
    expect(webhook.statusCode).toBe(200);

    expect((await postAdjustment(session, contact, give, 'json')).statusCode).toBe(202);
    await expect
      .poll(async () => (await page(session, `/ui/contacts/${contact}/adjustments`)).body, { timeout: 10_000 })
      .toContain('Sent · awaiting master sync');
    // Delivered is not the end: the page keeps watching until a push for the account arrives after the delivery.
    expect((await page(session, `/ui/contacts/${contact}/adjustments`)).body).toContain('data-settled="false"');
    await transactions(tenant, [purchase(contact, 5, 'Unrelated purchase on another account', 2)]);
    expect((await page(session, `/ui/contacts/${contact}/adjustments`)).body).toContain('Sent · awaiting master sync');
    await transactions(tenant, [purchase(contact, 120, 'Birthday gift')]);
    const synced = (await page(session, `/ui/contacts/${contact}/adjustments`)).body;
    expect(synced).toContain('>Synced<');
    expect(synced).toContain('data-settled="true"');

    answer = (_request, response) => json(response, 500, { error: 'down for maintenance' });
    expect((await postAdjustment(session, contact, { ...give, description: 'Second' }, 'json')).statusCode).toBe(202);
    await expect.poll(async () => (await page(session, `/ui/contacts/${contact}/adjustments`)).body, { timeout: 10_000 }).toContain('>Failed<');
    expect((await page(session, `/ui/contacts/${contact}/adjustments`)).body).toContain('do not give the points again');
  });

  it('shows no form while the point system is switched off', async () => {
    const { tenant, session } = await signedInTenant();
    await system.app.inject({ method: 'PATCH', url: `/admin/v1/tenants/${tenant.id}`, headers: adminHeaders, payload: { pointSystemActive: false } });
    const contact = randomUUID();
    expect((await page(session, `/ui/contacts/${contact}`)).body).toContain('The point system of this organisation is switched off');
    const refused = await postAdjustment(session, contact, give, 'json');
    expect(refused.statusCode).toBe(400);
    expect(refused.json().title).toBe('New point system not active');
  });
});

describe('balance-only history: the master points log', () => {
  async function balanceOnly() {
    const signedIn = await signedInTenant({ mode: 'balance-only' });
    const contact = randomUUID();
    await balances(signedIn.tenant, [{ contactId: contact, amount: 1200, definitionId: 1, timeStamp: new Date().toISOString() }]);
    return { ...signedIn, contact };
  }

  it("shows the master's log newest first, next to the balance", async () => {
    const { tenant, session, contact } = await balanceOnly();
    const configured = await system.app.inject({
      method: 'PUT',
      url: `/admin/v1/tenants/${tenant.id}/points-log`,
      headers: adminHeaders,
      payload: { urlTemplate: `${master.url}/points/{contactId}` },
    });
    expect(configured.statusCode).toBe(200);
    answer = (_request, response) =>
      json(response, 200, [
        { transactionDate: '2026-01-05T10:00:00Z', amount: 700, description: 'Winter sale' },
        { transactionDate: '2026-02-01T09:30:00Z', amount: 500, description: 'Loyalty bonus' },
      ]);
    const card = await page(session, `/ui/contacts/${contact}`);
    expect(card.statusCode).toBe(200);
    expect(card.body).toMatch(/<span class="figure">1,200<\/span>/);
    expect(card.body.indexOf('Loyalty bonus')).toBeLessThan(card.body.indexOf('Winter sale'));
    expect(card.body).toContain('Showing 1–2 of 2');
    expect(master.requests.at(-1)?.url).toBe(`/points/${contact}`);
  });

  it('says clearly when the points log is not set up, or the master does not answer, and still shows the balance', async () => {
    const { tenant, session, contact } = await balanceOnly();
    const notConfigured = await page(session, `/ui/contacts/${contact}`);
    expect(notConfigured.statusCode).toBe(200);
    expect(notConfigured.body).toContain('points log is not set up for this organisation');
    expect(notConfigured.body).toMatch(/<span class="figure">1,200<\/span>/);

    await system.app.inject({
      method: 'PUT',
      url: `/admin/v1/tenants/${tenant.id}/points-log`,
      headers: adminHeaders,
      payload: { urlTemplate: `${master.url}/points/{contactId}` },
    });
    answer = () => undefined; // never answers
    const slow = await page(session, `/ui/contacts/${contact}`);
    expect(slow.statusCode).toBe(200);
    expect(slow.body).toContain('The point master could not be asked for the history right now');
    expect(slow.body).toContain('did not answer within 300 ms');

    answer = (_request, response) => json(response, 200, { not: 'a list' });
    expect((await page(session, `/ui/contacts/${contact}`)).body).toContain('wrong shape');
  });
});

describe('operator deliveries page', () => {
  it("lists a tenant's deliveries and replays a failed one; only for operators, only with the CSRF token", async () => {
    const { tenant, session } = await signedInTenant();
    await system.app.inject({ method: 'PUT', url: `/admin/v1/tenants/${tenant.id}/webhook`, headers: adminHeaders, payload: { url: `${master.url}/gone` } });
    answer = (_request, response) => json(response, 410, { error: 'gone' });
    const contact = randomUUID();
    expect((await postAdjustment(session, contact, give, 'json')).statusCode).toBe(202);
    await expect.poll(async () => (await page(session, `/ui/contacts/${contact}/adjustments`)).body, { timeout: 10_000 }).toContain('>Failed<');

    // A contact card user is not an operator.
    expect((await system.app.inject({ url: `/ui/admin/deliveries?tenant=${tenant.id}`, headers: { ...HTML, cookie: session.cookie } })).statusCode).toBe(303);

    const operator = await signInAdmin(system.app, ADMIN_TOKEN);
    const list = await system.app.inject({ url: `/ui/admin/deliveries?tenant=${tenant.id}&state=Failed`, headers: { ...HTML, cookie: operator.cookie } });
    expect(list.statusCode).toBe(200);
    expect(list.body).toContain('410 Gone stops all retries');
    const id = /data-delivery-id="([0-9a-f-]{36})"/.exec(list.body)?.[1];
    expect(id).toBeDefined();

    const replay = (fields: Record<string, string>) =>
      system.app.inject({ method: 'POST', url: '/ui/admin/deliveries/replay', headers: { ...HTML, ...FORM, cookie: operator.cookie }, payload: form(fields) });
    expect((await replay({ tenantId: tenant.id, id: id! })).statusCode).toBe(403);

    answer = (_request, response) => response.writeHead(204).end();
    const replayed = await replay({ _csrf: operator.csrf, tenantId: tenant.id, id: id! });
    expect(replayed.statusCode, replayed.body).toBe(303);
    expect(replayed.headers.location).toBe(`/ui/admin/deliveries?tenant=${tenant.id}&replayed=${id}`);
    const after = await system.app.inject({ url: String(replayed.headers.location), headers: { ...HTML, cookie: operator.cookie } });
    expect(after.body).toContain(`Delivery ${id} is queued to be sent again`);
    await expect
      .poll(async () => (await page(session, `/ui/contacts/${contact}/adjustments`)).body, { timeout: 10_000 })
      .toContain('Sent · awaiting master sync');

    // Replaying a delivered one is refused on the page with the service's words.
    const again = await replay({ _csrf: operator.csrf, tenantId: tenant.id, id: id! });
    expect(again.statusCode).toBe(409);
    expect(again.body).toContain('only Failed or Retrying deliveries can be replayed');
  });
});
