// npx tsx scripts/docs-screenshot-levels.ts
// Regenerates docs/member-levels.png (the contact card) and docs/member-levels-history.png
// (its Level history tab): the member level panel for
// a demo contact whose level rose twice, seeded through the real API and worker
// on a scratch database and signed in to with headless Chromium. The clock is
// set by hand, so the picture only changes when the page does.
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { migrateDatabase } from '../prisma/scripts/migrate.ts';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { startWorker } from '../src/jobs/start-worker.ts';
import { createLogger } from '../src/logger.ts';
import { closeRuntime, createRuntime } from '../src/runtime.ts';
import { launchBrowser } from '../test/support/browser.ts';

const OUTPUT = fileURLToPath(new URL('../docs/member-levels.png', import.meta.url));
const HISTORY_OUTPUT = fileURLToPath(new URL('../docs/member-levels-history.png', import.meta.url));
const POSTGRES = process.env.DOCS_POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const REDIS = process.env.DOCS_REDIS_URL ?? 'redis://127.0.0.1:6379';
const DATABASE = 'pf_docs_levels_screenshot';
const NOW = new Date('2026-03-14T10:30:00.000Z');
const CONTACT = '7c1e4b52-9d3a-4f0e-a6b8-2f5d91c3e874';
const ADMIN_TOKEN = randomBytes(24).toString('base64url');

const day = (n: number) => new Date(NOW.getTime() + Math.round(n * 1440) * 60_000);

async function maintenance(sql: string) {
  const client = new pg.Client({ connectionString: POSTGRES });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

await maintenance(`DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`);
const databaseUrl = Object.assign(new URL(POSTGRES), { pathname: `/${DATABASE}` }).toString();
await migrateDatabase(databaseUrl);

const config = loadConfig({
  DATABASE_URL: databaseUrl,
  REDIS_URL: REDIS,
  ADMIN_TOKEN,
  LOG_LEVEL: 'warn',
  QUEUE_PREFIX: `pfdocs-${randomBytes(3).toString('hex')}`,
  RATE_LIMIT_PER_SECOND: '0',
});
let current = day(-200);
const runtime = createRuntime(config, createLogger(config.logLevel, 'docs'), { now: () => new Date(current) });
const app = await buildApp(runtime);
const worker = await startWorker(runtime);
const browser = await launchBrowser({ viewport: { width: 1440, height: 900 }, deviceScaleFactor: 1 });

interface Answer {
  id: string;
  key: string;
  status: string;
}

async function call(method: 'POST' | 'GET' | 'PUT', url: string, headers: Record<string, string>, payload?: unknown) {
  const response = await app.inject({ method, url, headers, ...(payload === undefined ? {} : { payload: payload as object }) });
  if (response.statusCode >= 300) throw new Error(`${method} ${url} answered ${response.statusCode}: ${response.body}`);
  return response.json<Answer>();
}
const adminHeaders = { authorization: `Bearer ${ADMIN_TOKEN}` };
const admin = (url: string, payload: unknown) => call('POST', `/admin/v1${url}`, adminHeaders, payload);

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
    const rows = items.map(([amount, description]) => ({ contactId: CONTACT, definitionId: 1, amount, source: 'Purchase', description }));
    const accepted = await call('POST', '/api/v2/point-accounts/transactions', { apikey: key }, rows);
    for (;;) {
      const status = await call('GET', `/api/v2/point-accounts/transactions/status/${accepted.id}`, { apikey: key });
      if (status.status !== 'Queued' && status.status !== 'Processing') break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  await purchases([620, 'Trail 40L backpack']);
  current = day(-61.2);
  await purchases([480, 'Alpine down jacket'], [520, 'Hiking boots GTX']);
  current = day(-3.1);
  await purchases([280, 'Wool socks and headlamp']);
  current = NOW;

  await app.listen({ host: '127.0.0.1', port: 0 });
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  const page = await browser.context.newPage();
  await page.goto(`${base}/ui/login?tenant=nordic-outdoor`);
  await page.getByLabel('Username').fill('maria.lindqvist');
  await page.getByLabel('Password').fill('demo-password-2026');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByLabel('Contact id').fill(CONTACT);
  await page.getByRole('button', { name: 'Open card' }).click();
  await page.getByTestId('level-badge').waitFor();
  await page.locator('#contactId').focus();
  await page.locator('#contactId').blur();
  await page.screenshot({ path: OUTPUT, fullPage: true });
  await page.getByRole('tab', { name: 'Level history' }).click();
  await page.locator('#member-level').screenshot({ path: HISTORY_OUTPUT });
  console.log(`Wrote ${OUTPUT} and ${HISTORY_OUTPUT}`);
} finally {
  await browser.close();
  await worker.close();
  await app.close();
  for (const queue of [runtime.ingestQueue, runtime.webhookQueue]) await queue.obliterate({ force: true }).catch(() => undefined);
  await closeRuntime(runtime);
  await maintenance(`DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`);
}
