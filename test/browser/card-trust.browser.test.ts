import { randomUUID } from 'node:crypto';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from '../support/browser.ts';
import { closeBrowserSystem, openBrowserSystem } from '../support/browser-system.ts';
import { json, startScriptedServer, type ScriptedServer } from '../support/http-server.ts';
import { ADMIN_TOKEN, createTenant, type TestSystem, waitForBatch } from '../support/system.ts';
import { createUiUser } from '../support/ui.ts';

// The card with its page script, in real headless Chromium, against the real API and worker.
let system: TestSystem;
let browser: Browser;
let master: ScriptedServer;
let masterUp = true;
let base: string;

beforeAll(async () => {
  ({ system, browser, base } = await openBrowserSystem({ OUTBOUND_ALLOW_PRIVATE: 'true', WEBHOOK_RETRY_SCHEDULE: '1h' }));
  master = await startScriptedServer((_request, response) => (masterUp ? response.writeHead(204).end() : json(response, 503, { error: 'maintenance' })));
}, 60_000);

afterAll(async () => {
  await master?.close();
  await closeBrowserSystem({ system, browser });
});

const LONG_REASON = 'Complaint'.padEnd(1000, 'x');

async function pushTransactions(tenant: { headers: Record<string, string> }, rows: object[]) {
  const accepted = await system.app.inject({ method: 'POST', url: '/api/v2/point-accounts/transactions', headers: tenant.headers, payload: rows });
  expect(accepted.statusCode, accepted.body).toBe(202);
  await waitForBatch(system.app, tenant.headers, accepted.json().id);
}

/** An all-transaction tenant with a webhook to the scripted master, a contact with one long-described purchase, and a card user. */
async function seeded() {
  const tenant = await createTenant(system.app, { mode: 'all-transaction' });
  const contact = randomUUID();
  await pushTransactions(tenant, [{ contactId: contact, definitionId: 1, amount: 100, source: 'Purchase', description: LONG_REASON }]);
  const webhook = await system.app.inject({
    method: 'PUT',
    url: `/admin/v1/tenants/${tenant.id}/webhook`,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    payload: { url: master.url },
  });
  expect(webhook.statusCode, webhook.body).toBe(200);
  const user = await createUiUser(system.app, tenant.id);
  return { tenant, contact, user };
}

async function newPage(): Promise<Page> {
  await browser.context.clearCookies();
  return browser.context.newPage();
}

/** Signs in from the address a colleague would share (?tenant=), with the keyboard. */
async function signIn(page: Page, tenantName: string, user: { username: string; password: string }) {
  await page.goto(`${base}/ui/login?tenant=${encodeURIComponent(tenantName)}`);
  expect(await page.evaluate('document.activeElement?.id')).toBe('username');
  await page.keyboard.type(user.username);
  await page.keyboard.press('Tab');
  await page.keyboard.type(user.password);
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'Find a contact' }).waitFor();
}

const pageWidth = (page: Page) =>
  page.evaluate<{ document: number; window: number }>('({ document: document.documentElement.scrollWidth, window: window.innerWidth })');

describe('the contact card people can trust', () => {
  it('focuses Username from ?tenant= and the contact id after sign-in; confirms a large amount; follows it to Synced', async () => {
    masterUp = true;
    const { tenant, contact, user } = await seeded();
    const page = await newPage();
    await signIn(page, tenant.name, user);
    expect(await page.evaluate('document.activeElement?.id')).toBe('contactId');
    await page.keyboard.type(contact);
    await page.keyboard.press('Enter');
    await page.getByTestId('contact-id').waitFor();

    await page.getByLabel('Amount').fill('50000');
    await page.getByLabel('Reason').fill('Goodwill after the outage');
    await page.getByRole('button', { name: 'Send to point master' }).click();
    await page.locator('#adjustment-confirm').waitFor();
    expect(await page.locator('#adjustment-confirm').textContent()).toContain('Please confirm: give 50,000 points?');
    expect(master.requests).toHaveLength(0);

    // Changing the amount asks again; the same amount twice sends it.
    await page.getByLabel('Amount').fill('40000');
    expect(await page.locator('#adjustment-confirm').count()).toBe(0);
    await page.getByRole('button', { name: 'Send to point master' }).click();
    await page.getByRole('button', { name: 'Yes, give 40,000 points' }).click();
    await page.locator('#adjustment-sent').waitFor();
    const item = page.locator('.adjustment').first();
    await expect.poll(() => item.getByTestId('adjustment-state').textContent(), { timeout: 15_000 }).toBe('Sent · awaiting master sync');
    await expect.poll(() => page.locator('#adjustment-sent .alert-title').textContent()).toBe('Sent to the point master');
    expect(master.requests).toHaveLength(1);

    // The master's next push for the account clears the wait, while the page is open.
    await pushTransactions(tenant, [{ contactId: contact, definitionId: 1, amount: 40_000, source: 'Adjustment', description: 'Goodwill after the outage' }]);
    await expect.poll(() => item.getByTestId('adjustment-state').textContent(), { timeout: 15_000 }).toBe('Synced');
    await page.close();
  }, 60_000);

  it('says "saved, will be sent" while the master is down, and never widens the page with a long reason (desktop and phone)', async () => {
    masterUp = false;
    const { tenant, contact, user } = await seeded();
    const page = await newPage();
    await signIn(page, tenant.name, user);
    await page.goto(`${base}/ui/contacts/${contact}`);
    await page.getByLabel('Amount').fill('25');
    await page.getByLabel('Reason').fill(LONG_REASON);
    await page.getByRole('button', { name: 'Send to point master' }).click();
    await page.locator('#adjustment-sent').waitFor();
    const banner = page.locator('#adjustment-sent .alert-title');
    await expect.poll(() => banner.textContent(), { timeout: 15_000 }).toBe('Saved; will be sent when the master answers');
    expect(await page.getByText('Sent to the point master').count()).toBe(0);
    expect(await page.getByTestId('next-try').textContent()).toMatch(/^Next try at (.+, )?\d{1,2}:\d\d/); // with the date when it falls on another day
    // The master's answer is there for whoever needs it, folded away.
    expect(await page.locator('.adjustment details.technical').first().isVisible()).toBe(true);
    expect(await page.locator('.adjustment details.technical p').first().isVisible()).toBe(false);

    await page.reload();
    for (const width of [1280, 390]) {
      await page.setViewportSize({ width, height: 900 });
      const size = await pageWidth(page);
      expect(size.document, `document width at ${width} px`).toBeLessThanOrEqual(size.window);
    }
    await page.close();
  }, 60_000);
});
