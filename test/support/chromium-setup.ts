import type { TestProject } from 'vitest/node';
import { launchBrowserServer } from './browser.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The shared Chromium that browser test files connect to. */
    chromiumEndpoint: string;
  }
}

/** One Chromium for the serial group's browser files (they run one after another), closed after the group. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const server = await launchBrowserServer();
  project.provide('chromiumEndpoint', server.wsEndpoint);
  return () => server.close();
}
