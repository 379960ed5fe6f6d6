import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, startScriptedServer, type ScriptedServer } from '../support/http-server.ts';
import { ADMIN_TOKEN, createTenant, startSystem, type TestSystem, waitForBatch } from '../support/system.ts';
import { createUiUser, FORM, form, HTML, postLogin, signIn, signInAdmin, type UiSession } from '../support/ui.ts';

// The card and operator pages as people read them, without a page script.
let system: TestSystem;
let master: ScriptedServer;

beforeAll(async () => {
  system = await startSystem({ OUTBOUND_ALLOW_PRIVATE: 'true', WEBHOOK_RETRY_SCHEDULE: '1h' });
  await system.startWorker();
  master = await startScriptedServer((_request, response) => json(response, 503, { error: 'maintenance' }));
}, 60_000);
afterAll(async () => {
  await master?.close();
  await system?.close();
});

const adminHeaders = { authorization: `Bearer ${ADMIN_TOKEN}` };
const page = (session: UiSession, url: string) => system.app.inject({ url, headers: { ...HTML, cookie: session.cookie } });

async function signedIn(mode: 'balance-only' | 'all-transaction' = 'all-transaction') {
  const tenant = await createTenant(system.app, { mode });
  const user = await createUiUser(system.app, tenant.id);
  const session = await signIn(system.app, { tenant: tenant.name, username: user.username, password: user.password });
  return { tenant, user, session };
}

const post = (session: UiSession, contact: string, fields: Record<string, string>) =>
  system.app.inject({
    method: 'POST',
    url: `/ui/contacts/${contact}/adjustments`,
    headers: { ...FORM, ...HTML, cookie: session.cookie },
    payload: form({ _csrf: session.csrf, definitionId: '1', direction: 'give', description: 'Goodwill', ...fields }),
  });

