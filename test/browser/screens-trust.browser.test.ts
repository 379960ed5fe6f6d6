import { randomUUID } from 'node:crypto';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from '../support/browser.ts';
import { closeBrowserSystem, openBrowserSystem } from '../support/browser-system.ts';
import { json, startScriptedServer, type ScriptedServer } from '../support/http-server.ts';
import { ADMIN_TOKEN, createTenant, type TestSystem, waitForBatch } from '../support/system.ts';
import { createUiUser } from '../support/ui.ts';

// Screens people can trust, in real headless Chromium against the real API and worker:
// the card's tile, line and banner agree at every stage; drift asks for a person; every operator page fits a phone.
let system: TestSystem;
let browser: Browser;
let master: ScriptedServer;
/** How the scripted point master answers webhooks right now. */
let masterAnswer: 'ok' | 'down' | 'gone' = 'ok';
let base: string;

beforeAll(async () => {
  ({ system, browser, base } = await openBrowserSystem({ OUTBOUND_ALLOW_PRIVATE: 'true', WEBHOOK_RETRY_SCHEDULE: '1h' }));
  master = await startScriptedServer((_request, response) => {
    if (masterAnswer === 'ok') response.writeHead(204).end();
    else if (masterAnswer === 'gone') json(response, 410, { error: 'gone' });
    else json(response, 503, { error: 'maintenance' });
  });
}, 60_000);

afterAll(async () => {
  await master?.close();
  await closeBrowserSystem({ system, browser });
});

type Tenant = Awaited<ReturnType<typeof createTenant>>;
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

async function pushTransactions(tenant: Tenant, rows: object[]) {
  const accepted = await system.app.inject({ method: 'POST', url: '/api/v2/point-accounts/transactions', headers: tenant.headers, payload: rows });
  expect(accepted.statusCode, accepted.body).toBe(202);
  await waitForBatch(system.app, tenant.headers, accepted.json().id);
}

/** The master's URL with a path as long as real ones are (the scripted master answers on any path): pages that show it must wrap it. */
async function setWebhook(tenant: Tenant) {
  const url = `${master.url}/integrations/engage/webhooks/loyalty-adjustments`;
  const webhook = await system.app.inject({ method: 'PUT', url: `/admin/v1/tenants/${tenant.id}/webhook`, headers: admin, payload: { url } });
  expect(webhook.statusCode, webhook.body).toBe(200);
}

/** A page in the shared context; `fresh` signs everyone out first (the operator's and a user's sessions can be open side by side). */
async function newPage(width = 1280, fresh = true): Promise<Page> {
  if (fresh) await browser.context.clearCookies();
  const page = await browser.context.newPage();
  await page.setViewportSize({ width, height: 900 });
  return page;
}

async function signIn(page: Page, tenantName: string, user: { username: string; password: string }) {
  await page.goto(`${base}/ui/login?tenant=${encodeURIComponent(tenantName)}`);
  await page.getByLabel('Username').fill(user.username);
  await page.getByLabel('Password').fill(user.password);
  await page.getByLabel('Password').press('Enter');
  await page.getByRole('heading', { name: 'Find a contact' }).waitFor();
}

async function signInOperator(page: Page) {
  await page.goto(`${base}/ui/admin/login`);
  await page.getByLabel('Admin token').fill(ADMIN_TOKEN);
  await page.getByLabel('Admin token').press('Enter');
  await page.getByRole('heading', { name: 'Overview' }).waitFor();
}

/** The event id of the webhook the master received last: the externalId a master sends the adjustment back with. */
const lastEventId = () => (JSON.parse(master.requests.at(-1)!.body) as { id: string }).id;

