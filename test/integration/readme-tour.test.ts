import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, startSystem, type TestSystem } from '../support/system.ts';

/**
 * The README's tour, run as written: the fenced blocks marked `sh tour`, in
 * order, in one bash shell with `set -euo pipefail`, against the real API
 * (listening on a port) and worker over this file's own database. A block
 * that fails (curl --fail on an error answer, `check` on a wrong value)
 * stops the run with its exit code; a marker after each block says how far
 * it got.
 */

const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const blocks = [...README.matchAll(/^```sh tour\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);

let system: TestSystem;
let base: string;
beforeAll(async () => {
  system = await startSystem({ RATE_LIMIT_PER_SECOND: '0' });
  await system.startWorker();
  await system.app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(system.app.server.address() as AddressInfo).port}`;
});
afterAll(() => system?.close());

async function runTour(adminToken: string): Promise<{ code: number | null; output: string; done: number }> {
  const script = ['set -euo pipefail', ...blocks.flatMap((block, i) => [block, `echo "tour block ${i + 1} ok"`])].join('\n');
  const child = spawn('bash', ['-c', script], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, BASE: base, ADMIN_TOKEN: adminToken },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, output, done: [...output.matchAll(/^tour block \d+ ok$/gm)].length };
}

describe("the README's tour", () => {
  it('has its blocks', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(5);
  });

  it('runs as written from a clean database, and again (every id read from the answers)', { timeout: 120_000 }, async () => {
    for (const run of [1, 2]) {
      const { code, output, done } = await runTour(ADMIN_TOKEN);
      expect(code, `run ${run}:\n${output}`).toBe(0);
      expect(done, output).toBe(blocks.length);
      expect(output).toMatch(/sign in: organisation tour-\d+-\d+, username maria, password \S+/);
    }
  });

  it('fails at the first block whose answer is wrong', async () => {
    const { code, output, done } = await runTour('not-the-admin-token-at-all');
    expect(code, output).not.toBe(0);
    expect(done).toBe(0);
  });
});
