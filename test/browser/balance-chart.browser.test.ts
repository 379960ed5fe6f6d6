import { randomUUID } from 'node:crypto';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from '../support/browser.ts';
import { closeBrowserSystem, openBrowserSystem, submitSignIn } from '../support/browser-system.ts';
import { createTenant, type TestSystem, waitForBatch } from '../support/system.ts';
import { createUiUser } from '../support/ui.ts';

// The real API and worker on a real port, driven by real headless Chromium.
let system: TestSystem;
let browser: Browser;
let base: string;

beforeAll(async () => {
  ({ system, browser, base } = await openBrowserSystem());
}, 60_000);

afterAll(() => closeBrowserSystem({ system, browser }));

const DAY = 86_400_000;
const daysAgo = (days: number) => new Date(Date.now() - days * DAY).toISOString();

/**
 * A contact with a year and more of purchases on definition 1 (so its chart
 * has every month end) and one purchase today on definition 2 (no month end
 * behind it yet), and a card user.
 */
async function seededTenant() {
  const tenant = await createTenant(system.app, { mode: 'all-transaction', definitions: [1, 2] });
  const contact = randomUUID();
  const rows = [
    ...Array.from({ length: 40 }, (_, i) => {
      const at = daysAgo(400 - i * 10);
      return {
        contactId: contact,
        definitionId: 1,
        amount: i % 6 === 5 ? -150 : 120 + i * 7,
        source: 'Purchase',
        description: `Receipt ${i}`,
        timeStamp: at,
        validFrom: at,
      };
    }),
    { contactId: contact, definitionId: 2, amount: 60, source: 'Purchase', description: 'Today' },
  ];
  const accepted = await system.app.inject({ method: 'POST', url: '/api/v2/point-accounts/transactions', headers: tenant.headers, payload: rows });
  expect(accepted.statusCode, accepted.body).toBe(202);
  await waitForBatch(system.app, tenant.headers, accepted.json().id);
  const user = await createUiUser(system.app, tenant.id);
  return { tenant, contact, user };
}

async function signIn(page: Page, tenantName: string, username: string, password: string) {
  await submitSignIn(page, base, tenantName, username, password);
  await page.getByRole('heading', { name: 'Find a contact' }).waitFor();
}

const fitsWidth = (page: Page) => page.evaluate('document.documentElement.scrollWidth <= window.innerWidth');

describe('balance chart in a browser', () => {
  it('draws the chart with a real size on the card, and nothing overflows a 360 px wide window, figures opened or not', async () => {
    const { tenant, contact, user } = await seededTenant();
    await browser.context.clearCookies();
    const page = await browser.context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    await signIn(page, tenant.name, user.username, user.password);

    for (const width of [1280, 360]) {
      await page.setViewportSize({ width, height: 800 });
      await page.goto(`${base}/ui/contacts/${contact}`);
      const chart = page.locator('.account-chart[data-definition-id="1"] svg[role="img"]');
      await chart.waitFor();
      const box = await chart.boundingBox();
      expect(box, `chart at ${width} px`).not.toBeNull();
      expect(box!.width).toBeGreaterThan(200);
      expect(box!.height).toBeGreaterThan(50);
      expect(box!.x + box!.width).toBeLessThanOrEqual(width);
      // The line is drawn through the month ends and now, inside the picture.
      const line = await page.locator('.account-chart[data-definition-id="1"] .chart-line').boundingBox();
      expect(line!.width).toBeGreaterThan(100);
      expect(await chart.getAttribute('aria-labelledby')).toBe('balance-chart-1-title balance-chart-1-desc');
      expect(await page.locator('#balance-chart-1-desc').textContent()).toMatch(/^Balance from [\d,]+ to [\d,]+ points over 12 months, now [\d,]+$/);
      // The account with no month end behind it says so instead.
      expect(await page.locator('.account-chart[data-definition-id="2"]').textContent()).toContain('No balance history yet');
      expect(await fitsWidth(page), `no horizontal scroll at ${width} px`).toBe(true);
    }

    // Opened, the figures are a table of 12 month ends and now that still fits the phone.
    await page.getByText('Balance at each month end').click();
    const rows = page.locator('.account-chart[data-definition-id="1"] .chart-table tbody tr');
    await rows.first().waitFor();
    expect(await rows.count()).toBe(13);
    expect(await rows.last().locator('th').textContent()).toBe('Now');
    expect(await fitsWidth(page)).toBe(true);
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);
});
