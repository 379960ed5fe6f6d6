import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmodSync, chownSync, closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import pg from 'pg';

/**
 * Postgres and Redis for `npm run up`: the configured ones when they answer,
 * else private ones with their data under the data folder (kept between
 * runs), started as children and stopped when `up` stops. The fault suite
 * (test/faults/support/services.ts) starts its throw-away servers the same way.
 */

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

/** True when nothing listens on the port of 127.0.0.1. */
export function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer()
      .once('error', () => resolve(false))
      .listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** Why the port of `host` cannot be listened on (a taken port, a privileged one), or undefined when it can. */
export function listenError(port: number, host: string): Promise<unknown> {
  return new Promise((resolve) => {
    const server = createServer()
      .once('error', resolve)
      .listen(port, host, () => server.close(() => resolve(undefined)));
  });
}

export type Probe = { state: 'answers' } | { state: 'unreachable'; reason: string } | { state: 'refuses'; reason: string };

/** Whether a Postgres server answers at the URL. A database that does not exist yet still counts: the migration creates it. */
export async function probePostgres(url: string): Promise<Probe> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return { state: 'answers' };
  } catch (err) {
    const { code, message } = err as { code?: string; message: string };
    if (code === '3D000') return { state: 'answers' };
    // A five-character SQLSTATE means a server answered and refused (a password, a role, pg_hba).
    return code && /^[0-9A-Z]{5}$/.test(code) ? { state: 'refuses', reason: message } : { state: 'unreachable', reason: code ?? message };
  } finally {
    await client.end().catch(() => undefined);
  }
}

export async function probeRedis(url: string): Promise<Probe> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 2000 });
  let connectionError: { code?: string } | undefined;
  client.on('error', (err: { code?: string }) => (connectionError ??= err));
  try {
    await client.connect();
    await client.ping();
    return { state: 'answers' };
  } catch (err) {
    const { message } = err as Error;
    // A reply from a server (a password it wants, a wrong one) starts with its error word; anything else is no server.
    if (/^(NOAUTH|WRONGPASS|ERR)\b/.test(message)) return { state: 'refuses', reason: message };
    return { state: 'unreachable', reason: connectionError?.code ?? message };
  } finally {
    client.disconnect();
  }
}

/**
 * Where initdb and postgres live: the newest of Debian's /usr/lib/postgresql/<version>/bin,
 * then Homebrew's versioned formulas (not linked onto PATH), then next to an initdb on PATH.
 */
export function findPostgresBin(): string | undefined {
  const versioned = [
    ...subfolders('/usr/lib/postgresql').map((v) => ({ v, bin: path.join('/usr/lib/postgresql', v, 'bin') })),
    ...['/opt/homebrew/opt', '/usr/local/opt'].flatMap((root) =>
      subfolders(root)
        .filter((name) => name.startsWith('postgresql@'))
        .map((name) => ({ v: name.slice('postgresql@'.length), bin: path.join(root, name, 'bin') })),
    ),
  ].sort((a, b) => Number(b.v) - Number(a.v));
  const initdb = onPath('initdb');
  const candidates = [...versioned.map((c) => c.bin), ...(initdb ? [path.dirname(realpathSync(initdb))] : [])];
  return candidates.find((bin) => existsSync(path.join(bin, 'initdb')) && existsSync(path.join(bin, 'postgres')));
}

const subfolders = (dir: string) => (existsSync(dir) ? readdirSync(dir) : []);

export function onPath(command: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir && existsSync(path.join(dir, command))) return path.join(dir, command);
  }
  return undefined;
}

export interface LocalServer {
  url: string;
  pid: number | undefined;
  stop(): Promise<void>;
}

function waitForExit(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

// A busy machine may take a minute to start Postgres the first time (initdb, then recovery); a server that dies ends the wait at once.
async function until(what: string, child: ChildProcess, logFile: string, probe: () => Promise<boolean>, timeoutMs = 180_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe().catch(() => false))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      const tail = readFileSync(logFile, 'utf8').split('\n').slice(-15).join('\n');
      throw new Error(`${what} did not start (its log, ${logFile}, ends with):\n${tail}`);
    }
    await sleep(200);
  }
}

/**
 * Postgres refuses to run as root. As root, initdb and postgres run as the
 * `postgres` user (which Debian's and most distributions' packages create),
 * through runuser, as the fault suite does; the data folder is given to it.
 */
function postgresUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  try {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    return { uid, gid };
  } catch {
    throw new Error(
      'Postgres will not run as root, and there is no "postgres" user to run it as. Run npm run up as an ordinary user, ' +
        'or create the user (Debian/Ubuntu: sudo adduser --system --group postgres), or point DATABASE_URL at a running Postgres.',
    );
  }
}

/** The settings of deploy/postgresql.conf (`name = value` lines; `#` starts a comment), as they are written there. */
export function postgresSettings(file = fileURLToPath(new URL('../../deploy/postgresql.conf', import.meta.url))): [string, string][] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .map((line) => line.replace(/#.*/, '').trim())
    .filter(Boolean)
    .map((line) => {
      const match = /^([a-z_.]+)\s*=\s*'?([^']*)'?$/.exec(line);
      if (!match) throw new Error(`${file}: not a "name = value" line: ${line}`);
      return [match[1]!, match[2]!];
    });
}

/**
 * Starts (and on first use initialises) a Postgres over `<dataDir>/postgres`,
 * listening on 127.0.0.1:port only, trust auth for user postgres, with the
 * settings of deploy/postgresql.conf unless given others.
 */
export async function startPrivatePostgres(bin: string, dataDir: string, port: number, database: string, settings = postgresSettings()): Promise<LocalServer> {
  const data = path.join(dataDir, 'postgres');
  const logFile = path.join(dataDir, 'postgres.log');
  const user = postgresUser();
  const as = (command: string, args: string[]): [string, string[]] => (user ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args]);

  if (!existsSync(path.join(data, 'PG_VERSION'))) {
    mkdirSync(data, { recursive: true });
    chmodSync(data, 0o700);
    if (user) chownSync(data, user.uid, user.gid);
    const [cmd, args] = as(path.join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-instructions']);
    execFileSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  }

  const log = openSync(logFile, 'a');
  const flags = settings.flatMap(([name, value]) => ['-c', `${name}=${value}`]);
  const [cmd, args] = as(path.join(bin, 'postgres'), [
    '-D',
    data,
    '-p',
    String(port),
    ...flags,
    '-c',
    'listen_addresses=127.0.0.1',
    '-c',
    'unix_socket_directories=',
  ]);
  // Its own process group: a Ctrl-C in the terminal reaches `up` alone, which stops the API and the worker before the database.
  const server = spawn(cmd, args, { stdio: ['ignore', log, log], detached: true });
  closeSync(log);
  const url = `postgresql://postgres@127.0.0.1:${port}/${database}`;
  await until(`Postgres on port ${port}`, server, logFile, async () => (await probePostgres(url)).state === 'answers');

  /** The postmaster's own pid (first line of postmaster.pid), so the signal reaches it and not the runuser wrapper. */
  const postmasterPid = () => Number(readFileSync(path.join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
  const pid = postmasterPid();
  return {
    url,
    pid,
    async stop() {
      if (server.exitCode !== null) return;
      process.kill(pid, 'SIGINT'); // fast shutdown: ends sessions, writes a checkpoint
      await waitForExit(server);
    },
  };
}

/** Starts a Redis over `<dataDir>/redis` with the append-only file on, so queued jobs survive a restart. */
export async function startPrivateRedis(dataDir: string, port: number): Promise<LocalServer> {
  const data = path.join(dataDir, 'redis');
  mkdirSync(data, { recursive: true });
  const logFile = path.join(dataDir, 'redis.log');
  const log = openSync(logFile, 'a');
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', data, '--appendonly', 'yes', '--appendfsync', 'everysec', '--save', ''];
  const server = spawn('redis-server', args, { stdio: ['ignore', log, log], detached: true });
  closeSync(log);
  const url = `redis://127.0.0.1:${port}`;
  await until(`Redis on port ${port}`, server, logFile, async () => (await probeRedis(url)).state === 'answers');
  return {
    url,
    pid: server.pid,
    async stop() {
      if (server.exitCode !== null) return;
      server.kill('SIGTERM'); // Redis flushes its append-only file and exits
      await waitForExit(server);
    },
  };
}

export const INSTALL_HELP = `Install them, then run npm run up again:
  Debian/Ubuntu:     sudo apt-get install postgresql redis-server
  macOS (Homebrew):  brew install postgresql@15 redis   (found where Homebrew puts them; no need to start them)
npm run up then starts private ones with their data under .data/ (the system's own
servers may stay stopped). Or set DATABASE_URL and REDIS_URL (in .env) to servers
you run, or run the whole system in containers: docker compose up --build`;
