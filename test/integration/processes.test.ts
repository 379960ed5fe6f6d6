import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCommand } from '../support/cli.ts';
import { createTestDatabase } from '../support/database.ts';
import { TEST_REDIS_URL } from '../support/env.ts';

let database: Awaited<ReturnType<typeof createTestDatabase>>;
let env: NodeJS.ProcessEnv;
beforeAll(async () => {
  database = await createTestDatabase();
  env = {
    ...process.env,
    DATABASE_URL: database.url,
    REDIS_URL: TEST_REDIS_URL,
    ADMIN_TOKEN: randomBytes(24).toString('base64url'),
    QUEUE_PREFIX: `pfproc-${randomBytes(4).toString('hex')}`,
    HOST: '127.0.0.1',
    PORT: '0',
    WORKER_METRICS_PORT: '0',
    LOG_LEVEL: 'info',
  };
});
afterAll(() => database?.drop());

function start(script: string): { child: ChildProcess; output: () => string; waitFor(pattern: RegExp): Promise<RegExpMatchArray> } {
  const child = spawn(process.execPath, ['--import', 'tsx', script], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const listeners = new Set<() => void>();
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
    for (const listener of listeners) listener();
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  return {
    child,
    output: () => output,
    waitFor: (pattern) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const match = output.match(pattern);
          if (match) {
            listeners.delete(check);
            resolve(match);
          }
        };
        listeners.add(check);
        child.once('exit', () => reject(new Error(`exited before ${pattern}: ${output}`)));
        check();
      }),
  };
}

/** A CLI command run in this process; the `.env` test below runs the built CLI as a process of its own. */
const cli = (...args: string[]) => runCommand(env, args);

describe('entry points', () => {
  it('the API serves, then on SIGTERM stops cleanly', async () => {
    const api = start('src/server.ts');
    const [, url] = await api.waitFor(/Server listening at (http:\/\/127\.0\.0\.1:\d+)/);
    expect((await fetch(`${url}/health`)).status).toBe(200);
    api.child.kill('SIGTERM');
    const [code] = await once(api.child, 'exit');
    expect(code, api.output()).toBe(0);
    expect(api.output()).toContain('stopped cleanly');
  });

  it('the worker starts, then on SIGTERM stops cleanly', async () => {
    const worker = start('src/worker.ts');
    await worker.waitFor(/worker started/);
    worker.child.kill('SIGTERM');
    const [code] = await once(worker.child, 'exit');
    expect(code, worker.output()).toBe(0);
    expect(worker.output()).toContain('stopped cleanly');
  });

  it('a bad environment stops start-up with a message naming the variable', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], { env: { ...env, PORT: 'http' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const [code] = await once(child, 'exit');
    expect(code).toBe(1);
    expect(stderr).toContain('PORT:');
  });
});

describe('CLI', () => {
  it('creates a tenant, a definition and a key, and revokes the key, printing JSON', async () => {
    const created = await cli('tenants:create', '--name', 'cli-shop', '--mode', 'all-transaction');
    expect(created.code).toBe(0);
    const tenant = JSON.parse(created.stdout);
    expect(tenant).toEqual({
      expiry: 'follower',
      id: expect.any(String),
      name: 'cli-shop',
      mode: 'all-transaction',
      pointSystemActive: true,
      requireKnownContacts: false,
      timeZone: 'UTC',
      maxAdjustmentPoints: 100_000,
    });

    const definition = await cli('definitions:create', '--tenant', tenant.id, '--id', '3', '--name', 'Bonus');
    expect(JSON.parse(definition.stdout)).toEqual({ id: 3, name: 'Bonus', description: null });

    const key = JSON.parse((await cli('api-keys:create', '--tenant', tenant.id, '--name', 'master')).stdout);
    expect(key.key).toMatch(/^pf_/);
    const revoked = await cli('api-keys:revoke', '--tenant', tenant.id, '--id', key.id);
    expect(JSON.parse(revoked.stdout)).toEqual({ id: key.id, revoked: true });
    const listed = JSON.parse((await cli('api-keys:list', '--tenant', tenant.id)).stdout);
    expect(listed[0].revokedAt).not.toBeNull();
  });

  it('reports bad input as a JSON error and exit code 1', async () => {
    const result = await cli('tenants:create', '--name', 'x', '--mode', 'points');
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stderr).error).toContain('mode');
    const duplicate = await cli('tenants:create', '--name', 'dup-shop', '--mode', 'balance-only');
    expect(duplicate.code).toBe(0);
    const again = await cli('tenants:create', '--name', 'dup-shop', '--mode', 'balance-only');
    expect(JSON.parse(again.stderr)).toEqual({ error: 'A tenant named dup-shop already exists' });
  });

  it('prints usage for an unknown command', async () => {
    const result = await cli('nonsense');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('tenants:create');
  });
});

describe('.env', () => {
  const builtCli = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

  it('is read by the built CLI from its working directory; a variable set in the environment wins over the file', async () => {
    expect(existsSync(builtCli), 'dist/cli/main.js is missing: npm test builds it first (npm run build)').toBe(true);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pf-env-'));
    try {
      // The file names a database nobody serves, which the environment overrides; everything else comes from the file alone.
      writeFileSync(
        path.join(dir, '.env'),
        [
          `DATABASE_URL=postgresql://postgres@127.0.0.1:1/nowhere`,
          `REDIS_URL=${env.REDIS_URL}`,
          `ADMIN_TOKEN=${env.ADMIN_TOKEN}`,
          `QUEUE_PREFIX=${env.QUEUE_PREFIX}`,
        ].join('\n'),
      );
      const bare: NodeJS.ProcessEnv = { PATH: process.env.PATH, DATABASE_URL: env.DATABASE_URL };
      const child = spawn(process.execPath, [builtCli, 'tenants:create', '--name', 'env-shop', '--mode', 'balance-only'], {
        cwd: dir,
        env: bare,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout.on('data', (c: Buffer) => (out += c.toString()));
      child.stderr.on('data', (c: Buffer) => (out += c.toString()));
      const [code] = await once(child, 'exit');
      expect(code, out).toBe(0);
      expect(JSON.parse(out).name).toBe('env-shop');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('npm start before a build', () => {
  it('says to run npm run build first, without a stack trace', async () => {
    // The check run before `npm start` and `npm run worker`, in a copy of the layout without dist/.
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pf-nobuild-'));
    try {
      mkdirSync(path.join(dir, 'scripts'));
      const script = path.join(dir, 'scripts', 'require-build.js');
      copyFileSync(fileURLToPath(new URL('../../scripts/require-build.js', import.meta.url)), script);
      const run = async () => {
        const child = spawn(process.execPath, [script, 'server'], { stdio: ['ignore', 'pipe', 'pipe'] });
        let stderr = '';
        child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
        const [code] = await once(child, 'exit');
        return { code, stderr };
      };
      const before = await run();
      expect(before.code).toBe(1);
      expect(before.stderr).toContain('run npm run build first');
      expect(before.stderr).not.toMatch(/\n\s+at /);

      mkdirSync(path.join(dir, 'dist'));
      writeFileSync(path.join(dir, 'dist', 'server.js'), '');
      expect(await run()).toEqual({ code: 0, stderr: '' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
