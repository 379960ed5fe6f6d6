import { randomBytes } from 'node:crypto';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from '../support/browser.ts';
import { closeBrowserSystem, openBrowserSystem } from '../support/browser-system.ts';
import { ADMIN_TOKEN, type TestSystem } from '../support/system.ts';

// The operator pages' forms in real headless Chromium, against the real API on a real port.
let system: TestSystem;
let browser: Browser;
let base: string;

beforeAll(async () => {
  ({ system, browser, base } = await openBrowserSystem({}, { worker: false }));
}, 60_000);

afterAll(() => closeBrowserSystem({ system, browser }));

const focused = (page: Page) => page.evaluate<string>('document.activeElement?.id || document.activeElement?.getAttribute("name") || ""');

function watchConsole(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('pageerror', (err) => errors.push(err.message));
  return errors;
}

describe('an operator sets up a tenant from the operator pages', () => {
  it('creates a tenant with the keyboard, then an API key read from the page, then a user, who then signs in to the contact card', async () => {
    await browser.context.clearCookies();
    const page = await browser.context.newPage();
    const errors = watchConsole(page);

    await page.goto(`${base}/ui/admin`);
    await page.getByLabel('Admin token').fill(ADMIN_TOKEN);
    await page.getByLabel('Admin token').press('Enter');
    await page.getByRole('heading', { name: 'Overview' }).waitFor();

    // The tenant, by keyboard only: the name has the focus, then the mode, the two boxes and the button, in that order.
    await page.getByRole('link', { name: 'Create a tenant' }).click();
    await page.getByRole('heading', { name: 'Create a tenant' }).waitFor();
    expect(await focused(page)).toBe('tenant-name');
    const name = `shop-${randomBytes(4).toString('hex')}`;
    await page.keyboard.type(name);
    await page.keyboard.press('Tab');
    expect(await focused(page)).toBe('mode');
    await page.keyboard.press('ArrowRight');
    expect(await page.getByRole('radio', { name: 'All transactions' }).isChecked()).toBe(true);
    await page.keyboard.press('Tab');
    expect(await focused(page)).toBe('pointSystemActive');
    await page.keyboard.press('Tab');
    expect(await focused(page)).toBe('requireKnownContacts');
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement?.textContent')).toBe('Create the tenant');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name }).waitFor();
    expect(await page.getByTestId('notice').textContent()).toContain('The tenant is created');
    const tenantUrl = new URL(page.url());
    expect(tenantUrl.pathname).toMatch(/^\/ui\/admin\/tenants\/[0-9a-f-]{36}$/);

    // The key, read from the page that answers the form, and nowhere else.
    await page.getByLabel('Key name').fill('point master');
    await page.getByRole('button', { name: 'Create the key' }).click();
    await page.getByTestId('secret').waitFor();
    expect(await focused(page)).toBe('secret');
    const key = (await page.getByTestId('secret-value').textContent())!;
    expect(key).toMatch(/^pf_/);
    expect(page.url()).not.toContain(key);
    const definitions = await fetch(`${base}/api/v2/point-accounts/definitions`, { headers: { apikey: key } });
    expect(definitions.status).toBe(200);
    await page.goto(`${base}${tenantUrl.pathname}`);
    expect(await page.getByTestId('api-keys').textContent()).toContain(key.slice(0, 9));
    expect(await page.content()).not.toContain(key);

    // A refused user keeps what was typed and says why next to the field; then the user is made.
    await page.getByLabel('Username').fill('maria.lindqvist');
    await page.getByLabel('Display name').fill('Maria Lindqvist');
    await page.getByLabel('Password', { exact: true }).fill('short');
    await page.getByRole('button', { name: 'Create the user' }).click();
    await page.locator('#user-password-error').waitFor();
    expect(await focused(page)).toBe('user-password');
    expect(await page.getByLabel('Username').inputValue()).toBe('maria.lindqvist');
    const password = `pw-${randomBytes(8).toString('hex')}`;
    await page.getByLabel('Password', { exact: true }).fill(password);
    await page.getByRole('button', { name: 'Create the user' }).click();
    await page.getByText('maria.lindqvist can sign in to the contact card now').waitFor();
    expect(await page.getByTestId('users').textContent()).toContain('Maria Lindqvist');

    // The new user signs in to the contact card.
    await page.goto(`${base}/ui/login?tenant=${encodeURIComponent(name)}`);
    await page.getByLabel('Username').fill('maria.lindqvist');
    await page.getByLabel('Password').fill(password);
    await page.getByLabel('Password').press('Enter');
    await page.getByRole('heading', { name: 'Find a contact' }).waitFor();
    expect(await page.locator('.account-name').textContent()).toBe('Maria Lindqvist');

    // 4xx answers of the refused form are logged by the browser as failed loads; anything else is a fault.
    expect(errors.filter((text) => !/status of 400/.test(text))).toEqual([]);
    await page.close();
  }, 60_000);
});