const adjustmentCount = async (tenantId: string) =>
  (await system.runtime.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM point_adjustment WHERE tenant_id = $1', [tenantId])).rows[0]!.n;

/** The visible text of a page without its folded "Technical details". */
const visibleText = (body: string) => body.replace(/<details class="technical">[\s\S]*?<\/details>/g, '');

describe('giving points from the card', () => {
  it('asks to confirm a large amount (without script too), sends it once confirmed, and asks again when the amount changes', async () => {
    const { tenant, session } = await signedIn();
    const contact = randomUUID();
    const card = await page(session, `/ui/contacts/${contact}`);
    expect(card.body).toContain('At most 100,000 at a time; above 10,000 you are asked to confirm.');
    // A contact without accounts is said to have none yet, and where points given go.
    expect(card.body).toContain('No points yet for this contact');
    expect(card.body).toContain('Points given here go to the point master');

    const asked = await post(session, contact, { amount: '50000' });
    expect(asked.statusCode, asked.body).toBe(200);
    expect(asked.body).toContain('Please confirm: give 50,000 points?');
    expect(asked.body).toContain('Yes, give 50,000 points');
    const token = /name="confirmed" value="([^"]+)"/.exec(asked.body)?.[1];
    expect(token).toBe('give:50000:1');
    expect(await adjustmentCount(tenant.id)).toBe(0);

    // Confirming another amount than the one shown asks again.
    expect((await post(session, contact, { amount: '60000', confirmed: token! })).body).toContain('Please confirm: give 60,000 points?');
    expect(await adjustmentCount(tenant.id)).toBe(0);

    const sent = await post(session, contact, { amount: '50000', confirmed: token! });
    expect(sent.statusCode, sent.body).toBe(303);
    expect(await adjustmentCount(tenant.id)).toBe(1);
    // Small amounts go straight through.
    expect((await post(session, contact, { amount: '10000' })).statusCode).toBe(303);
    expect(await adjustmentCount(tenant.id)).toBe(2);
  });

  it('refuses more than the limit with the maximum named by the field label, and hints at Remove for "-50"', async () => {
    const { tenant, session } = await signedIn();
    const contact = randomUUID();
    const tooMany = await post(session, contact, { amount: '2147483647' });
    expect(tooMany.statusCode).toBe(400);
    expect(tooMany.body).toContain('<strong>Amount</strong>: must be at most 100,000 points (the limit per adjustment)');
    expect(tooMany.body).toContain('The points were not sent');

    const minus = await post(session, contact, { amount: '-50' });
    expect(minus.statusCode).toBe(400);
    expect(minus.body).toContain('<strong>Amount</strong>: has a minus sign: to take points away, choose “Remove points” and enter 50');
    expect(await adjustmentCount(tenant.id)).toBe(0);
  });

  it('says reasons are limited to 1,000 characters and refuses a longer one by the field label', async () => {
    const { tenant, session } = await signedIn();
    const contact = randomUUID();
    expect((await page(session, `/ui/contacts/${contact}`)).body).toContain('At most 1,000 characters.');
    const long = await post(session, contact, { amount: '10', description: 'x'.repeat(1001) });
    expect(long.statusCode).toBe(400);
    expect(long.body).toContain('<strong>Reason</strong>: is longer than 1,000 characters; shorten it');
    expect(await adjustmentCount(tenant.id)).toBe(0);
  });

  it('while the master does not answer: saved, not "sent"; the retry says its time; its answer sits under technical details', async () => {
    const { tenant, session } = await signedIn();
    await system.app.inject({ method: 'PUT', url: `/admin/v1/tenants/${tenant.id}/webhook`, headers: adminHeaders, payload: { url: master.url } });
    const contact = randomUUID();
    const sent = await post(session, contact, { amount: '25' });
    expect(sent.statusCode).toBe(303);
    await expect.poll(async () => (await page(session, `/ui/contacts/${contact}/adjustments`)).body, { timeout: 10_000 }).toContain('>Retrying<');

    const card = await page(session, String(sent.headers.location).replace(/#.*/, ''));
    expect(card.body).toContain('Saved; will be sent when the master answers');
    expect(card.body).not.toContain('Sent to the point master');
    // A time of day, with the date in front when the retry falls on another day (past 23:00 UTC, say).
    expect(card.body).toMatch(/Next try at <time datetime="[^"]+" data-format="time">(\d{1,2} \w{3} \d{4}, )?\d\d:\d\d<\/time>/);
    expect(card.body).toContain('The master answered 503');
    expect(visibleText(card.body)).not.toContain('The master answered 503');
  });
});

describe('words for people', () => {
  it('shows an unreachable points log without "Bad gateway" or ECONNREFUSED outside the technical details', async () => {
    const { tenant, session } = await signedIn('balance-only');
    await system.app.inject({
      method: 'PUT',
      url: `/admin/v1/tenants/${tenant.id}/points-log`,
      headers: adminHeaders,
      payload: { urlTemplate: 'http://127.0.0.1:9/points/{contactId}' },
    });
    const card = await page(session, `/ui/contacts/${randomUUID()}`);
    expect(card.statusCode).toBe(200);
    expect(card.body).toContain('History not available right now');
    expect(card.body).toContain('Technical details');
    for (const developerWords of ['Bad gateway', 'ECONNREFUSED', 'Invalid request', 'Unauthorized']) {
      expect(visibleText(card.body)).not.toContain(developerWords);
    }
  });

  it('shows expired points without the internal id of the transaction they came from', async () => {
    const { tenant, session } = await signedIn();
    const contact = randomUUID();
    const past = (days: number) => new Date(Date.now() - days * 86_400_000).toISOString();
    const stored = await system.app.inject({
      method: 'POST',
      url: '/api/v2/point-accounts/transactions',
      headers: tenant.headers,
      payload: [
        {
          contactId: contact,
          definitionId: 1,
          amount: 40,
          source: 'Purchase',
          description: 'Receipt 7',
          timeStamp: past(30),
          validFrom: past(30),
          validTo: past(1),
        },
      ],
    });
    await waitForBatch(system.app, tenant.headers, stored.json().id);
    const card = await page(session, `/ui/contacts/${contact}`);
    expect(card.body).toContain('40 points expired');
    expect(card.body).not.toMatch(/points of transaction \d+ expired/);
    // The legend says what each status means.
    for (const meaning of ['given, not yet usable', 'counts in the balance now', 'no longer in the balance', 'takes expired points off the balance']) {
      expect(card.body).toContain(meaning);
    }
  });

  it('says how many points expire next, and when (date and time)', async () => {
    const { tenant, session } = await signedIn();
    const contact = randomUUID();
    const soon = new Date(Date.now() + 5 * 86_400_000);
    soon.setUTCHours(14, 5, 0, 0);
    const later = new Date(soon.getTime() + 30 * 86_400_000).toISOString();
    const row = (amount: number, validTo: string) => ({ contactId: contact, definitionId: 1, amount, source: 'Purchase', description: 'Receipt', validTo });
    const stored = await system.app.inject({
      method: 'POST',
      url: '/api/v2/point-accounts/transactions',
      headers: tenant.headers,
      payload: [row(30, soon.toISOString()), row(20, soon.toISOString()), row(70, later)],
    });
    await waitForBatch(system.app, tenant.headers, stored.json().id);
    const card = await page(session, `/ui/contacts/${contact}`);
    expect(card.body).toMatch(
      new RegExp(`<span data-testid="expiring-points">50 points</span> on <time datetime="${soon.toISOString()}" data-format="datetime">[^<]*14:05</time>`),
    );
  });

  it('names sign-in fields by their labels, with a heading for people', async () => {
    const response = await postLogin(system.app, '/ui/login', { tenant: '', username: 'someone', password: 'x' });
    expect(response.statusCode).toBe(400);
    expect(response.body).toContain('Fill in every field');
    expect(response.body).toContain('<strong>Organisation</strong>: is required');
    expect(response.body).not.toContain('Invalid request');

    const wrong = await postLogin(system.app, '/ui/login', { tenant: 'nobody', username: 'someone', password: 'x' });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.body).toContain('Sign-in failed');
    expect(wrong.body).not.toContain('Unauthorized');
  });

  it('labels the waiting state "Waiting for a webhook URL" on the operator pages, with times as <time> elements', async () => {
    const { tenant, session } = await signedIn();
    expect((await post(session, randomUUID(), { amount: '5' })).statusCode).toBe(303);
    const operator = await signInAdmin(system.app, ADMIN_TOKEN);
    const list = await system.app.inject({ url: `/ui/admin/deliveries?tenant=${tenant.id}`, headers: { ...HTML, cookie: operator.cookie } });
    expect(list.body).toContain('>Waiting for a webhook URL<');
    expect(list.body).not.toContain('>AwaitingConfiguration<');
    expect(list.body).toMatch(/<td data-label="Created"><time datetime="[^"]+" data-format="datetime">/);
  });
});

