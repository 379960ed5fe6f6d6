import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';

/** Debian's chromium; a browser is never downloaded. */
const CHROMIUM = '/usr/bin/chromium';

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

interface BrowserOptions {
  viewport?: { width: number; height: number };
  deviceScaleFactor?: number;
}

const contextOptions = (options: BrowserOptions) => ({
  viewport: options.viewport ?? { width: 1280, height: 900 },
  deviceScaleFactor: options.deviceScaleFactor ?? 1,
  timezoneId: 'UTC',
  locale: 'en-GB',
});

/** Starts one headless Chromium that test files connect to (connectBrowser), so each file does not start its own. */
export async function launchBrowserServer(): Promise<{ wsEndpoint: string; close(): Promise<void> }> {
  const server = await chromium.launchServer({ executablePath: CHROMIUM, headless: true, args: ARGS });
  return { wsEndpoint: server.wsEndpoint(), close: () => server.close() };
}

/** A fresh context (cookies, storage and cache of its own) in the shared Chromium at `wsEndpoint`; close() leaves the browser running. */
export async function connectBrowser(wsEndpoint: string, options: BrowserOptions = {}): Promise<Browser> {
  const browser = await chromium.connect(wsEndpoint);
  const context = await browser.newContext(contextOptions(options));
  return {
    context,
    async close() {
      await context.close();
      await browser.close(); // for a connected browser: disconnects
    },
  };
}

/** Headless Chromium with a fresh profile of its own, removed on close. */
export async function launchBrowser(options: BrowserOptions = {}): Promise<Browser> {
  const userDataDir = await mkdtemp(path.join(tmpdir(), 'pf-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, { executablePath: CHROMIUM, headless: true, args: ARGS, ...contextOptions(options) });
  return {
    context,
    async close() {
      await context.close();
      await rm(userDataDir, { recursive: true, force: true });
    },
  };
}
