// npm run up: the whole system on this machine in one command.
// Reads .env, finds or starts Postgres and Redis, builds when the sources are
// newer than dist, migrates, makes a demo tenant on the first run, then runs
// the API and the worker with their logs labelled, until Ctrl-C stops them all.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { migrateDatabase } from '../prisma/scripts/migrate.ts';
import { type Config, ConfigError, loadConfig, readEnvFile } from '../src/config.ts';
import { listenFailure, type PortSetting } from '../src/listen-failure.ts';
import { createLogger } from '../src/logger.ts';
import { closeRuntime, createRuntime } from '../src/runtime.ts';
import { ensureDemo } from './up/demo.ts';
import {
  findPostgresBin,
  freePort,
  INSTALL_HELP,
  listenError,
  type LocalServer,
  onPath,
  portIsFree,
  probePostgres,
  probeRedis,
  sleep,
  startPrivatePostgres,
  startPrivateRedis,
} from './up/local-servers.ts';
import { type Labelled, say, startLabelled, stopAll } from './up/processes.ts';

const DEFAULT_DATABASE_URL = 'postgresql://postgres@127.0.0.1:5432/point_follower';
const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

class Stop extends Error {}

/** What `up` keeps between runs besides the servers' data: the private servers' ports, and the admin token and secrets key it made. */
interface Kept {
  postgresPort?: number;
  redisPort?: number;
  adminToken?: string;
  secretsKey?: string;
}

readEnvFile();
// UP_DATA_DIR is read by this script only (the tests point it at a scratch folder).
const dataDir = path.resolve(process.env.UP_DATA_DIR ?? '.data');
mkdirSync(dataDir, { recursive: true, mode: 0o755 });
const keptFile = path.join(dataDir, 'up.json');
const kept: Kept = existsSync(keptFile) ? (JSON.parse(readFileSync(keptFile, 'utf8')) as Kept) : {};
const keep = () => writeFileSync(keptFile, `${JSON.stringify(kept, null, 2)}\n`, { mode: 0o600 });

const servers: LocalServer[] = [];
let processes: Labelled[] = [];
let stopping = false;

/** The port kept from the last run when it is still free, else a new free one (kept for next time). */
async function portFor(name: 'postgresPort' | 'redisPort'): Promise<number> {
  const last = kept[name];
  const port = last && (await portIsFree(last)) ? last : await freePort();
  kept[name] = port;
  keep();
  return port;
}

async function postgres(): Promise<string> {
  const configured = process.env.DATABASE_URL;
  const url = configured ?? DEFAULT_DATABASE_URL;
  const probe = await probePostgres(url);
  if (probe.state === 'answers') {
    say('up', `Postgres answers at ${redact(url)}: using it`);
    return url;
  }
  // A URL someone set and that refuses (a password, a role) is theirs to fix; the default one is only a guess.
  if (probe.state === 'refuses' && configured) throw new Stop(`DATABASE_URL (${redact(url)}) refused the connection: ${probe.reason}`);
  const bin = findPostgresBin();
  if (!bin)
    throw new Stop(`Postgres does not answer at ${redact(url)} (${probe.reason}), and no Postgres is installed here (initdb and postgres).\n${INSTALL_HELP}`);
  const database = new URL(url).pathname.slice(1) || 'point_follower';
  say('up', `Postgres does not answer at ${redact(url)}: starting a private one from ${bin}, data in ${path.join(dataDir, 'postgres')}`);
  const server = await startPrivatePostgres(bin, dataDir, await portFor('postgresPort'), database);
  servers.push(server);
  say('up', `Postgres ready at ${server.url} (pid ${server.pid})`);
  return server.url;
}

async function redis(): Promise<string> {
  const configured = process.env.REDIS_URL;
  const url = configured ?? DEFAULT_REDIS_URL;
  const probe = await probeRedis(url);
  if (probe.state === 'answers') {
    say('up', `Redis answers at ${redact(url)}: using it`);
    return url;
  }
  if (probe.state === 'refuses' && configured) throw new Stop(`REDIS_URL (${redact(url)}) refused the connection: ${probe.reason}`);
  if (!onPath('redis-server'))
    throw new Stop(`Redis does not answer at ${redact(url)} (${probe.reason}), and redis-server is not installed here.\n${INSTALL_HELP}`);
  say('up', `Redis does not answer at ${redact(url)}: starting a private one, data in ${path.join(dataDir, 'redis')} (append-only file on)`);
  const server = await startPrivateRedis(dataDir, await portFor('redisPort'));
  servers.push(server);
  say('up', `Redis ready at ${server.url} (pid ${server.pid})`);
  return server.url;
}

/** A URL as it may be printed: without its password. */
function redact(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}

/** Newest modification time of the files under `dir` (0 when there are none). */
function newest(dir: string): number {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) latest = Math.max(latest, statSync(path.join(entry.parentPath, entry.name)).mtimeMs);
  }
  return latest;
}

