import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, startSystem, type TestSystem } from '../support/system.ts';

/**
 * The point-master guide's v3 walk, run as written: the fenced blocks marked
 * `sh v3`, in order, in one bash shell with `set -euo pipefail`, against the
 * real API (listening on a port) and worker. A failing curl (--fail) or a
 * wrong value (`check`) stops the run; a marker after each block says how far
 * it got.
 */
const GUIDE = readFileSync(new URL('../../docs/point-master-guide.md', import.meta.url), 'utf8');
const blocks = [...GUIDE.matchAll(/^```sh v3\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);

let system: TestSystem;
let base: string;
beforeAll(async () => {
  system = await startSystem({ RATE_LIMIT_PER_SECOND: '0' });
  await system.startWorker();
  await system.app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(system.app.server.address() as AddressInfo).port}`;
});
afterAll(() => system?.close());

async function runWalk(adminToken: string): Promise<{ code: number | null; output: string; done: number }> {
  const script = ['set -euo pipefail', ...blocks.flatMap((block, i) => [block, `echo "v3 block ${i + 1} ok"`])].join('\n');
  const child = spawn('bash', ['-c', script], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, BASE: base, ADMIN_TOKEN: adminToken },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, output, done: [...output.matchAll(/^v3 block \d+ ok$/gm)].length };
}

describe("the point-master guide's v3 walk", () => {
  it('has its blocks', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(4);
  });

  it('runs as written', { timeout: 120_000 }, async () => {
    const { code, output, done } = await runWalk(ADMIN_TOKEN);
    expect(code, output).toBe(0);
    expect(done, output).toBe(blocks.length);
    expect(output).toContain('"transactionDate":"2026-12-01T11:20:03.000Z"');
  });

  it('fails at the first block whose answer is wrong', async () => {
    const { code, output, done } = await runWalk('not-the-admin-token-at-all');
    expect(code, output).not.toBe(0);
    expect(done).toBe(0);
  });
});
