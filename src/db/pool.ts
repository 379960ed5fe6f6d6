import pg from 'pg';
import type { Logger } from 'pino';

// int8 (bigint ids, counts) arrive as strings by default; every bigint we hand out fits in a JS number.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));

export type Pool = pg.Pool;
export type PoolClient = pg.PoolClient;

export function createPool(connectionString: string, max: number, log: Logger): pg.Pool {
  const pool = new pg.Pool({ connectionString, max, application_name: 'point-follower' });
  // An idle client losing its server (Postgres restarted) must not crash the process.
  pool.on('error', (err) => log.warn({ err }, 'idle Postgres connection failed'));
  return pool;
}

/**
 * Runs `work` in one transaction. `asyncCommit` lets COMMIT return before its
 * WAL is flushed: only for work whose loss in a Postgres crash is redone by
 * itself (the batch applies, whose finished status is in the same transaction,
 * so a lost apply leaves the batch unfinished and the recovery sweep runs it
 * again). Never for anything acknowledged to a client.
 */
export async function withTransaction<T>(
  pool: pg.Pool,
  work: (client: pg.PoolClient) => Promise<T>,
  options: { asyncCommit?: boolean } = {},
): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query(options.asyncCommit ? 'BEGIN; SET LOCAL synchronous_commit TO off' : 'BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

// Deadlock detected, serialization failure.
const RETRYABLE_CODES = new Set(['40P01', '40001']);

/**
 * Runs a whole transaction again when Postgres aborted it as a deadlock victim
 * (or a serialization failure): nothing of the failed attempt was committed, so
 * trying again is safe, and cheaper than a job retry with backoff.
 */
export async function retryOnConflict<T>(work: () => Promise<T>, attempts = 5): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      if (attempt >= attempts || typeof code !== 'string' || !RETRYABLE_CODES.has(code)) throw err;
      await new Promise((resolve) => setTimeout(resolve, 10 * attempt * Math.random()));
    }
  }
}

// Node socket errors, Postgres "admin shutdown / cannot connect now / too many connections", and Prisma's "can't reach / pool timeout".
const UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', '57P01', '57P02', '57P03', '53300', 'P1001', 'P1002', 'P1017', 'P2024']);

/** True for errors that mean "Postgres cannot be reached right now", as opposed to a bug or bad data. */
export function isDatabaseUnavailable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && (UNAVAILABLE_CODES.has(code) || code.startsWith('08'))) return true;
  if (err.name === 'PrismaClientInitializationError') return true;
  return /Connection terminated|connection timeout|connection error|ECONNREFUSED|DatabaseNotReachable|Can't reach database/i.test(err.message);
}