describe('the card tells one truth at a time', () => {
  it('walks an adjustment through every stage: tile, line and banner agree at each, and the tile moves in place', async () => {
    const tenant = await createTenant(system.app, { mode: 'all-transaction' });
    const contact = randomUUID();
    await pushTransactions(tenant, [{ contactId: contact, definitionId: 1, amount: 1470, source: 'Purchase', description: 'Opening purchase' }]);
    const user = await createUiUser(system.app, tenant.id);
    const page = await newPage();
    await signIn(page, tenant.name, user);
    await page.goto(`${base}/ui/contacts/${contact}`);

    const tile = page.getByTestId('balance').locator('.figure');
    const banner = page.locator('#adjustment-sent .alert-title');
    const line = (n: number) => page.locator('.adjustment').nth(n).getByTestId('adjustment-state');
    async function send(amount: string, reason: string) {
      await page.getByLabel('Amount').fill(amount);
      await page.getByLabel('Reason').fill(reason);
      await page.getByRole('button', { name: 'Send to point master' }).click();
      await page.locator('#adjustment-sent').waitFor();
    }
    const agree = async (expected: { tile: string; line: string; banner: string }) => {
      await expect.poll(() => line(0).textContent(), { timeout: 15_000 }).toBe(expected.line);
      await expect.poll(() => banner.textContent(), { timeout: 15_000 }).toBe(expected.banner);
      await expect.poll(() => tile.textContent(), { timeout: 15_000 }).toBe(expected.tile);
    };

    // No webhook yet: waiting for the connection, and the banner says so (not "not answering").
    await send('75', 'Goodwill');
    await agree({ tile: '1,470', line: 'Waiting to send', banner: 'Saved; waiting for the connection to the point master' });
    expect(await page.locator('#adjustment-sent').textContent()).not.toContain('not answering');

    // A webhook to a master that is down: the same adjustment is tried and waits to be tried again.
    masterAnswer = 'down';
    await setWebhook(tenant);
    await agree({ tile: '1,470', line: 'Retrying', banner: 'Saved; will be sent when the master answers' });

    // The master is back: a new adjustment reaches it; the balance waits for its sync.
    masterAnswer = 'ok';
    await send('25', 'Birthday gift');
    await agree({ tile: '1,470', line: 'Sent · awaiting master sync', banner: 'Sent to the point master' });

    // The master's next push for the account: Synced, and the tile moves without a reload.
    await pushTransactions(tenant, [{ contactId: contact, definitionId: 1, amount: 25, source: 'Adjustment', description: 'Birthday gift' }]);
    await agree({ tile: '1,495', line: 'Synced', banner: 'Sent; the master has synced since' });

    // A master that sends the adjustment back under its event id: Confirmed, exactly, and the tile includes it.
    await send('10', 'Survey answered');
    await agree({ tile: '1,495', line: 'Sent · awaiting master sync', banner: 'Sent to the point master' });
    await pushTransactions(tenant, [
      { contactId: contact, definitionId: 1, amount: 10, source: 'Adjustment', description: 'Survey answered', externalId: lastEventId() },
    ]);
    await agree({ tile: '1,505', line: 'Confirmed', banner: 'Confirmed by the point master' });
    expect(await page.locator('.adjustment').first().getByText('the balance above includes it').count()).toBe(1);

    // A master that refuses for good: Failed, red, and the balance stays.
    masterAnswer = 'gone';
    await send('5', 'Refused on purpose');
    await agree({ tile: '1,505', line: 'Failed', banner: 'Saved, but the point master refused it' });
    expect(await page.locator('#adjustment-sent').getAttribute('class')).toContain('alert-error');
    masterAnswer = 'ok';
    await page.close();
  }, 120_000);
});

const RECONCILIATIONS = '/api/v2/point-accounts/reconciliations';

/** A reconciliation as a master runs it through the API: open, list, complete, wait until the worker has compared. */
async function reconcile(tenant: Tenant, asOf: Date, items: { contactId: string; definitionId: number; balance: number }[]) {
  const call = (method: 'GET' | 'POST', url: string, payload?: unknown) =>
    system.app.inject({ method, url, headers: tenant.headers, ...(payload === undefined ? {} : { payload: payload as object }) });
  const opened = await call('POST', RECONCILIATIONS, { asOf: asOf.toISOString(), scope: 'Listed' });
  expect(opened.statusCode, opened.body).toBe(201);
  const { id } = opened.json<{ id: string }>();
  expect((await call('POST', `${RECONCILIATIONS}/${id}/accounts`, items)).statusCode).toBe(200);
  expect((await call('POST', `${RECONCILIATIONS}/${id}/complete`)).statusCode).toBe(202);
  await expect.poll(async () => (await call('GET', `${RECONCILIATIONS}/${id}`)).json<{ status: string }>().status, { timeout: 20_000 }).toBe('Completed');
  return id;
}

async function latestReconciliation(tenant: Tenant) {
  const listed = await system.app.inject({ url: `${RECONCILIATIONS}?count=1`, headers: tenant.headers });
  return listed.json<{ items: { id: string; status: string; drifted: number; repaired: number; repair: boolean }[] }>().items[0]!;
}

