// npm run docs:screenshot
// Regenerates docs/contact-card.png, docs/operator-overview.png, docs/reconciliation.png, and a tenant's
// page, its setup page and the deliveries page (docs/operator-tenant.png, -setup.png, -deliveries.png), each at 1280 px
// and at 360 px (the -360.png beside it): a demo tenant with realistic points, seeded
// through the real API and worker on a scratch database, signed in to with
// headless Chromium. The clock is fixed, so the picture only changes when the page does.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { runLedgerMaintenance } from '../src/jobs/ledger-maintenance.job.ts';
import type { Page } from 'playwright-core';
import { openScene } from './docs-scene.ts';

const docsFile = (name: string) => fileURLToPath(new URL(`../docs/${name}`, import.meta.url));
const NOW = new Date('2026-03-14T10:30:00.000Z');
const CONTACT = '7c1e4b52-9d3a-4f0e-a6b8-2f5d91c3e874';

/** `n` days from NOW, whole minutes, so history times look like real ones. */
const day = (n: number) => new Date(NOW.getTime() + Math.round(n * 1440) * 60_000).toISOString();

// The demo's point master listens on loopback.
const scene = await openScene('pf_docs_screenshot', () => new Date(NOW), { OUTBOUND_ALLOW_PRIVATE: 'true' });
const { call, admin, adminHeaders } = scene;
// The demo point master: accepts every adjustment webhook.
const master = createServer((request, response) => request.resume().on('end', () => response.writeHead(204).end()));
await new Promise<void>((resolve) => master.listen(0, '127.0.0.1', resolve));

/** The page at 1280 px as `name`.png and at 360 px as `name`-360.png, whole pages. */
async function shoot(page: Page, name: string) {
  for (const [width, file] of [
    [1280, `${name}.png`],
    [360, `${name}-360.png`],
  ] as const) {
    await page.setViewportSize({ width, height: 900 });
    await page.screenshot({ path: docsFile(file), fullPage: true });
    console.log(`Wrote docs/${file}`);
  }
  await page.setViewportSize({ width: 1280, height: 900 });
}

