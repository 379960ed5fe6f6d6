import { randomBytes } from 'node:crypto';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from '../support/browser.ts';
import { closeBrowserSystem, openBrowserSystem } from '../support/browser-system.ts';
import { ADMIN_TOKEN, type TestSystem } from '../support/system.ts';

// An operator finishes setting up a tenant on the operator pages, in headless Chromium against the real API.
let system: TestSystem;
let browser: Browser;
let base: string;

beforeAll(async () => {
  ({ system, browser, base } = await openBrowserSystem({}, { worker: false }));
}, 60_000);

afterAll(() => closeBrowserSystem({ system, browser }));

const VALIDATOR_WORDING = /\bexpected\b|invalid option|too big|invalid input|field\(s\)/i;

async function adminGet(path: string) {
  const answer = await system.app.inject({ method: 'GET', url: `/admin/v1${path}`, headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  expect(answer.statusCode, answer.body).toBe(200);
  return answer.json();
}

async function signInAndCreateTenant(page: Page): Promise<{ name: string; tenantPath: string }> {
  await page.goto(`${base}/ui/admin`);
  await page.getByLabel('Admin token').fill(ADMIN_TOKEN);
  await page.getByLabel('Admin token').press('Enter');
  await page.getByRole('heading', { name: 'Overview' }).waitFor();
  await page.goto(`${base}/ui/admin/tenants/new`);
  const name = `setup-${randomBytes(4).toString('hex')}`;
  await page.getByLabel('Name').fill(name);
  await page.getByRole('radio', { name: 'All transactions' }).check();
  await page.getByRole('button', { name: 'Create the tenant' }).click();
  await page.getByRole('heading', { name }).waitFor();
  return { name, tenantPath: new URL(page.url()).pathname };
}

/** The field errors and the problem box of the page, as one text. */
const refusals = (page: Page) => page.locator('.field-error, [role="alert"]').allTextContents();

describe('an operator finishes setting up a tenant on the pages', () => {
  it('adds a point definition, sets the settings, the webhook (secrets once, then rotated), the points log and the ladder', async () => {
    await browser.context.clearCookies();
    const page = await browser.context.newPage();
    const { tenantPath } = await signInAndCreateTenant(page);
    const tenantId = tenantPath.split('/').pop()!;
    expect(await page.getByTestId('webhook-url').textContent()).toContain('not set yet');
    expect(await page.content()).not.toContain('PATCH /admin/v1');

    await page.getByRole('link', { name: 'Set up the tenant…' }).click();
    await page.getByRole('heading', { name: 'Set up the tenant' }).waitFor();
    expect(await page.locator('#definitions .empty').textContent()).toContain('nothing to give points in');

    // A point definition: refused in words first, then added.
    await page.getByLabel('Id', { exact: true }).fill('one');
    await page.getByRole('button', { name: 'Add the definition' }).click();
    const definitionRefusals = (await refusals(page)).join(' ');
    expect(definitionRefusals).toContain('Id: must be a positive integer');
    expect(definitionRefusals).toContain('Name: must not be empty');
    expect(definitionRefusals).not.toMatch(VALIDATOR_WORDING);
    await page.getByLabel('Id', { exact: true }).fill('1');
    await page.getByLabel('Name', { exact: true }).fill('Bonus points');
    await page.getByRole('button', { name: 'Add the definition' }).click();
    await page.getByTestId('notice').waitFor();
    expect(await page.getByTestId('definitions').textContent()).toContain('Bonus points');

    // Settings: a bad time zone is refused by the API's own rule; thousands separators are understood.
    await page.getByLabel('Time zone').fill('Mars/Olympus');
    await page.getByRole('button', { name: 'Save the settings' }).click();
    expect((await refusals(page)).join(' ')).toContain('Time zone: must be an IANA time zone name');
    await page.getByLabel('Time zone').fill('Europe/Stockholm');
    await page.getByLabel('Most points per adjustment').fill('50,000');
    await page.getByLabel('Default point definition').selectOption('1');
    await page.getByRole('radio', { name: 'The point master' }).check();
    await page.getByLabel('Pushes expected every (minutes)').fill('90');
    await page.getByRole('button', { name: 'Save the settings' }).click();
    await page.getByTestId('notice').waitFor();
    const tenant = (await adminGet('/tenants')).find((t: { id: string }) => t.id === tenantId);
    expect(tenant).toMatchObject({
      timeZone: 'Europe/Stockholm',
      maxAdjustmentPoints: 50_000,
      defaultDefinitionId: 1,
      expiry: 'master',
      expectedPushMinutes: 90,
    });

    // The webhook: its key and secret are shown once, on the answer to the form.
    await page.getByLabel('Webhook URL').fill('https://master.example/hook');
    await page.getByRole('button', { name: 'Set the webhook' }).click();
    await page.getByTestId('secret').waitFor();
    const [encryptionKey, signingSecret] = await page.getByTestId('secret-value').allTextContents();
    expect(encryptionKey).toHaveLength(32);
    expect(signingSecret).toMatch(/^whsec_/);
    await page.goto(`${base}${tenantPath}/setup`);
    expect(await page.getByTestId('webhook-url').textContent()).toContain('https://master.example/hook');
    expect(await page.content()).not.toContain(signingSecret!);
    await page.getByRole('button', { name: 'Rotate the key and secret' }).click();
    await page.getByTestId('secret').waitFor();
    const rotated = await page.getByTestId('secret-value').allTextContents();
    expect(rotated[1]).toMatch(/^whsec_/);
    expect(rotated[1]).not.toBe(signingSecret);

    // The points log: the auth header is written, never shown.
    await page.goto(`${base}${tenantPath}/setup`);
    await page.getByLabel('Points log URL').fill('https://master.example/points/{contactId}');
    await page.getByLabel('Auth header').fill('Authorization: Bearer very-secret-token');
    await page.getByRole('button', { name: 'Save the points log' }).click();
    await page.getByTestId('notice').waitFor();
    expect(await page.getByTestId('points-log-url').textContent()).toContain('Authorization');
    expect(await page.content()).not.toContain('very-secret-token');
    expect(await adminGet(`/tenants/${tenantId}/points-log`)).toEqual({
      urlTemplate: 'https://master.example/points/{contactId}',
      authHeaderName: 'Authorization',
    });

    // The ladder, one level a line, a threshold written with a thousands separator.
    await page.getByLabel('Levels', { exact: true }).fill('base; Member; 0\nsilver; Silver; 1,000\ngold; Gold; 500');
    await page.getByRole('button', { name: 'Set the ladder' }).click();
    const ladderRefusals = (await refusals(page)).join(' ');
    expect(ladderRefusals).toContain('Levels, line 3: threshold');
    expect(ladderRefusals).not.toMatch(VALIDATOR_WORDING);
    await page.getByLabel('Levels', { exact: true }).fill('base; Member; 0\nsilver; Silver; 1,000\ngold; Gold; 5,000');
    await page.getByRole('button', { name: 'Set the ladder' }).click();
    await page.getByTestId('notice').waitFor();
    expect(await page.getByTestId('ladder').textContent()).toContain('Gold from 5,000');
    expect((await adminGet(`/tenants/${tenantId}/levels`)).levels.map((l: { threshold: number }) => l.threshold)).toEqual([0, 1000, 5000]);

    // Back on the tenant: the webhook URL is shown, and a key's column says Active.
    await page.goto(`${base}${tenantPath}`);
    expect(await page.getByTestId('webhook-url').textContent()).toContain('https://master.example/hook');
    await page.getByLabel('Key name').fill('point master');
    await page.getByRole('button', { name: 'Create the key' }).click();
    await page.getByTestId('secret').waitFor();
    await page.goto(`${base}${tenantPath}`);
    expect(await page.locator('[data-testid="api-keys"] thead').textContent()).toContain('Status');
    expect(await page.locator('[data-testid="api-keys"] tbody').textContent()).toContain('Active');
    await page.close();
  });

  it('refuses every setup form posted without the CSRF token', async () => {
    await browser.context.clearCookies();
    const page = await browser.context.newPage();
    const { tenantPath } = await signInAndCreateTenant(page);
    for (const form of ['settings', 'definitions', 'webhook', 'webhook/rotate', 'points-log', 'levels']) {
      const answer = await page.request.post(`${base}${tenantPath}/setup/${form}`, { form: { url: 'https://master.example/hook' }, headers: { origin: base } });
      expect(answer.status(), form).toBe(403);
    }
    await page.goto(`${base}${tenantPath}/setup`);
    expect(await page.getByTestId('webhook-url').textContent()).toContain('No webhook yet');
    await page.close();
  });
});
