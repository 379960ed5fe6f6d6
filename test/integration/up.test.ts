import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { postgresSettings } from '../../scripts/up/local-servers.ts';
import { databaseUrl, TEST_REDIS_URL } from '../support/env.ts';

/**
 * `npm run up` as a newcomer runs it, in a scratch data folder: the
 * configured Postgres and Redis do not answer (ports nobody listens on), so
 * it starts private ones from the installed binaries, builds if needed,
 * migrates, makes the demo tenant and prints the block; Ctrl-C stops every
 * process it started. A second run prints the same demo without making another.
 */

const dataRoot = mkdtempSync(path.join(os.tmpdir(), 'pf-up-'));
// As root, the private Postgres runs as the postgres user, which must be able to reach its folder.
chmodSync(dataRoot, 0o755);
afterAll(() => rmSync(dataRoot, { recursive: true, force: true }));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

interface Run {
  child: ChildProcess;
  output: () => string;
  waitFor(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray>;
  exited: Promise<number | null>;
}

async function up(overrides: NodeJS.ProcessEnv = {}): Promise<Run> {
  const [apiPort, deadPort] = await Promise.all([freePort(), freePort()]);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    UP_DATA_DIR: path.join(dataRoot, 'data'),
    DATABASE_URL: `postgresql://postgres@127.0.0.1:${deadPort}/point_follower`,
    REDIS_URL: `redis://127.0.0.1:${deadPort}`,
    PORT: String(apiPort),
    WORKER_METRICS_PORT: '0',
    LOG_LEVEL: 'warn',
    ...overrides,
  };
  delete env.ADMIN_TOKEN;
  delete env.LOG_FORMAT;
  // A process group of its own, so the test can send Ctrl-C the way a terminal does: to the whole group.
  const child = spawn('npm', ['run', 'up'], { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    output: () => output,
    exited,
    async waitFor(pattern, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const match = output.match(pattern);
        if (match) return match;
        if (child.exitCode !== null || Date.now() > deadline) throw new Error(`no ${pattern} in:\n${output}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
  };
}

const BLOCK = /Engage point follower is up[\s\S]*?Ctrl-C stops everything/;
const field = (block: string, name: string) => block.match(new RegExp(`${name}\\s+(\\S+)`))![1]!;
const pids = (output: string) =>
  [...output.matchAll(/(?:api|worker) started, pid (\d+)|(?:Postgres|Redis) ready at \S+ \(pid (\d+)\)/g)].map((m) => Number(m[1] ?? m[2]));
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('npm run up', () => {
  it('starts private Postgres and Redis, prints the block, serves, and stops everything on Ctrl-C', { timeout: 300_000 }, async () => {
    const first = await up();
    const block = (await first.waitFor(BLOCK, 240_000))[0];
    const base = field(block, 'Contact card').replace(/\/ui$/, '');
    const key = field(block, 'Demo API key');
    const contact = field(block, 'a demo contact').split('/').pop()!;
    expect(block).toMatch(/sign in as\s+organisation demo, username demo, password \S{12,}/);
    expect(block).toContain(`${base}/documentation`);
    expect(field(block, 'Admin token').length).toBeGreaterThanOrEqual(16);

    expect((await fetch(`${base}/ready`)).status).toBe(200);
    // The private Postgres runs with deploy/postgresql.conf.
    const postgresUrl = /Postgres ready at (\S+)/.exec(first.output())![1]!;
    const settings = new pg.Client({ connectionString: postgresUrl });
    await settings.connect();
    for (const [name, value] of postgresSettings()) {
      const { rows } = await settings.query<{ value: string }>(`SELECT current_setting($1) AS value`, [name]);
      expect(rows[0]!.value, name).toBe(value);
    }
    await settings.end();
    // The demo contact's transactions are applied by the worker it started.
    await expect
      .poll(async () => {
        const answer = await fetch(`${base}/api/v2/point-accounts?contactId=${contact}`, { headers: { apikey: key } });
        return ((await answer.json()) as { items: { balance: number }[] }).items[0]?.balance;
      })
      .toBe(150);

    // The processes' own lines are for people: none is a raw JSON log line.
    expect(first.output()).not.toMatch(/^(api|worker) +\| \{"level"/m);

    const started = pids(first.output());
    expect(started).toHaveLength(4); // API, worker, Postgres, Redis
    process.kill(-first.child.pid!, 'SIGINT');
    expect(await first.exited, first.output()).toBe(0);
    expect(first.output()).toContain('stopped cleanly');
    expect(started.filter(alive)).toEqual([]);
    const kept = JSON.parse(readFileSync(path.join(dataRoot, 'data', 'demo.json'), 'utf8'));
    expect(kept.apiKey).toBe(key);

    const second = await up();
    const again = (await second.waitFor(BLOCK, 120_000))[0];
    expect(field(again, 'Demo API key')).toBe(key);
    expect(second.output()).not.toContain('made the demo tenant');
    expect(second.output()).toContain('database up to date');
    const base2 = field(again, 'Contact card').replace(/\/ui$/, '');
    // The points applied in the first run are still there: the data folder was kept.
    const accounts = await fetch(`${base2}/api/v2/point-accounts?contactId=${contact}`, { headers: { apikey: key } });
    expect(((await accounts.json()) as { items: { balance: number }[] }).items[0]?.balance).toBe(150);
    const startedAgain = pids(second.output());
    second.child.kill('SIGTERM'); // npm alone, as a process manager would: it passes the signal on
    expect(await second.exited, second.output()).toBe(0);
    expect(startedAgain.filter(alive)).toEqual([]);
  });
});

describe('npm run up with a port taken', () => {
  // Postgres and Redis answer (the test servers), so up reaches the port check within seconds.
  it.each(['PORT', 'WORKER_METRICS_PORT'])(
    'says which port is taken and that %s changes it, in one line without a stack',
    { timeout: 120_000 },
    async (setting) => {
      const taken = createServer();
      await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
      const port = (taken.address() as { port: number }).port;
      try {
        const run = await up({
          UP_DATA_DIR: path.join(dataRoot, `taken-${setting}`),
          DATABASE_URL: databaseUrl('pf_up_port_check'),
          REDIS_URL: TEST_REDIS_URL,
          ...(setting === 'PORT' ? { PORT: String(port) } : { WORKER_METRICS_PORT: String(port) }),
        });
        expect(await run.exited, run.output()).toBe(1);
        const lines = run.output().split('\n');
        const named = lines.filter((line) => line.includes(`Port ${port} `) && line.includes(setting));
        expect(named, run.output()).toHaveLength(1);
        expect(named[0]).toMatch(
          new RegExp(`^up +\\| Port ${port} on 127\\.0\\.0\\.1 is already taken by another program\\..*choose another port with ${setting}`),
        );
        expect(run.output()).not.toMatch(/^\S+ +\| +at /m);
        expect(run.output()).not.toContain('EADDRINUSE');
      } finally {
        taken.close();
      }
    },
  );
});