/** Builds when dist lacks an entry point or anything it is compiled from is newer. */
function buildIfStale(): void {
  const outputs = ['dist/server.js', 'dist/worker.js'];
  const built = outputs.every((f) => existsSync(f)) ? Math.min(...outputs.map((f) => statSync(f).mtimeMs)) : 0;
  const sources = Math.max(newest('src'), ...['tsconfig.json', 'tsconfig.build.json', 'package-lock.json'].map((f) => statSync(f).mtimeMs));
  if (built > sources) return;
  say('up', built ? 'sources changed since the last build: npm run build' : 'no build yet: npm run build');
  const result = spawnSync('npm', ['run', '-s', 'build'], { stdio: 'inherit' });
  if (result.status !== 0) throw new Stop('the build failed (above)');
}

async function main(): Promise<void> {
  const databaseUrl = await postgres();
  const redisUrl = await redis();
  // An empty ADMIN_TOKEN (the line .env.example leaves blank) counts as unset: up makes a random one and keeps it.
  const adminToken = process.env.ADMIN_TOKEN || (kept.adminToken ??= randomBytes(32).toString('base64url'));
  // A local system stores its integration secrets encrypted too; its key lives beside its data, which suits a demo only.
  const secretsKey = process.env.SECRETS_KEY || (kept.secretsKey ??= randomBytes(32).toString('base64'));
  keep();
  // The processes' logs are read by a person here: human lines, unless LOG_FORMAT asks for JSON.
  const logFormat = process.env.LOG_FORMAT || 'human';
  const env = { ...process.env, DATABASE_URL: databaseUrl, REDIS_URL: redisUrl, ADMIN_TOKEN: adminToken, SECRETS_KEY: secretsKey, LOG_FORMAT: logFormat };
  let config;
  try {
    config = loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) throw new Stop(err.message);
    throw err;
  }
  await checkPorts(config);

  buildIfStale();
  const applied = await migrateDatabase(databaseUrl);
  say('up', applied.length ? `migrated: ${applied.length} migration(s) applied` : 'database up to date');

  const runtime = createRuntime(config, createLogger('warn', 'up'));
  const { demo, created } = await ensureDemo(runtime.services, path.join(dataDir, 'demo.json')).finally(() => closeRuntime(runtime));
  if (created) say('up', `made the demo tenant "${demo.organisation}" (kept in ${path.join(dataDir, 'demo.json')})`);

  if (stopping) return;
  processes = [startLabelled('api', ['--enable-source-maps', 'dist/server.js'], env), startLabelled('worker', ['--enable-source-maps', 'dist/worker.js'], env)];
  for (const p of processes) {
    say('up', `${p.label} started, pid ${p.child.pid}`);
    void p.exited.then((code) => {
      if (!stopping) void shutdown(`${p.label} exited with code ${code}`, 1);
    });
  }

  const host = ['0.0.0.0', '::'].includes(config.http.host) ? '127.0.0.1' : config.http.host;
  const base = `http://${host.includes(':') ? `[${host}]` : host}:${config.http.port}`;
  await waitForReady(base);
  if (stopping) return;
  const lines = [
    '',
    '================================================================================',
    ' Engage point follower is up',
    '',
    ` Contact card      ${base}/ui`,
    `   sign in as      organisation ${demo.organisation}, username ${demo.username}, password ${demo.password}`,
    `   a demo contact  ${base}/ui/contacts/${demo.contactId}`,
    ` Operator pages    ${base}/ui/admin   (sign in with the admin token)`,
    ` API documentation ${base}/documentation`,
    ` Admin token       ${adminToken}`,
    ` Demo API key      ${demo.apiKey}   (tenant ${demo.tenantId}, point definition 1)`,
    ` Postgres          ${redact(databaseUrl)}`,
    ` Redis             ${redact(redisUrl)}`,
    '',
    ` Kept in ${dataDir}; Ctrl-C stops everything.`,
    '================================================================================',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

/** Stops before anything starts when the API's or the worker's port cannot be had, naming the port and its setting. */
async function checkPorts(config: Config): Promise<void> {
  const wanted: [number, PortSetting][] = [[config.http.port, 'PORT']];
  if (config.queue.metricsPort > 0) wanted.push([config.queue.metricsPort, 'WORKER_METRICS_PORT']);
  for (const [port, setting] of wanted) {
    const err = await listenError(port, config.http.host);
    if (err === undefined) continue;
    throw new Stop(
      listenFailure(err, config.http.host, port, setting) ??
        `${setting}: port ${port} on ${config.http.host} cannot be opened (${err instanceof Error ? err.message : 'unknown error'})`,
    );
  }
}

async function waitForReady(base: string): Promise<void> {
  for (;;) {
    if (stopping) return;
    const ready = await fetch(`${base}/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) return;
    await sleep(200);
  }
}

async function shutdown(reason: string, code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  say('up', `${reason}: stopping`);
  const clean = await stopAll(processes);
  for (const server of servers.reverse()) await server.stop().catch((err: Error) => say('up', `could not stop a server: ${err.message}`));
  say('up', clean && code === 0 ? 'stopped cleanly' : 'stopped');
  process.exit(clean ? code : 1);
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => void shutdown(signal, 0));

main().catch((err: unknown) => {
  say('up', err instanceof Stop ? err.message : ((err as Error).stack ?? String(err)));
  void shutdown('start-up failed', 1);
});
