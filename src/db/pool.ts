import pg from 'pg';
import type { Logger } from 'pino';

// int8 (bigint ids, counts) arrive as strings by default; every bigint we hand out fits in a JS number.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));
// numeric (amounts, balances, differences, and Postgres' exact sums of them) arrives as a string such as "12.5000". This is
// the one place it becomes a JS number: the number that decimal names, which carries it exactly for the figures
// domain/amounts.ts bounds (4 places, magnitude below 2^39), so answers show 12.5 and a value sent back in SQL is the same.
pg.types.setTypeParser(pg.types.builtins.NUMERIC, (value) => Number(value));

export type Pool = pg.Pool;
type PoolClient = pg.PoolClient;
/** What a repository runs its statements on: the pool, or one client inside a transaction. */
export type Db = pg.Pool | pg.PoolClient;

export interface TransactionOptions {
  /** See withTransaction. */
  asyncCommit?: boolean;
}

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
export async function withTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
  const client = await pool.connect();
  // The pool listens for errors only on idle clients. A connection lost while
  // this one is checked out (Postgres restarted between two of its queries)
  // is an 'error' event that, unheard, would kill the process; the next query
  // fails anyway, and releasing with the error drops the dead connection.
  let lost: Error | undefined;
  const onError = (err: Error) => {
    lost = err;
  };
  client.on('error', onError);
  try {
    await client.query(options.asyncCommit ? 'BEGIN; SET LOCAL synchronous_commit TO off' : 'BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.off('error', onError);
    client.release(lost);
  }
}

const codeOf = (err: unknown) => (err as { code?: unknown } | null)?.code;

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
      const code = codeOf(err);
      if (attempt >= attempts || typeof code !== 'string' || !RETRYABLE_CODES.has(code)) throw err;
      await new Promise((resolve) => setTimeout(resolve, 10 * attempt * Math.random()));
    }
  }
}

// Node socket errors, and Postgres "admin shutdown / cannot connect now / too many connections".
const PROTOCOL_VIOLATION = '08P01';
const UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', '57P01', '57P02', '57P03', '53300']);

/** True for errors that mean "Postgres cannot be reached right now", as opposed to a bug or bad data. */
export function isDatabaseUnavailable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = codeOf(err);
  // Class 08 is the connection's, except 08P01: a statement sent with the wrong parameters is this code's bug.
  if (typeof code === 'string' && (UNAVAILABLE_CODES.has(code) || (code.startsWith('08') && code !== PROTOCOL_VIOLATION))) return true;
  return /Connection terminated|connection timeout|connection error|ECONNREFUSED/i.test(err.message);
}

/** True when a write failed on a unique constraint (SQLSTATE 23505). */
export const isUniqueViolation = (err: unknown) => codeOf(err) === '23505';