/** A definition named in a right-to-left script: isolated, it cannot reorder the figures beside it. */
const RTL_NAME = 'נקודות בונוס';

describe('drift asks for a person, and every operator page fits a phone', () => {
  it('lists the drifted tenant, names the kinds, repairs through the confirmation, and the card note and the red go away', async () => {
    const tenant = await createTenant(system.app, { mode: 'all-transaction' });
    const [a, b, c] = [randomUUID(), randomUUID(), randomUUID()];
    await pushTransactions(tenant, [
      { contactId: a, definitionId: 1, amount: 100, source: 'Purchase', description: 'Jacket' },
      { contactId: b, definitionId: 1, amount: 50, source: 'Purchase', description: 'Socks' },
    ]);
    const then = new Date();
    const drifted = await reconcile(tenant, then, [
      { contactId: a, definitionId: 1, balance: 130 },
      { contactId: b, definitionId: 1, balance: 50 },
      { contactId: c, definitionId: 1, balance: 20 },
    ]);
    const user = await createUiUser(system.app, tenant.id);

    // The card marks the account with both figures.
    const card = await newPage();
    await signIn(card, tenant.name, user);
    await card.goto(`${base}/ui/contacts/${a}`);
    expect(await card.getByTestId('drift-master').textContent()).toBe('130');
    expect(await card.getByTestId('drift-follower').textContent()).toBe('100');

    const page = await newPage(1280, false);
    await signInOperator(page);
    const needs = page.getByTestId('needs-person').locator(`li[data-tenant-id="${tenant.id}"]`);
    expect(await needs.getAttribute('data-reasons')).toContain('drift');
    expect(await needs.textContent()).toMatch(/2 accounts differ from the master/);
    const row = page.locator(`tr[data-reconciliation-id="${drifted}"]`);
    expect(await row.locator('.pill').textContent()).toBe('Drifted, not repaired');
    expect(await row.locator('.pill').getAttribute('class')).not.toContain('pill-delivered');

    // The kinds in words, each with its sentence; then the repair, asked first.
    await needs.getByRole('link', { name: /differ from the master/ }).click();
    await page.getByTestId('drifts').waitFor();
    expect(await page.getByTestId('drifts').locator('td[data-label="Kind"]').allTextContents()).toEqual(
      [a, c].sort().map((id) => (id === a ? 'Balance differs' : 'Missing here')),
    );
    expect(await page.getByTestId('kind-legend').textContent()).toContain('the follower had nothing for it by that time');
    expect(await page.content()).not.toMatch(/>(BalanceDiffers|MissingInFollower)</);
    await page.getByRole('link', { name: 'Repair these accounts' }).click();
    await page.getByRole('heading', { name: 'Repair 2 drifted accounts?' }).waitFor();
    expect(await page.locator('form input[name="_csrf"]').count()).toBeGreaterThan(0);
    await page.getByRole('button', { name: 'Yes, repair these accounts' }).click();
    await page.getByTestId('repair-started').waitFor();

    // The repair runs as a reconciliation with repair, through the API's service; it brings both to the master's figures.
    await expect.poll(async () => (await latestReconciliation(tenant)).status, { timeout: 20_000 }).toBe('Completed');
    expect(await latestReconciliation(tenant)).toMatchObject({ repair: true, drifted: 2, repaired: 2 });
    await page.goto(`${base}/ui/admin`);
    expect(await page.getByTestId('needs-person').locator(`li[data-tenant-id="${tenant.id}"]`).count()).toBe(0);
    // The drifted reconciliation is history now: no longer red, and it says a later one followed.
    const before = page.locator(`tr[data-reconciliation-id="${drifted}"] .pill`);
    expect(await before.textContent()).toBe('Drifted, later reconciled');
    expect(await before.getAttribute('class')).toContain('pill-neutral');

    // The account matches the master again: the card's note is gone, and the balance is the master's.
    await card.reload();
    await card.getByTestId('contact-id').waitFor();
    expect(await card.getByTestId('drift').count()).toBe(0);
    expect(await card.getByTestId('balance').locator('.figure').textContent()).toBe('130');
    await card.close();
    await page.close();
  }, 120_000);

  it('every operator page, and the card, is no wider than a 360 px screen', async () => {
    const tenant = await createTenant(system.app, { mode: 'all-transaction' });
    const contact = randomUUID();
    const longReason = `Complaint 4411: ${'the parcel arrived late and damaged, '.repeat(12)}`;
    const definition = await system.app.inject({
      method: 'POST',
      url: `/admin/v1/tenants/${tenant.id}/definitions`,
      headers: admin,
      payload: { id: 2, name: RTL_NAME },
    });
    expect(definition.statusCode, definition.body).toBe(201);
    await pushTransactions(tenant, [
      { contactId: contact, definitionId: 1, amount: 400, source: 'Purchase', description: longReason },
      { contactId: contact, definitionId: 2, amount: 30, source: 'Purchase', description: 'Welcome' },
    ]);
    const reconciliation = await reconcile(tenant, new Date(Date.now() - 1000), [{ contactId: contact, definitionId: 1, balance: 450 }]);
    masterAnswer = 'down';
    await setWebhook(tenant);
    const user = await createUiUser(system.app, tenant.id);
    const key = await system.app.inject({
      method: 'POST',
      url: `/admin/v1/tenants/${tenant.id}/api-keys`,
      headers: admin,
      payload: { name: 'point master with a long name' },
    });
    const keyId = key.json<{ id: string }>().id;

    const cardPage = await newPage(360);
    await signIn(cardPage, tenant.name, user);
    await cardPage.goto(`${base}/ui/contacts/${contact}`);
    await cardPage.getByLabel('Amount').fill('25');
    await cardPage.getByLabel('Reason').fill(longReason);
    await cardPage.getByRole('button', { name: 'Send to point master' }).click();
    await expect.poll(() => cardPage.locator('.adjustment').first().getByTestId('adjustment-state').textContent(), { timeout: 15_000 }).toBe('Retrying');
    masterAnswer = 'ok';

    const widths: Record<string, number> = {};
    const wider: Record<string, string[]> = {};
    const measure = async (page: Page, name: string, path: string) => {
      await page.goto(`${base}${path}`);
      widths[name] = await page.evaluate<number>('document.documentElement.scrollWidth');
      // What sticks out, named in the failure message.
      wider[name] = await page.evaluate<string[]>(
        "[...document.querySelectorAll('body *')].filter((el) => el.getBoundingClientRect().right > window.innerWidth + 1).slice(0, 5).map((el) => el.tagName + '.' + el.className)",
      );
    };
    await measure(cardPage, 'card', `/ui/contacts/${contact}`);
    // A reason longer than three lines folds, with a switch to show all of it.
    const reason = cardPage.locator('.adjustment-description [data-fold]').first();
    expect(await reason.evaluate((el) => el.scrollHeight > el.clientHeight)).toBe(true);
    await cardPage.locator('.adjustment .fold-toggle').first().click();
    expect(await reason.evaluate((el) => el.scrollHeight <= el.clientHeight + 1)).toBe(true);
    // User text is isolated, each piece in a <bdi> of its own.
    expect(await cardPage.locator('.account-tile-name bdi', { hasText: RTL_NAME }).count()).toBe(1);
    expect(await cardPage.locator('bdi', { hasText: 'Complaint 4411' }).count()).toBeGreaterThan(0);

    const operator = await newPage(360, false);
    await signInOperator(operator);
    const pages: [string, string][] = [
      ['overview', '/ui/admin'],
      ['deliveries', `/ui/admin/deliveries?tenant=${tenant.id}`],
      ['new tenant', '/ui/admin/tenants/new'],
      ['tenant', `/ui/admin/tenants/${tenant.id}`],
      ['setup', `/ui/admin/tenants/${tenant.id}/setup`],
      ['subscriptions', `/ui/admin/tenants/${tenant.id}/subscriptions`],
      ['revoke key', `/ui/admin/tenants/${tenant.id}/api-keys/${keyId}/revoke`],
      ['reset password', `/ui/admin/tenants/${tenant.id}/users/${user.id}/password`],
      ['reconciliation', `/ui/admin/reconciliations/${tenant.id}/${reconciliation}`],
      ['repair', `/ui/admin/reconciliations/${tenant.id}/${reconciliation}/repair`],
    ];
    for (const [name, path] of pages) await measure(operator, name, path);
    expect(widths, JSON.stringify(wider)).toEqual(Object.fromEntries(Object.keys(widths).map((name) => [name, 360])));
    await cardPage.close();
    await operator.close();
  }, 120_000);
});
