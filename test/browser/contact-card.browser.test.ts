import { randomUUID } from 'node:crypto';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from '../support/browser.ts';
import { closeBrowserSystem, openBrowserSystem, submitSignIn } from '../support/browser-system.ts';
import { startScriptedServer, type ScriptedServer } from '../support/http-server.ts';
import { ADMIN_TOKEN, createTenant, type TestSystem, waitForBatch } from '../support/system.ts';
import { createUiUser } from '../support/ui.ts';

// The real API and worker on a real port, driven by real headless Chromium.
let system: TestSystem;
let browser: Browser;
let master: ScriptedServer;
let base: string;

beforeAll(async () => {
  ({ system, browser, base } = await openBrowserSystem({ OUTBOUND_ALLOW_PRIVATE: 'true' }));
  master = await startScriptedServer((_request, response) => response.writeHead(204).end());
}, 60_000);

afterAll(async () => {
  await master?.close();
  await closeBrowserSystem({ system, browser });
});

const DAY = 86_400_000;
const at = (days: number) => new Date(Date.now() + days * DAY).toISOString();

/** A tenant in all-transaction mode with 45 transactions for one contact (5 of them pending), a webhook and a card user. */
async function seededTenant() {
  const tenant = await createTenant(system.app, { mode: 'all-transaction', definitions: [1, 2] });
  const contact = randomUUID();
  const rows = Array.from({ length: 45 }, (_, i) => ({
    contactId: contact,
    definitionId: 1,
    amount: i % 9 === 4 ? -20 : 10 + i,
    source: 'Purchase',
    description: `Receipt ${String(i + 1).padStart(3, '0')}`,
    timeStamp: at(-60 + i),
    ...(i >= 40 ? { validFrom: at(3) } : {}),
  }));
  const accepted = await system.app.inject({ method: 'POST', url: '/api/v2/point-accounts/transactions', headers: tenant.headers, payload: rows });
  expect(accepted.statusCode, accepted.body).toBe(202);
  await waitForBatch(system.app, tenant.headers, accepted.json().id);
  const webhook = await system.app.inject({
    method: 'PUT',
    url: `/admin/v1/tenants/${tenant.id}/webhook`,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    payload: { url: `${master.url}/webhooks/engage` },
  });
  expect(webhook.statusCode, webhook.body).toBe(200);
  const user = await createUiUser(system.app, tenant.id, { displayName: 'Maria Lindqvist' });
  return { tenant, contact, user };
}

/** What the API says about the account, to compare the page with. */
async function apiAccount(tenant: { headers: Record<string, string> }, contact: string) {
  const response = await system.app.inject({ url: `/api/v2/point-accounts?contactId=${contact}`, headers: tenant.headers });
  return response.json().items.find((item: { definitionId: number }) => item.definitionId === 1);
}

/** A fresh tab with no cookies left by another test. */
async function newPage(): Promise<Page> {
  await browser.context.clearCookies();
  return browser.context.newPage();
}

/**
 * Collects what the browser reports as errors (script errors, CSP violations),
 * leaving out its notes on 4xx answers, which these tests cause on purpose.
 */
function watchConsole(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error' && !/^Failed to load resource: the server responded with a status of 4\d\d/.test(message.text()))
      errors.push(message.text());
  });
  page.on('pageerror', (err) => errors.push(err.message));
  return errors;
}

