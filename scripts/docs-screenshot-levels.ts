// npm run docs:screenshot (after docs-screenshot.ts)
// Regenerates docs/member-levels.png (the contact card, and at 360 px member-levels-360.png) and docs/member-levels-history.png
// (its Level history tab): the member level panel for
// a demo contact whose level rose twice, seeded through the real API and worker
// on a scratch database and signed in to with headless Chromium. The clock is
// set by hand, so the picture only changes when the page does.
import { fileURLToPath } from 'node:url';
import { openScene } from './docs-scene.ts';

const OUTPUT = fileURLToPath(new URL('../docs/member-levels.png', import.meta.url));
const PHONE_OUTPUT = fileURLToPath(new URL('../docs/member-levels-360.png', import.meta.url));
const HISTORY_OUTPUT = fileURLToPath(new URL('../docs/member-levels-history.png', import.meta.url));
const NOW = new Date('2026-03-14T10:30:00.000Z');
const CONTACT = '7c1e4b52-9d3a-4f0e-a6b8-2f5d91c3e874';

const day = (n: number) => new Date(NOW.getTime() + Math.round(n * 1440) * 60_000);

let current = day(-200);
const scene = await openScene('pf_docs_levels_screenshot', () => new Date(current));
const { call, admin, adminHeaders } = scene;

try {
  const tenant = await admin('/tenants', { name: 'nordic-outdoor', mode: 'all-transaction' });
  await admin(`/tenants/${tenant.id}/definitions`, { id: 1, name: 'Bonus points', description: 'Earned on purchases' });
  const { key } = await admin(`/tenants/${tenant.id}/api-keys`, { name: 'point master' });
  await admin(`/tenants/${tenant.id}/users`, { username: 'maria.lindqvist', displayName: 'Maria Lindqvist', password: 'demo-password-2026' });
  await call('PUT', `/admin/v1/tenants/${tenant.id}/levels`, adminHeaders, {
    definitionId: 1,
    basis: 'PointsEarned',
    window: { type: 'Rolling', months: 12 },
    levels: [
      { key: 'member', name: 'Member', threshold: 0 },
      { key: 'silver', name: 'Silver', threshold: 500 },
      { key: 'gold', name: 'Gold', threshold: 1500 },
      { key: 'platinum', name: 'Platinum', threshold: 3000 },
    ],
  });

  /** Pushes purchases at the current clock and waits until the worker has applied them (and recorded the level). */
  async function purchases(...items: [number, string][]) {
    await scene.pushTransactions(
      key,
      items.map(([amount, description]) => ({ contactId: CONTACT, definitionId: 1, amount, source: 'Purchase', description })),
    );
  }
  await purchases([620, 'Trail 40L backpack']);
  current = day(-61.2);
  await purchases([480, 'Alpine down jacket'], [520, 'Hiking boots GTX']);
  current = day(-3.1);
  await purchases([280, 'Wool socks and headlamp']);
  current = NOW;

  const page = await scene.openCard({ tenant: 'nordic-outdoor', username: 'maria.lindqvist', password: 'demo-password-2026' }, CONTACT);
  await page.getByTestId('level-badge').waitFor();
  await page.locator('#contactId').focus();
  await page.locator('#contactId').blur();
  await page.screenshot({ path: OUTPUT, fullPage: true });
  await page.setViewportSize({ width: 360, height: 900 });
  await page.screenshot({ path: PHONE_OUTPUT, fullPage: true });
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.getByRole('tab', { name: 'Level history' }).click();
  await page.locator('#member-level').screenshot({ path: HISTORY_OUTPUT });
  console.log(`Wrote ${OUTPUT}, ${PHONE_OUTPUT} and ${HISTORY_OUTPUT}`);
} finally {
  await scene.close();
}