try {
  const tenant = await admin('/tenants', { name: 'nordic-outdoor', mode: 'all-transaction' });
  await call('PATCH', `/admin/v1/tenants/${tenant.id}`, adminHeaders, { timeZone: 'Europe/Stockholm' });
  await admin(`/tenants/${tenant.id}/definitions`, { id: 1, name: 'Bonus points', description: 'Earned on purchases' });
  await admin(`/tenants/${tenant.id}/definitions`, { id: 2, name: 'Member credits', description: 'Birthday and service gestures' });
  const { key } = await admin(`/tenants/${tenant.id}/api-keys`, { name: 'point master' });
  await admin(`/tenants/${tenant.id}/users`, { username: 'maria.lindqvist', displayName: 'Maria Lindqvist', password: 'demo-password-2026' });

  const row = (
    amount: number,
    description: string,
    source: string,
    at: number,
    extra: { validFrom?: number; validTo?: number; definitionId?: number } = {},
  ) => ({
    contactId: CONTACT,
    definitionId: extra.definitionId ?? 1,
    amount,
    source,
    description,
    timeStamp: day(at),
    validFrom: day(extra.validFrom ?? at),
    ...(extra.validTo === undefined ? {} : { validTo: day(extra.validTo) }),
  });
  const rows = [
    row(600, 'Welcome bonus', 'Automation', -400.2, { validTo: -35 }),
    row(1240, 'Purchase: Trail 40L backpack', 'Purchase', -120.07, { validTo: 245 }),
    row(-300, 'Return: Merino base layer', 'Return', -96.3),
    row(480, 'Purchase: Alpine down jacket', 'Purchase', -61.12, { validTo: 304 }),
    row(250, 'Double points weekend', 'Automation', -40.25, { validTo: 12 }),
    row(-500, 'Redeemed: 50 SEK voucher', 'Adjustment', -33.02),
    row(320, 'Purchase: Hiking boots GTX', 'Purchase', -18.21, { validTo: 347 }),
    row(150, 'Product review', 'Automation', -9.36, { validTo: 356 }),
    row(75, 'Purchase: Wool socks, 3-pack', 'Purchase', -3.1, { validTo: 362 }),
    row(200, 'Spring campaign bonus', 'Automation', -1.15, { validFrom: 6, validTo: 186 }),
    row(120, 'Purchase: Headlamp 400', 'Purchase', -0.05, { validFrom: 14, validTo: 379 }),
    row(500, 'Welcome to the member club', 'Manual', -25.3, { definitionId: 2, validTo: 340 }),
  ];
  await scene.pushTransactions(key, rows);
  await runLedgerMaintenance(scene.runtime);

  await call('PUT', `/admin/v1/tenants/${tenant.id}/webhook`, adminHeaders, {
    url: `http://127.0.0.1:${(master.address() as AddressInfo).port}/webhooks/engage`,
  });
  await call(
    'POST',
    '/api/v2/point-accounts/adjustments',
    { apikey: key },
    {
      contactId: CONTACT,
      definitionId: 2,
      amount: 100,
      description: 'Apology for late delivery (case 4411)',
      source: 'Manual',
      userId: '5b0c7a2e-1f4d-4c9b-9a61-3e2f8d7c6b5a',
      userName: 'Jonas Ek',
    },
  );

  const page = await scene.openCard({ tenant: 'nordic-outdoor', username: 'maria.lindqvist', password: 'demo-password-2026' }, CONTACT);
  await page.getByRole('heading', { name: /History/ }).waitFor();
  await page.getByLabel('Amount').fill('500');
  await page.getByLabel('Reason').fill('Birthday gift');
  await page.getByRole('button', { name: 'Send to point master' }).click();
  // Both delivered; with the clock fixed no later push can follow, so they stay "awaiting master sync".
  await page.locator('.adjustment[data-state="Delivered"]').nth(1).waitFor();
  await page.locator('#contactId').focus();
  await page.locator('#contactId').blur();
  await shoot(page, 'contact-card');

  // Two other contacts whose balances the master states differently: a drifted reconciliation nobody has repaired yet.
  const other = ['0b6f3d1e-2a4c-4e8b-9f17-5c3a8d2e6b41', '5d2e8a71-3c9b-4f06-8e1a-7b4c2f9d0e53'];
  await scene.pushTransactions(key, [
    { contactId: other[0], definitionId: 1, amount: 800, source: 'Purchase', description: 'Purchase: Tent 2P', timeStamp: day(-2), validFrom: day(-2) },
  ]);
  const reconciliation = await call('POST', '/api/v2/point-accounts/reconciliations', { apikey: key }, { asOf: day(-1), scope: 'Listed' });
  await call('POST', `/api/v2/point-accounts/reconciliations/${reconciliation.id}/accounts`, { apikey: key }, [
    { contactId: other[0], definitionId: 1, balance: 850 },
    { contactId: other[1], definitionId: 1, balance: 120 },
  ]);
  await call('POST', `/api/v2/point-accounts/reconciliations/${reconciliation.id}/complete`, { apikey: key });
  while ((await call('GET', `/api/v2/point-accounts/reconciliations/${reconciliation.id}`, { apikey: key })).status !== 'Completed') {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }

  // A second tenant expected to push hourly that never has: the overview shows it in red.
  const quiet = await admin('/tenants', { name: 'harbour-books', mode: 'balance-only' });
  await call('PATCH', `/admin/v1/tenants/${quiet.id}`, adminHeaders, { expectedPushMinutes: 60 });
  const overview = await scene.browser.context.newPage();
  await overview.goto(`${await scene.url()}/ui/admin/login`);
  await overview.getByLabel('Admin token').fill(scene.adminToken);
  await overview.getByLabel('Admin token').press('Enter');
  await overview.getByRole('heading', { name: 'Is every master still syncing?' }).waitFor();
  await shoot(overview, 'operator-overview');
  await overview.goto(`${await scene.url()}/ui/admin/reconciliations/${tenant.id}/${reconciliation.id}`);
  await shoot(overview, 'reconciliation');
  await overview.goto(`${await scene.url()}/ui/admin/tenants/${tenant.id}`);
  await shoot(overview, 'operator-tenant');
  await overview.goto(`${await scene.url()}/ui/admin/tenants/${tenant.id}/setup`);
  await shoot(overview, 'operator-setup');
  await overview.goto(`${await scene.url()}/ui/admin/deliveries`);
  await shoot(overview, 'operator-deliveries');
} finally {
  master.close();
  await scene.close();
}