describe('signing in', () => {
  it('matches the organisation name whatever its case, like the username', async () => {
    const tenant = await createTenant(system.app);
    const user = await createUiUser(system.app, tenant.id);
    const response = await postLogin(system.app, '/ui/login', {
      tenant: tenant.name.toUpperCase(),
      username: user.username.toUpperCase(),
      password: user.password,
    });
    expect(response.statusCode, response.body).toBe(303);
  });

  it('focuses the first empty field: Username when ?tenant= names the organisation, the contact id after sign-in', async () => {
    const named = await system.app.inject({ url: '/ui/login?tenant=acme-retail', headers: HTML });
    expect(named.body).toMatch(/id="tenant"[^>]*value="acme-retail"/);
    expect(named.body).toMatch(/id="username"[^>]*autofocus/);
    expect(named.body).not.toMatch(/id="tenant"[^>]*autofocus/);
    const plain = await system.app.inject({ url: '/ui/login', headers: HTML });
    expect(plain.body).toMatch(/id="tenant"[^>]*autofocus/);
    const { session } = await signedIn();
    expect((await page(session, '/ui')).body).toMatch(/id="contactId"[^>]*autofocus/);
  });

  it('tells a locked-out user to ask an operator', async () => {
    const tenant = await createTenant(system.app);
    const user = await createUiUser(system.app, tenant.id);
    const attempt = () => postLogin(system.app, '/ui/login', { tenant: tenant.name, username: user.username, password: 'wrong' });
    for (let i = 0; i < 5; i += 1) await attempt();
    const locked = await attempt();
    expect(locked.statusCode).toBe(429);
    expect(locked.body).toContain('ask an operator');
  });
});
