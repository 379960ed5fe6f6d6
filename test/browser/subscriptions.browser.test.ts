import { randomBytes, randomUUID } from 'node:crypto';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from '../support/browser.ts';
import { closeBrowserSystem, openBrowserSystem } from '../support/browser-system.ts';
import { ADMIN_TOKEN, type TestSystem } from '../support/system.ts';

// An operator manages a tenant's balance event subscribers on the operator pages, in headless Chromium against the real API.
let system: TestSystem;
let browser: Browser;
let base: string;

beforeAll(async () => {
  ({ system, browser, base } = await openBrowserSystem({}, { worker: false }));
}, 60_000);

afterAll(() => closeBrowserSystem({ system, browser }));

const VALIDATOR_WORDING = /\bexpected\b|invalid option|too big|invalid input|field\(s\)/i;
const LONG_URL = `https://crm.example/hooks/${'points-and-balances-'.repeat(6)}end`;

async function adminGet(path: string) {
  const answer = await system.app.inject({ method: 'GET', url: `/admin/v1${path}`, headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  expect(answer.statusCode, answer.body).toBe(200);
  return answer.json();
}

async function signInAndCreateTenant(page: Page): Promise<{ tenantId: string; tenantPath: string }> {
  await page.goto(`${base}/ui/admin`);
  await page.getByLabel('Admin token').fill(ADMIN_TOKEN);
  await page.getByLabel('Admin token').press('Enter');
  await page.getByRole('heading', { name: 'Overview' }).waitFor();
  await page.goto(`${base}/ui/admin/tenants/new`);
  await page.getByLabel('Name').fill(`subs-${randomBytes(4).toString('hex')}`);
  await page.getByRole('radio', { name: 'Balance only' }).check();
  await page.getByRole('button', { name: 'Create the tenant' }).click();
  await page.getByTestId('settings').waitFor();
  const tenantPath = new URL(page.url()).pathname;
  return { tenantId: tenantPath.split('/').pop()!, tenantPath };
}

const refusals = async (page: Page) => (await page.locator('.field-error, [role="alert"]').allTextContents()).join(' ');
const pageWidth = (page: Page) => page.evaluate<number>('document.documentElement.scrollWidth');

describe('an operator manages balance event subscribers on the pages', () => {
  it('adds one (secret once), sees its outbox, rotates its secret (once) and deletes it after confirming, at 360 px', async () => {
    await browser.context.clearCookies();
    const page = await browser.context.newPage();
    await page.setViewportSize({ width: 360, height: 900 });
    const { tenantId, tenantPath } = await signInAndCreateTenant(page);

    await page.getByRole('link', { name: 'Balance event subscribers…' }).click();
    await page.getByRole('heading', { name: 'Balance event subscribers' }).waitFor();
    expect(await page.getByTestId('no-subscriptions').textContent()).toContain('No subscribers yet');
    expect(await page.getByTestId('time-zone').textContent()).toContain('UTC');

    // Refused in words, by the admin API's own schema and service: a bad URL, no event, encryption without the tenant's key.
    await page.getByLabel('Subscriber URL').fill('not a url');
    await page.getByRole('checkbox', { name: 'point.balance.updated' }).uncheck();
    await page.getByRole('button', { name: 'Add the subscriber' }).click();
    const first = await refusals(page);
    expect(first).toContain('Subscriber URL:');
    expect(first).toContain('Events: must name at least one event');
    expect(first).not.toMatch(VALIDATOR_WORDING);
    expect(await page.getByLabel('Subscriber URL').inputValue()).toBe('not a url');
    await page.getByLabel('Subscriber URL').fill(LONG_URL);
    await page.getByRole('checkbox', { name: 'point.balance.updated' }).check();
    await page.getByRole('checkbox', { name: 'Encrypted payloads' }).check();
    await page.getByRole('button', { name: 'Add the subscriber' }).click();
    expect(await refusals(page)).toContain('Encrypted payloads: needs the tenant webhook encryption key');
    expect(await adminGet(`/tenants/${tenantId}/subscriptions`)).toEqual({ items: [] });

    // Added: the secret is shown once, on the page answering the form.
    await page.getByRole('checkbox', { name: 'Encrypted payloads' }).uncheck();
    await page.getByRole('checkbox', { name: 'Batches' }).check();
    await page.getByRole('button', { name: 'Add the subscriber' }).click();
    await page.getByTestId('secret').waitFor();
    const secret = await page.getByTestId('secret-value').textContent();
    expect(secret).toMatch(/^whsec_/);
    const [made] = (await adminGet(`/tenants/${tenantId}/subscriptions`)).items;
    expect(made).toMatchObject({ url: LONG_URL, events: ['point.balance.updated'], encrypted: false, batch: true });
    expect(await pageWidth(page)).toBe(360);

    // The list, with a Failed event in the outbox as the sender leaves one after its last attempt.
    await system.runtime.pool.query(
      `INSERT INTO balance_event (subscription_id, account_id, tenant_id, event_id, version, balance, changed_at, state, created_at, updated_at)
       VALUES ($1, 1, $2, $3, 1, 5, now(), 'Failed', now(), now())`,
      [made.id, tenantId, randomUUID()],
    );
    await page.goto(`${base}${tenantPath}/subscriptions`);
    expect(await page.content()).not.toContain(secret!);
    const row = page.getByTestId('subscription');
    expect(await row.count()).toBe(1);
    expect(await row.locator('bdi').textContent()).toBe(LONG_URL);
    expect(await row.textContent()).toContain('in batches');
    expect(await row.getByTestId('outbox').textContent()).toContain('Failed 1');
    expect(await pageWidth(page)).toBe(360);

    // Rotated: a new secret, shown once.
    await page.getByRole('button', { name: `Rotate the signing secret of ${LONG_URL}` }).click();
    await page.getByTestId('secret').waitFor();
    const rotated = await page.getByTestId('secret-value').textContent();
    expect(rotated).toMatch(/^whsec_/);
    expect(rotated).not.toBe(secret);

    // Deleted after a confirmation; keeping it first changes nothing.
    await page.getByRole('link', { name: `Delete the subscription of ${LONG_URL}` }).click();
    await page.getByRole('heading', { name: /Delete the subscriber/ }).waitFor();
    expect(await page.getByTestId('undelivered').textContent()).toContain('its 1 events not delivered');
    expect(await pageWidth(page)).toBe(360);
    await page.getByRole('link', { name: 'Keep it' }).click();
    expect(await page.getByTestId('subscription').count()).toBe(1);
    await page.getByRole('link', { name: `Delete the subscription of ${LONG_URL}` }).click();
    await page.getByRole('button', { name: 'Yes, delete the subscriber' }).click();
    await page.getByTestId('notice').waitFor();
    expect(await page.getByTestId('no-subscriptions').count()).toBe(1);
    expect(await adminGet(`/tenants/${tenantId}/subscriptions`)).toEqual({ items: [] });
    await page.close();
  });

  it('refuses every subscription form posted without the CSRF token', async () => {
    await browser.context.clearCookies();
    const page = await browser.context.newPage();
    const { tenantId, tenantPath } = await signInAndCreateTenant(page);
    const created = await system.app.inject({
      method: 'POST',
      url: `/admin/v1/tenants/${tenantId}/subscriptions`,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      payload: { url: 'https://crm.example/hooks', events: ['point.balance.updated'] },
    });
    expect(created.statusCode, created.body).toBe(201);
    const id = created.json<{ id: string }>().id;
    for (const form of ['', `/${id}/rotate`, `/${id}/delete`]) {
      const answer = await page.request.post(`${base}${tenantPath}/subscriptions${form}`, {
        form: { url: 'https://crm.example/other', 'event.point.balance.updated': 'on' },
        headers: { origin: base },
      });
      expect(answer.status(), form || 'create').toBe(403);
    }
    const { items } = await adminGet(`/tenants/${tenantId}/subscriptions`);
    expect(items.map((item: { url: string; updatedAt: string }) => item.url)).toEqual(['https://crm.example/hooks']);
    expect(items[0].updatedAt).toBe(created.json<{ updatedAt: string }>().updatedAt);
    await page.close();
  });
});
