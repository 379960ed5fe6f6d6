// The scaffolding the docs screenshots share: a scratch database migrated with
// the operators' command, the real API and worker over it with a clock of the
// script's choosing, headless Chromium, and calls to the service's own API.
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import type { Page } from 'playwright-core';
import { migrateDatabase } from '../prisma/scripts/migrate.ts';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { startWorker } from '../src/jobs/start-worker.ts';
import { createLogger } from '../src/logger.ts';
import { closeRuntime, createRuntime, type Runtime } from '../src/runtime.ts';
import { launchBrowser } from '../test/support/browser.ts';

const POSTGRES = process.env.DOCS_POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const REDIS = process.env.DOCS_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** The fields the scripts read from the service's answers. */
interface Answer {
  id: string;
  key: string;
  status: string;
}

async function maintenance(sql: string) {
  const client = new pg.Client({ connectionString: POSTGRES });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

export async function openScene(database: string, clock: () => Date, settings: Record<string, string> = {}) {
  await maintenance(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  const databaseUrl = Object.assign(new URL(POSTGRES), { pathname: `/${database}` }).toString();
  await migrateDatabase(databaseUrl);
  const adminToken = randomBytes(24).toString('base64url');
  const config = loadConfig({
    DATABASE_URL: databaseUrl,
    REDIS_URL: REDIS,
    ADMIN_TOKEN: adminToken,
    SECRETS_KEY: randomBytes(32).toString('base64'),
    LOG_LEVEL: 'warn',
    QUEUE_PREFIX: `pfdocs-${randomBytes(3).toString('hex')}`,
    RATE_LIMIT_PER_SECOND: '0',
    ...settings,
  });
  const runtime: Runtime = createRuntime(config, createLogger(config.logLevel, 'docs'), { now: clock });
  const app = await buildApp(runtime);
  const worker = await startWorker(runtime);
  const browser = await launchBrowser({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1 });
  const adminHeaders = { authorization: `Bearer ${adminToken}` };

  async function call(method: 'POST' | 'GET' | 'PUT' | 'PATCH', url: string, headers: Record<string, string>, payload?: unknown) {
    const response = await app.inject({ method, url, headers, ...(payload === undefined ? {} : { payload: payload as object }) });
    if (response.statusCode >= 300) throw new Error(`${method} ${url} answered ${response.statusCode}: ${response.body}`);
    return response.json<Answer>();
  }

  let base: string | undefined;
  const scene = {
    runtime,
    adminToken,
    adminHeaders,
    browser,
    call,
    admin: (url: string, payload: unknown) => call('POST', `/admin/v1${url}`, adminHeaders, payload),
    /** Pushes transactions and waits until the worker has applied them. */
    async pushTransactions(apiKey: string, rows: unknown[]) {
      const accepted = await call('POST', '/api/v2/point-accounts/transactions', { apikey: apiKey }, rows);
      for (;;) {
        const status = await call('GET', `/api/v2/point-accounts/transactions/status/${accepted.id}`, { apikey: apiKey });
        if (status.status !== 'Queued' && status.status !== 'Processing') return;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    /** The API's address, listening from the first call on. */
    async url() {
      if (!base) {
        await app.listen({ host: '127.0.0.1', port: 0 });
        base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
      }
      return base;
    },
    /** Signs a support agent in and opens a contact's card. */
    async openCard(user: { tenant: string; username: string; password: string }, contactId: string): Promise<Page> {
      const page = await browser.context.newPage();
      await page.goto(`${await scene.url()}/ui/login?tenant=${user.tenant}`);
      await page.getByLabel('Username').fill(user.username);
      await page.getByLabel('Password').fill(user.password);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByLabel('Contact id').fill(contactId);
      await page.getByRole('button', { name: 'Open card' }).click();
      return page;
    },
    async close() {
      await browser.close();
      await worker.close();
      await app.close();
      for (const queue of [runtime.ingestQueue, runtime.webhookQueue]) await queue.obliterate({ force: true }).catch(() => undefined);
      await closeRuntime(runtime);
      await maintenance(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    },
  };
  return scene;
}
