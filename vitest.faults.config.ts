import { defineConfig } from 'vitest/config';

/**
 * The fault suite (`npm run test:faults`): each case runs its own Postgres and
 * Redis plus the real API and worker processes, and kills, restarts or flushes
 * them mid-ingest. Files run one after another: the cases load this 2-core
 * machine fully, and timing-sensitive faults need the CPU to themselves.
 */
export default defineConfig({
  test: {
    include: ['test/faults/**/*.test.ts'],
    fileParallelism: false,
    pool: 'forks',
    testTimeout: 300_000,
    hookTimeout: 120_000,
  },
});
