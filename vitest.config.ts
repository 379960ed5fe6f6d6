import { configDefaults, defineConfig } from 'vitest/config';

/**
 * Files that must not share the CPU with others: they start child processes
 * of their own, or check how long something takes (timeouts, a per-second rate
 * limit). They run one after another once the parallel group has finished, and
 * the browser files (Chromium) after them.
 */
const BROWSER = ['test/browser/**/*.test.ts'];
const SERIAL = [
  // Child processes: the API, the worker, the CLI, `npm run up`, the README's commands.
  'test/integration/processes.test.ts',
  'test/integration/up.test.ts',
  'test/integration/readme-tour.test.ts',
  'test/integration/secrets.test.ts',
  // Timing: request and header timeouts, outbound timeouts of a few hundred ms, a per-second limit, a lost connection.
  'test/integration/http-timeouts.test.ts',
  'test/integration/points-log.test.ts',
  'test/integration/ui-card.test.ts',
  'test/integration/webhook-delivery.test.ts',
  'test/integration/rate-limit.test.ts',
  'test/integration/pool.test.ts',
];

export default defineConfig({
  test: {
    // The fault suite has its own config and command (npm run test:faults).
    exclude: [...configDefaults.exclude, 'test/faults/**'],
    globalSetup: ['test/support/global-setup.ts'],
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    projects: [
      {
        extends: true,
        // Every file gets its own database and queue prefix, so request-level files run side by side; most of
        // their time is spent waiting on Postgres and Redis, so more files than cores keeps both busy.
        test: {
          name: 'parallel',
          include: ['test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, 'test/faults/**', ...SERIAL, ...BROWSER],
          maxWorkers: 3,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: { name: 'serial', include: SERIAL, fileParallelism: false, sequence: { groupOrder: 1 } },
      },
      {
        extends: true,
        // One Chromium for the whole group; each file opens a context of its own in it.
        test: {
          name: 'browser',
          include: BROWSER,
          fileParallelism: false,
          sequence: { groupOrder: 2 },
          globalSetup: ['test/support/global-setup.ts', 'test/support/chromium-setup.ts'],
        },
      },
    ],
  },
});
