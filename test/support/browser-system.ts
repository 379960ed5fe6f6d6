import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import { inject } from 'vitest';
import { type Browser, connectBrowser } from './browser.ts';
import { startSystem, type TestSystem } from './system.ts';

/** What a browser test drives: the real API listening on a 127.0.0.1 port of its own, and headless Chromium. */
export interface BrowserSystem {
  system: TestSystem;
  browser: Browser;
  /** The API's address, `http://127.0.0.1:<port>`. */
  base: string;
}

/** Starts the system (with its worker unless `worker` is false), lets the API listen, and opens a context in the shared Chromium. */
export async function openBrowserSystem(env: Record<string, string> = {}, { worker = true } = {}): Promise<BrowserSystem> {
  const system = await startSystem(env);
  try {
    if (worker) await system.startWorker();
    await system.app.listen({ host: '127.0.0.1', port: 0 });
    const base = `http://127.0.0.1:${(system.app.server.address() as AddressInfo).port}`;
    return { system, browser: await connectBrowser(inject('chromiumEndpoint')), base };
  } catch (err) {
    await system.close(); // nothing is left running when the file's set-up fails
    throw err;
  }
}

/** Closes what openBrowserSystem opened, as far as it got. */
export async function closeBrowserSystem({ system, browser }: Partial<BrowserSystem>): Promise<void> {
  await browser?.close();
  await system?.close();
}

/** Fills the sign-in form at `/ui` as a person would and sends it with Enter; what comes next is the caller's to wait for. */
export async function submitSignIn(page: Page, base: string, tenantName: string, username: string, password: string): Promise<void> {
  await page.goto(`${base}/ui`);
  await page.getByLabel('Organisation').fill(tenantName);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByLabel('Password').press('Enter');
}
