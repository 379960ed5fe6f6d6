// Drives Prisma's schema engine compiled to wasm over the pg driver adapter:
// the CLI's native schema-engine binary cannot be downloaded on this machine.
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { PrismaPg } from '@prisma/adapter-pg';
import { bindMigrationAwareSqlAdapterFactory, type SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import * as bindings from '@prisma/schema-engine-wasm/schema_engine_bg';
import type { MigrationList, SchemaEngine, SchemaFilter } from '@prisma/schema-engine-wasm/schema_engine_bg';

const prismaDir = fileURLToPath(new URL('..', import.meta.url));
export const migrationsDir = path.join(prismaDir, 'migrations');
export const schemaPath = path.join(prismaDir, 'schema.prisma');
export const noFilters: SchemaFilter = { externalTables: [], externalEnums: [] };

const lockfileName = 'migration_lock.toml';
const migrationFileName = 'migration.sql';

// Same shape `prisma migrate` hands the engine, so both read one folder alike.
export async function readMigrations(): Promise<MigrationList> {
  const lockfile = await readFile(path.join(migrationsDir, lockfileName), 'utf8').catch(() => null);
  const entries = await readdir(migrationsDir, { withFileTypes: true }).catch(() => []);
  const directories = entries
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
  return {
    baseDir: migrationsDir,
    lockfile: { path: lockfileName, content: lockfile },
    shadowDbInitScript: '',
    migrationDirectories: await Promise.all(
      directories.map(async (name) => ({
        path: name,
        migrationFile: {
          path: migrationFileName,
          content: await readFile(path.join(migrationsDir, name, migrationFileName), 'utf8').then(
            (value) => ({ tag: 'ok' as const, value }),
            (error: Error) => ({ tag: 'error' as const, value: error.message }),
          ),
        },
      })),
    ),
  };
}

// The engine reads the provider from the lockfile, even for an empty folder.
export async function ensureLockfile(): Promise<void> {
  await mkdir(migrationsDir, { recursive: true });
  await writeFile(path.join(migrationsDir, lockfileName), 'provider = "postgresql"\n', { flag: 'wx' }).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'EEXIST') throw error;
  });
}

// The wasm panic hook reports through this global; without it a panic only says "unreachable".
let panicMessage: string | undefined;
Object.assign(globalThis, {
  PRISMA_WASM_PANIC_REGISTRY: { set_message: (message: string) => (panicMessage = message) },
});

// The project's lib (ES2023, no DOM) declares no WebAssembly API; this is the part we use.
interface WasmApi {
  instantiate(bytes: Uint8Array, imports: Record<string, Record<string, unknown>>): Promise<{ instance: { exports: Record<string, unknown> } }>;
}
const { WebAssembly: wasmApi } = globalThis as unknown as { WebAssembly: WasmApi };

let wasmReady: Promise<void> | undefined;

// Node 20 cannot import .wasm, so we do by hand what the package's entry module would.
function loadWasm(): Promise<void> {
  wasmReady ??= (async () => {
    const glue = import.meta.resolve('@prisma/schema-engine-wasm/schema_engine_bg');
    const bytes = await readFile(new URL('schema_engine_bg.wasm', glue));
    // The glue never clears its timers (such as the 10 s advisory-lock timeout),
    // which would hold the process open long after the work is done. Unref'd
    // timers are safe: the engine's open connection keeps Node alive meanwhile.
    const imports = Object.fromEntries(
      Object.entries(bindings as Record<string, unknown>).map(([name, value]) =>
        name.startsWith('__wbg_setTimeout_') ? [name, (callback: () => void, ms: number) => setTimeout(callback, ms >>> 0).unref()] : [name, value],
      ),
    );
    const { instance } = await wasmApi.instantiate(bytes, { './schema_engine_bg.js': imports });
    bindings.__wbg_set_wasm(instance.exports);
    (instance.exports.__wbindgen_start as () => void)();
  })();
  return wasmReady;
}

function engineError(error: unknown): Error {
  if (panicMessage) return new Error(`Schema engine panicked: ${panicMessage}`);
  return error instanceof Error ? error : new Error(String(error));
}

