import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Cluster, Redis } from 'ioredis';
import pg from 'pg';
import { freePort, sleep } from '../../../scripts/up/local-servers.ts';

export { freePort, sleep };

/**
 * A Postgres and a Redis of the test's own, on free ports of 127.0.0.1 in a
 * temporary folder, so a fault case can stop, restart and flush them without
 * touching the machine's shared servers.
 */

async function until(what: string, probe: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`${what} did not come up within ${timeoutMs} ms`);
    await sleep(100);
  }
}

function waitForExit(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

// Postgres refuses to run as root (CI runs as root): then initdb and postgres run as the postgres user.
const asRoot = process.getuid?.() === 0;
const asPostgres = (command: string, args: string[]): [string, string[]] =>
  asRoot ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args];

function postgresBin(name: string): string {
  const root = '/usr/lib/postgresql';
  const versions = readdirSync(root).sort((a, b) => Number(b) - Number(a));
  if (versions.length === 0) throw new Error(`no Postgres under ${root}`);
  return path.join(root, versions[0]!, 'bin', name);
}

export interface PrivatePostgres {
  port: number;
  url(database: string): string;
  /** Stops the server: 'fast' rolls back open transactions and closes connections, 'immediate' is a crash (recovery from WAL at the next start). */
  stop(mode?: 'fast' | 'immediate'): Promise<void>;
  start(): Promise<void>;
  destroy(): Promise<void>;
}

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pf-faults-pg-'));
  const data = path.join(dir, 'data');
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    chownSync(dir, uid, gid);
  }
  const [initCmd, initArgs] = asPostgres(postgresBin('initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync', '--no-instructions']);
  execFileSync(initCmd, initArgs, { stdio: 'ignore' });
  const port = await freePort();
  let server: ChildProcess | undefined;
  let output = '';

  const start = async () => {
    // fsync off: the tests stop and crash the server process, never the machine, so the OS keeps what was written.
    const [cmd, args] = asPostgres(postgresBin('postgres'), [
      '-D',
      data,
      '-p',
      String(port),
      '-k',
      dir,
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'fsync=off',
      '-c',
      'max_connections=100',
    ]);
    server = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    server.stdout?.on('data', (c: Buffer) => (output += c.toString()));
    server.stderr?.on('data', (c: Buffer) => (output = (output + c.toString()).slice(-20_000)));
    await until(`Postgres on ${port}`, async () => {
      const client = new pg.Client({ connectionString: `postgresql://postgres@127.0.0.1:${port}/postgres` });
      client.on('error', () => undefined);
      await client.connect();
      await client.end();
      return true;
    }).catch((err: Error) => {
      throw new Error(`${err.message}\n${output}`);
    });
  };

  /** The postmaster's own pid (first line of postmaster.pid), so signals reach it and not the runuser wrapper. */
  const postmasterPid = () => {
    try {
      return Number(readFileSync(path.join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
    } catch {
      return undefined;
    }
  };

  const stop = async (mode: 'fast' | 'immediate' = 'fast') => {
    const pid = postmasterPid();
    if (pid && server && server.exitCode === null) {
      process.kill(pid, mode === 'fast' ? 'SIGINT' : 'SIGQUIT');
      await waitForExit(server);
    }
    server = undefined;
  };

  await start();
  return {
    port,
    url: (database) => `postgresql://postgres@127.0.0.1:${port}/${database}`,
    stop,
    start,
    async destroy() {
      await stop('immediate');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface PrivateRedis {
  url: string;
  flushAll(): Promise<void>;
  /** How many keys it holds. */
  keyCount(): Promise<number>;
  stop(): Promise<void>;
  start(): Promise<void>;
  destroy(): Promise<void>;
}

export async function startPrivateRedis(): Promise<PrivateRedis> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pf-faults-redis-'));
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  let server: ChildProcess | undefined;

  const ping = async () => {
    const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    client.on('error', () => undefined);
    try {
      await client.connect();
      return (await client.ping()) === 'PONG';
    } finally {
      client.disconnect();
    }
  };
  const start = async () => {
    server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
    await until(`Redis on ${port}`, ping);
  };
  const stop = async () => {
    if (server && server.exitCode === null) {
      server.kill('SIGKILL'); // nothing to persist: --save '' --appendonly no
      await waitForExit(server);
    }
    server = undefined;
  };

  const withClient = async <T>(command: (client: Redis) => Promise<T>): Promise<T> => {
    const client = new Redis(url);
    try {
      return await command(client);
    } finally {
      client.disconnect();
    }
  };

  await start();
  return {
    url,
    async flushAll() {
      await withClient((client) => client.flushall());
    },
    keyCount: () => withClient((client) => client.dbsize()),
    stop,
    start,
    async destroy() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface PrivateRedisCluster {
  /** REDIS_URL and REDIS_CLUSTER_NODES for the processes under test. */
  env: { REDIS_URL: string; REDIS_CLUSTER_NODES: string };
  /** A cluster client for checking what the cluster holds. */
  client: Cluster;
  /** Every key on every primary matching the pattern. */
  keys(pattern: string): Promise<string[]>;
  /** SIGKILLs the primary that serves `key`'s slot and waits until its replica has taken over. Answers the dead node's port. */
  killPrimaryOf(key: string): Promise<number>;
  destroy(): Promise<void>;
}

/**
 * A Redis Cluster of three primaries, each with one replica, from the
 * machine's redis-server, on free ports of 127.0.0.1. A short node timeout
 * lets a replica take over within a couple of seconds of its primary dying.
 */
export async function startPrivateRedisCluster(): Promise<PrivateRedisCluster> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pf-faults-cluster-'));
  const ports: number[] = [];
  for (let i = 0; i < 6; i++) ports.push(await freePort());
  const servers = new Map<number, ChildProcess>();
  for (const port of ports) {
    const nodeDir = path.join(dir, String(port));
    mkdirSync(nodeDir);
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', nodeDir, '--save', '', '--appendonly', 'no'];
    args.push('--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '1000');
    servers.set(port, spawn('redis-server', args, { stdio: 'ignore' }));
  }
  const node = (port: number) => new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  const ask = async <T>(port: number, command: (client: Redis) => Promise<T>): Promise<T> => {
    const client = node(port);
    client.on('error', () => undefined);
    try {
      await client.connect();
      return await command(client);
    } finally {
      client.disconnect();
    }
  };
  const clusterOk = (port: number) => ask(port, async (c) => (await c.cluster('INFO')).includes('cluster_state:ok'));
  const stopServers = async () => {
    for (const server of servers.values()) {
      if (server.exitCode === null) server.kill('SIGKILL');
      await waitForExit(server);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (const port of ports) await until(`Redis cluster node on ${port}`, () => ask(port, async (c) => (await c.ping()) === 'PONG'));
    execFileSync('redis-cli', ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '1', '--cluster-yes'], { stdio: 'ignore' });
    for (const port of ports) await until(`cluster state ok on ${port}`, () => clusterOk(port));
    // A replica can take over only once it has synchronised with its primary.
    for (const port of ports) {
      await until(`replica link on ${port}`, () =>
        ask(port, async (c) => {
          const info = await c.info('replication');
          return info.includes('role:master') || info.includes('master_link_status:up');
        }),
      );
    }
  } catch (err) {
    await stopServers();
    throw err;
  }
  const cluster = new Cluster(
    ports.map((port) => ({ host: '127.0.0.1', port })),
    { clusterRetryStrategy: () => 200 },
  );
  cluster.on('error', () => undefined);
  /** The port of the primary serving `slot`, from CLUSTER SLOTS. */
  const primaryOf = async (client: Redis | Cluster, slot: number) => {
    const range = (await client.cluster('SLOTS')).find(([from, to]) => slot >= from && slot <= to);
    return range?.[2]?.[1];
  };

  return {
    env: { REDIS_URL: `redis://127.0.0.1:${ports[0]}`, REDIS_CLUSTER_NODES: ports.map((p) => `127.0.0.1:${p}`).join(',') },
    client: cluster,
    async keys(pattern) {
      // Ask the nodes themselves, so a primary that was killed a moment ago is not asked.
      const alive = ports.filter((port) => servers.get(port)!.exitCode === null && servers.get(port)!.signalCode === null);
      const found = await Promise.all(
        alive.map((port) => ask(port, async (c) => ((await c.info('replication')).includes('role:master') ? c.keys(pattern) : []))),
      );
      return found.flat();
    },
    async killPrimaryOf(key) {
      const slot = await cluster.cluster('KEYSLOT', key);
      const port = await primaryOf(cluster, slot);
      const server = port === undefined ? undefined : servers.get(port);
      if (!server) throw new Error(`no node serves slot ${slot}`);
      server.kill('SIGKILL');
      await waitForExit(server);
      const witness = ports.find((p) => p !== port)!;
      await until(`failover of slot ${slot}`, () =>
        ask(witness, async (c) => {
          const now = await primaryOf(c, slot);
          return now !== undefined && now !== port && (await c.cluster('INFO')).includes('cluster_state:ok');
        }),
      );
      return port!;
    },
    async destroy() {
      cluster.disconnect();
      await stopServers();
    },
  };
}

export interface PrivatePgBouncer {
  /** A URL through the pooler to a database of the Postgres behind it. */
  url(database: string): string;
  /** A line of the admin console's `SHOW POOLS` for the database: clients active and waiting, server connections by state. */
  pool(database: string): Promise<Record<string, string>>;
  /** The pooler's own log (connections, errors). */
  output(): string;
  destroy(): Promise<void>;
}

/**
 * The machine's PgBouncer in front of a private Postgres: transaction pooling
 * and at most `serverConnections` connections to Postgres, on a free port of
 * 127.0.0.1, with its config in a temporary folder. It refuses to run as root,
 * so as root it takes the postgres user's identity (`-u`), as Postgres does.
 */
export async function startPrivatePgBouncer(postgresPort: number, serverConnections: number): Promise<PrivatePgBouncer> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pf-faults-pgbouncer-'));
  const port = await freePort();
  // trust still needs the user in the auth file; the Postgres behind it trusts 127.0.0.1 as well.
  writeFileSync(path.join(dir, 'userlist.txt'), '"postgres" ""\n');
  const config = [
    '[databases]',
    `* = host=127.0.0.1 port=${postgresPort}`,
    '[pgbouncer]',
    'listen_addr = 127.0.0.1',
    `listen_port = ${port}`,
    'unix_socket_dir =',
    'auth_type = trust',
    `auth_file = ${path.join(dir, 'userlist.txt')}`,
    'admin_users = postgres',
    'pool_mode = transaction',
    `default_pool_size = ${serverConnections}`,
    `max_db_connections = ${serverConnections}`,
    'reserve_pool_size = 0',
    'max_client_conn = 500',
    // A client waits for a server connection rather than failing, up to this long (the default).
    'query_wait_timeout = 120',
  ];
  writeFileSync(path.join(dir, 'pgbouncer.ini'), config.join('\n') + '\n');
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    for (const file of ['', 'userlist.txt', 'pgbouncer.ini']) chownSync(path.join(dir, file), uid, gid);
  }
  const args = [...(asRoot ? ['-u', 'postgres'] : []), path.join(dir, 'pgbouncer.ini')];
  // Debian installs it in /usr/sbin, which is not on a normal user's PATH.
  const command = existsSync('/usr/sbin/pgbouncer') ? '/usr/sbin/pgbouncer' : 'pgbouncer';
  const server = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const collect = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-50_000));
  server.stdout?.on('data', collect);
  server.stderr?.on('data', collect);

  const admin = async <T>(command: (client: pg.Client) => Promise<T>): Promise<T> => {
    const client = new pg.Client({ connectionString: `postgresql://postgres@127.0.0.1:${port}/pgbouncer` });
    client.on('error', () => undefined);
    await client.connect();
    try {
      return await command(client);
    } finally {
      await client.end().catch(() => undefined);
    }
  };
  const destroy = async () => {
    if (server.exitCode === null && server.signalCode === null) server.kill('SIGKILL'); // nothing to keep; its "safe" shutdown waits for clients
    await waitForExit(server);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await until(`PgBouncer on ${port}`, () => admin(async (c) => (await c.query('SHOW VERSION')).rows.length > 0)).catch((err: Error) => {
      throw new Error(`${err.message}\n${output}`);
    });
  } catch (err) {
    await destroy();
    throw err;
  }
  return {
    url: (database) => `postgresql://postgres@127.0.0.1:${port}/${database}`,
    pool: (database) =>
      admin(async (client) => {
        const { rows } = await client.query<Record<string, string>>('SHOW POOLS');
        return rows.find((row) => row.database === database) ?? {};
      }),
    output: () => output,
    destroy,
  };
}
