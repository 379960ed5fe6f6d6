import { randomUUID } from 'node:crypto';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from '../support/browser.ts';
import { closeBrowserSystem, openBrowserSystem, submitSignIn } from '../support/browser-system.ts';
import { ADMIN_TOKEN, createTenant, type TestSystem, waitForBatch } from '../support/system.ts';
import { createUiUser } from '../support/ui.ts';

// The member level panel of the contact card: the real API and worker on a real port, driven by headless Chromium.
let system: TestSystem;
let browser: Browser;
let base: string;

beforeAll(async () => {
  ({ system, browser, base } = await openBrowserSystem());
}, 60_000);

afterAll(() => closeBrowserSystem({ system, browser }));

const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

async function push(tenant: { headers: Record<string, string> }, rows: object[]) {
  const accepted = await system.app.inject({ method: 'POST', url: '/api/v2/point-accounts/transactions', headers: tenant.headers, payload: rows });
  expect(accepted.statusCode, accepted.body).toBe(202);
  await waitForBatch(system.app, tenant.headers, accepted.json().id);
}

async function openCard(page: Page, tenantName: string, user: { username: string; password: string }, contact: string) {
  await submitSignIn(page, base, tenantName, user.username, user.password);
  await page.getByRole('heading', { name: 'Find a contact' }).waitFor();
  await page.getByLabel('Contact id').fill(contact);
  await page.getByRole('button', { name: 'Open card' }).click();
  await page.getByTestId('contact-id').waitFor();
}

describe('member level on the contact card', () => {
  it('shows the badge, progress to the next level, the window and the level history in its own tab', async () => {
    const tenant = await createTenant(system.app, { mode: 'all-transaction' });
    const ladder = await system.app.inject({
      method: 'PUT',
      url: `/admin/v1/tenants/${tenant.id}/levels`,
      headers: admin,
      payload: {
        definitionId: 1,
        basis: 'PointsEarned',
        window: { type: 'Rolling', months: 12 },
        levels: [
          { key: 'member', name: 'Member', threshold: 0 },
          { key: 'silver', name: 'Silver', threshold: 100 },
          { key: 'gold', name: 'Gold', threshold: 500 },
        ],
      },
    });
    expect(ladder.statusCode, ladder.body).toBe(200);
    const contact = randomUUID();
    await push(tenant, [
      { contactId: contact, definitionId: 1, amount: 120, source: 'Purchase', description: 'Jacket' },
      { contactId: contact, definitionId: 1, amount: 30, source: 'Purchase', description: 'Scarf' },
    ]);
    const history = async () => (await system.app.inject({ url: `/api/v2/contacts/${contact}/member-level/history`, headers: tenant.headers })).json();
    await expect.poll(async () => (await history()).totalCount).toBe(1);
    const user = await createUiUser(system.app, tenant.id);

    await browser.context.clearCookies();
    const page = await browser.context.newPage();
    const errors: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    page.on('pageerror', (err) => errors.push(err.message));
    await openCard(page, tenant.name, user, contact);

    const panel = page.locator('#member-level');
    expect(await panel.getByTestId('level-badge').textContent()).toBe('Silver');
    expect(await panel.getByTestId('level-next').textContent()).toBe('350 points to Gold');
    expect(await panel.locator('progress').getAttribute('max')).toBe('400');
    expect(await panel.locator('progress').getAttribute('value')).toBe('50');
    expect(await panel.getByTestId('level-window').textContent()).toContain('in the last 12 months');
    const from = new Date(Date.now());
    from.setUTCMonth(from.getUTCMonth() - 12);
    expect(await panel.getByTestId('level-window-end').locator('time').getAttribute('datetime')).toContain(from.toISOString().slice(0, 10));

    // Tabs: the level first; the history in its own tab, with the recorded change.
    const historyTab = panel.getByRole('tab', { name: 'Level history' });
    expect(await panel.getByRole('tab', { name: 'Level', exact: true }).getAttribute('aria-selected')).toBe('true');
    expect(await panel.getByTestId('level-history').isVisible()).toBe(false);
    await historyTab.click();
    expect(await historyTab.getAttribute('aria-selected')).toBe('true');
    expect(await panel.getByTestId('level-badge').isVisible()).toBe(false);
    const items = panel.getByTestId('level-history').locator('li');
    expect(await items.count()).toBe(1);
    expect((await items.first().textContent())?.replace(/\s+/g, ' ')).toContain('Member → Silver Transactions');
    // Keyboard: the arrow keys move between tabs.
    await historyTab.press('ArrowLeft');
    expect(await panel.getByTestId('level-badge').isVisible()).toBe(true);

    expect(errors).toEqual([]);
    await page.close();
  });

  it('shows no level panel in balance-only mode', async () => {
    const tenant = await createTenant(system.app, { mode: 'balance-only' });
    const user = await createUiUser(system.app, tenant.id);
    await browser.context.clearCookies();
    const page = await browser.context.newPage();
    await openCard(page, tenant.name, user, randomUUID());
    expect(await page.locator('#member-level').count()).toBe(0);
    await page.close();
  });
});