// The engine logs JSON lines through a callback; show them only when asked to.
function log(line: string): void {
  if (process.env.PRISMA_ENGINE_DEBUG) process.stderr.write(line);
}

const charOid = 18;
const textOid = 25;

// The engine's schema describer selects pg_catalog columns of the one-byte
// "char" type, which adapter-pg refuses; pg already returns their values as
// strings, so reporting them as text is enough.
function enginePool(databaseUrl: string): pg.Pool {
  // One connection, as the native engine uses: its advisory lock and the
  // statements of a migration must share a session.
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 1 });
  const query = pool.query.bind(pool) as (config: pg.QueryConfig) => Promise<pg.QueryResult>;
  pool.query = (async (config: pg.QueryConfig) => {
    const result = await query(config);
    // A multi-statement script yields an array of results, which nobody reads.
    for (const field of result.fields ?? []) if (field.dataTypeID === charOid) field.dataTypeID = textOid;
    return result;
  }) as typeof pool.query;
  return pool;
}

/**
 * Runs `task` with an engine connected to `databaseUrl`. Commands that need a
 * shadow database (diff from migrations) get `databaseUrl` itself when
 * `selfShadow` is set, so callers must only do that with a throwaway database.
 */
export async function withEngine<T>(databaseUrl: string, task: (engine: SchemaEngine) => Promise<T>, { selfShadow = false } = {}): Promise<T> {
  await loadWasm();
  // Our own pool, so that every connection is closed when we return (a template
  // database with open connections cannot be copied).
  const pool = enginePool(databaseUrl);
  const pgFactory = new PrismaPg(pool);
  const connect = async () => {
    const adapter = await pgFactory.connect();
    // adapter-pg splits scripts at every ";" (breaking $$-quoted bodies) and runs
    // the pieces one by one; sent whole without parameters, pg uses the simple
    // protocol, so a migration runs as one implicit transaction as with the CLI.
    adapter.executeScript = async (script) => {
      await adapter.executeRaw({ sql: script, args: [], argTypes: [] });
    };
    return adapter;
  };
  const factory: SqlMigrationAwareDriverAdapterFactory = {
    provider: pgFactory.provider,
    adapterName: pgFactory.adapterName,
    connect,
    connectToShadowDb: () => (selfShadow ? connect() : Promise.reject(new Error('no shadow database configured'))),
  };
  try {
    const engine = await bindings.SchemaEngine.new({ datamodels: undefined }, log, bindMigrationAwareSqlAdapterFactory(factory));
    try {
      return await task(engine);
    } finally {
      engine.free();
    }
  } catch (error) {
    throw engineError(error);
  } finally {
    await pool.end();
  }
}

/** `databaseUrl` with its database name replaced. */
export function withDatabase(databaseUrl: string, database: string): string {
  const url = new URL(databaseUrl);
  url.pathname = `/${encodeURIComponent(database)}`;
  return url.toString();
}

export function databaseName(databaseUrl: string): string {
  return decodeURIComponent(new URL(databaseUrl).pathname.slice(1));
}

// CREATE/DROP DATABASE must run while connected to some other database.
async function onMaintenanceDb<T>(databaseUrl: string, task: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: withDatabase(databaseUrl, 'postgres') });
  await client.connect();
  try {
    return await task(client);
  } finally {
    await client.end();
  }
}

/** Creates the database `databaseUrl` names unless it exists. */
export function createDatabase(databaseUrl: string): Promise<void> {
  const name = databaseName(databaseUrl);
  return onMaintenanceDb(databaseUrl, async (client) => {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (rowCount) return;
    await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`).catch((error: { code?: string }) => {
      // Someone else (e.g. a parallel test worker) created it in the meantime;
      // depending on timing Postgres reports that as either of these codes.
      if (error.code !== '42P04' && error.code !== '23505') throw error;
    });
  });
}

export function dropDatabase(databaseUrl: string): Promise<void> {
  return onMaintenanceDb(databaseUrl, async (client) => {
    await client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(databaseName(databaseUrl))} WITH (FORCE)`);
  });
}