describe('contact card in a browser', () => {
  it('signs in, shows the balance the API holds, pages through history, gives points and follows the delivery, signs out', async () => {
    const { tenant, contact, user } = await seededTenant();
    const page = await newPage();
    const errors = watchConsole(page);

    // A wrong password is refused on the form itself.
    await submitSignIn(page, base, tenant.name, user.username, 'not the password');
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('Wrong organisation, username or password');
    expect(new URL(page.url()).pathname).toBe('/ui/login');

    // The right one lands on the search page.
    await page.getByLabel('Password').fill(user.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Find a contact' }).waitFor();
    expect(await page.locator('.account-name').textContent()).toBe('Maria Lindqvist');

    // A search that finds nobody says so; a contact id opens the card.
    await page.getByLabel('Contact id').fill('not-a-contact');
    await page.getByRole('button', { name: 'Open card' }).click();
    expect(await page.getByRole('alert').textContent()).toContain('No contact found');
    await page.getByLabel('Contact id').fill(contact.toUpperCase());
    await page.getByRole('button', { name: 'Open card' }).click();
    await page.getByTestId('contact-id').waitFor();
    expect(await page.getByTestId('contact-id').textContent()).toBe(contact);

    // Balance and pending points are the API's.
    const account = await apiAccount(tenant, contact);
    const tile = page.locator('.account-tile').first();
    expect(await tile.getByTestId('balance').locator('.figure').textContent()).toBe(new Intl.NumberFormat('en-GB').format(account.balance));
    expect(await tile.getByTestId('pending').textContent()).toBe(new Intl.NumberFormat('en-GB').format(account.pendingPoints));
    expect(account.pendingPoints).toBeGreaterThan(0);

    // History, 20 rows a page, newest first; paging and the Pending filter.
    const rows = page.locator('table.history tbody tr');
    expect(await page.getByTestId('pager-status').textContent()).toBe('Showing 1–20 of 45');
    expect(await rows.count()).toBe(20);
    expect(await rows.first().locator('.description').textContent()).toBe('Receipt 045');
    await page.getByRole('link', { name: 'Older →' }).click();
    await expect.poll(() => page.getByTestId('pager-status').textContent()).toBe('Showing 21–40 of 45');
    expect(await rows.first().locator('.description').textContent()).toBe('Receipt 025');
    await page.getByRole('link', { name: 'Older →' }).click();
    await expect.poll(() => page.getByTestId('pager-status').textContent()).toBe('Showing 41–45 of 45');
    expect(await rows.count()).toBe(5);
    await page.getByRole('link', { name: '← Newer' }).click();
    await expect.poll(() => page.getByTestId('pager-status').textContent()).toBe('Showing 21–40 of 45');
    await page.getByRole('navigation', { name: 'Show transactions' }).getByRole('link', { name: 'Pending' }).click();
    await expect.poll(() => page.getByTestId('pager-status').textContent()).toBe('Showing 1–5 of 5');
    expect(await rows.locator('.pill').allTextContents()).toEqual(['Pending', 'Pending', 'Pending', 'Pending', 'Pending']);

    // A bad amount is refused with the problem details' words, next to the form, and nothing is sent.
    await page.getByLabel('Amount').fill('12.50001');
    await page.getByLabel('Reason').fill('Complaint 4411: late delivery');
    await page.getByRole('button', { name: 'Send to point master' }).click();
    const problem = page.locator('#adjustment-error');
    await problem.waitFor();
    expect(await problem.textContent()).toContain('Amount: must have at most 4 decimal places, like 12.5');
    expect(await page.getByLabel('Amount').getAttribute('aria-invalid')).toBe('true');
    expect(master.requests).toHaveLength(0);

    // Give 250 points: sent as a Manual adjustment signed by the user, and its state is followed live.
    await page.getByLabel('Amount').fill('250');
    await page.getByRole('button', { name: 'Send to point master' }).click();
    await page.locator('#adjustment-sent').waitFor();
    const item = page.locator('.adjustment').first();
    await expect.poll(() => item.getByTestId('adjustment-state').textContent(), { timeout: 15_000 }).toBe('Sent · awaiting master sync');
    expect(await item.locator('.adjustment-amount').textContent()).toBe('+250');
    expect(await item.textContent()).toContain('by Maria Lindqvist');
    expect(master.requests).toHaveLength(1);
    const sent = await system.app.inject({ url: `/api/v2/point-accounts/adjustments?contactId=${contact}`, headers: tenant.headers });
    expect(sent.json().items).toEqual([
      expect.objectContaining({
        amount: 250,
        source: 'Manual',
        userId: user.id,
        userName: 'Maria Lindqvist',
        description: 'Complaint 4411: late delivery',
        deliveryState: 'Delivered',
      }),
    ]);
    // The balance waits for the master's next sync.
    expect((await apiAccount(tenant, contact)).balance).toBe(account.balance);

    // Signing out ends the session: the card asks for a sign-in again.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in to the contact card' }).waitFor();
    await page.goto(`${base}/ui/contacts/${contact}`);
    expect(new URL(page.url()).pathname).toBe('/ui/login');

    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);

  it('removes points with the keyboard alone and fits a phone screen', async () => {
    const { tenant, contact, user } = await seededTenant();
    const page = await newPage();
    await page.setViewportSize({ width: 390, height: 844 });
    const errors = watchConsole(page);
    await submitSignIn(page, base, tenant.name, user.username, user.password);
    await page.getByRole('heading', { name: 'Find a contact' }).waitFor();
    await page.goto(`${base}/ui/contacts/${contact}`);
    expect(await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);

    await page.getByLabel('Amount').focus();
    await page.keyboard.type('0');
    await page.keyboard.press('Tab');
    await page.keyboard.type('Goodwill correction');
    await page.keyboard.press('Enter');
    await page.locator('#adjustment-error').waitFor();
    expect(await page.locator('#adjustment-error').textContent()).toContain('Amount: must be more than 0');
    // The error takes the focus, so a screen reader reads it.
    expect(await page.evaluate('document.activeElement?.id')).toBe('adjustment-error');

    await page.getByRole('radio', { name: 'Remove points' }).check();
    await page.getByLabel('Amount').fill('30');
    await page.getByLabel('Amount').press('Enter');
    await page.locator('#adjustment-sent').waitFor();
    await expect.poll(() => page.locator('.adjustment').first().locator('.adjustment-amount').textContent()).toBe('-30');
    expect(await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);

  it('lets an operator sign in with the admin token and open the queue dashboard, served whole by the service', async () => {
    const page = await newPage();
    const errors = watchConsole(page);
    const requested: string[] = [];
    page.on('request', (request) => requested.push(request.url()));
    await page.goto(`${base}/ui/admin/queues`);
    expect(new URL(page.url()).pathname).toBe('/ui/admin/login');
    await page.getByLabel('Admin token').fill(ADMIN_TOKEN);
    await page.getByLabel('Admin token').press('Enter');
    await page.waitForURL(`${base}/ui/admin/queues`);
    await page.getByText('webhooks', { exact: true }).first().waitFor();
    await page.getByText('ingest', { exact: true }).first().waitFor();
    expect(requested.filter((url) => !url.startsWith(base))).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);

  it("pauses a queue from the dashboard: its own request carries the session's CSRF token, and without it the server refuses", async () => {
    const page = await newPage();
    const errors = watchConsole(page);
    const dashboard = `${base}/ui/admin/queues/queue/ingest`;
    await page.goto(dashboard);
    await page.getByLabel('Admin token').fill(ADMIN_TOKEN);
    await page.getByLabel('Admin token').press('Enter');
    await page.waitForURL(dashboard);

    /** Opens the queue's action menu, picks `action`, confirms, and answers the dashboard's request and the server's answer. */
    const act = async (action: 'Pause' | 'Resume') => {
      // The queue's own menu (the other menu button is the dashboard's settings).
      await page.locator('button[aria-haspopup="menu"][class*="trigger-"]').click();
      await page.getByRole('menuitem', { name: action }).click();
      const sent = page.waitForResponse(
        (response) => response.request().method() === 'PUT' && response.url().endsWith(`/queues/ingest/${action.toLowerCase()}`),
      );
      await page.getByRole('button', { name: 'Confirm' }).click();
      const response = await sent;
      return { status: response.status(), token: response.request().headers()['x-xsrf-token'] };
    };

    const token = (await browser.context.cookies(dashboard)).find((c) => c.name === 'XSRF-TOKEN');
    expect(token).toMatchObject({ path: '/ui/admin/queues', sameSite: 'Strict', httpOnly: false });
    const paused = await act('Pause');
    expect(paused).toEqual({ status: 200, token: token!.value });
    await expect.poll(() => system.runtime.ingestQueue.isPaused()).toBe(true);

    // A request without the token is refused, even from the dashboard's own page with its session. (The dashboard's
    // polling offers the cookie again as soon as it is missing, so clearing it cannot hold the token back.)
    const bare = await page.evaluate(async (url) => (await fetch(url, { method: 'PUT' })).status, `${base}/ui/admin/queues/api/queues/ingest/resume`);
    expect(bare).toBe(403);
    expect(await system.runtime.ingestQueue.isPaused()).toBe(true);
    expect((await act('Resume')).status).toBe(200);
    await expect.poll(() => system.runtime.ingestQueue.isPaused()).toBe(false);
    expect(errors.filter((error) => !error.includes('403'))).toEqual([]);
    await page.close();
  }, 60_000);
});
