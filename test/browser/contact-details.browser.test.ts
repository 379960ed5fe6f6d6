import { randomUUID } from 'node:crypto';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from '../support/browser.ts';
import { closeBrowserSystem, openBrowserSystem, submitSignIn } from '../support/browser-system.ts';
import { ADMIN_TOKEN, createTenant, type TestSystem, waitForBatch } from '../support/system.ts';
import { createUiUser } from '../support/ui.ts';

// Who a contact is, on the card: searched for by what a support agent knows, shown in the header, gone after an erasure.
let system: TestSystem;
let browser: Browser;
let base: string;

beforeAll(async () => {
  ({ system, browser, base } = await openBrowserSystem());
}, 60_000);

afterAll(() => closeBrowserSystem({ system, browser }));

const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

async function searchFor(page: Page, text: string) {
  await page.getByLabel('Contact id, name, email, phone or member number').first().fill(text);
  await page.getByRole('button', { name: 'Open card' }).first().click();
}

describe('contact details on the card', () => {
  it('finds a contact by each identifier, shows them in the header, lists several matches, and shows none after an erasure', async () => {
    const tenant = await createTenant(system.app, { mode: 'all-transaction' });
    const contact = randomUUID();
    const accepted = await system.app.inject({
      method: 'POST',
      url: '/api/v2/point-accounts/transactions',
      headers: tenant.headers,
      payload: [{ contactId: contact, definitionId: 1, amount: 250, source: 'Purchase', description: 'Coat' }],
    });
    await waitForBatch(system.app, tenant.headers, accepted.json().id);
    const pushed = await system.app.inject({
      method: 'POST',
      url: '/api/v2/contacts/details',
      headers: tenant.headers,
      payload: [
        {
          contactId: contact,
          timeStamp: new Date().toISOString(),
          displayName: 'Åsa Lindqvist',
          email: 'asa.lindqvist@example.com',
          phone: '+46 70 123 45 67',
          memberNumber: 'M-004217',
        },
        { contactId: randomUUID(), timeStamp: new Date().toISOString(), displayName: 'Åke Lindqvist' },
      ],
    });
    expect(pushed.json(), pushed.body).toMatchObject({ status: 'Completed', appliedCount: 2 });
    const user = await createUiUser(system.app, tenant.id);

    const page = await browser.context.newPage();
    await submitSignIn(page, base, tenant.name, user.username, user.password);
    await page.getByRole('heading', { name: 'Find a contact' }).waitFor();

    for (const typed of ['ASA.LINDQVIST@example.com', '070-123 45 67', 'm 004217', 'asa lind', contact]) {
      await page.goto(`${base}/ui`);
      await searchFor(page, typed);
      await page.getByTestId('contact-name').waitFor();
      expect(new URL(page.url()).pathname, typed).toBe(`/ui/contacts/${contact}`);
    }
    // The header: who it is, and the contact id beside the rest.
    expect(await page.getByTestId('contact-name').textContent()).toBe('Åsa Lindqvist');
    expect(await page.getByTestId('contact-member-number').textContent()).toBe('M-004217');
    expect(await page.getByTestId('contact-email').textContent()).toBe('asa.lindqvist@example.com');
    expect(await page.getByTestId('contact-phone').textContent()).toBe('+46 70 123 45 67');
    expect(await page.getByTestId('contact-id').textContent()).toBe(contact);
    expect(await page.title()).toContain('Åsa Lindqvist');
    // What was typed never went into an address.
    expect(page.url()).not.toContain('lindqvist');

    // A surname two contacts share lists both, from the compact search on the card.
    await searchFor(page, 'lindqvist');
    await page.getByRole('heading', { name: '2 contacts found' }).waitFor();
    expect(await page.getByTestId('search-results').getByRole('link').allTextContents()).toEqual(['Åke Lindqvist', 'Åsa Lindqvist']);
    await page.getByTestId('search-results').getByRole('link', { name: 'Åsa Lindqvist' }).click();
    await page.getByTestId('contact-name').waitFor();

    // Nothing found is said so, with what was typed kept in the field.
    await searchFor(page, 'nobody@example.com');
    await page.getByText('No contact found').waitFor();
    expect(await page.getByLabel('Contact id, name, email, phone or member number').inputValue()).toBe('nobody@example.com');

    const erased = await system.app.inject({ method: 'DELETE', url: `/admin/v1/tenants/${tenant.id}/contacts/${contact}/personal-data`, headers: admin });
    expect(erased.statusCode).toBe(204);
    await page.goto(`${base}/ui/contacts/${contact}`);
    await page.getByTestId('contact-id').waitFor();
    expect(await page.getByTestId('contact-name').count()).toBe(0);
    expect(await page.locator('main').textContent()).not.toMatch(/Lindqvist|004217|123 45 67/);
    // The points stay under the contact id.
    expect(await page.locator('.account-tile').first().getByTestId('balance').locator('.figure').textContent()).toBe('250');
    await page.goto(`${base}/ui`);
    await searchFor(page, 'asa.lindqvist@example.com');
    await page.getByText('No contact found').waitFor();
    await page.close();
  });
});
