import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool, type Pool, withTransaction } from '../../src/db/pool.ts';
import { createLogger } from '../../src/logger.ts';
import { createTestDatabase } from '../support/database.ts';

let database: Awaited<ReturnType<typeof createTestDatabase>>;
let pool: Pool;
beforeAll(async () => {
  database = await createTestDatabase();
  pool = createPool(database.url, 3, createLogger('silent', 'test'));
});
afterAll(async () => {
  await pool?.end();
  await database?.drop();
});

describe('withTransaction', () => {
  // Found by the fault suite: Postgres crashing while a worker held a connection between two queries killed the worker process.
  it('a connection lost between two queries fails that transaction, not the process, and the pool goes on', async () => {
    const attempt = withTransaction(pool, async (client) => {
      const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      await pool.query('SELECT pg_terminate_backend($1)', [rows[0]!.pid]);
      await new Promise((resolve) => setTimeout(resolve, 300)); // the loss arrives as an event while no query runs
      await client.query('SELECT 1');
    });
    await expect(attempt).rejects.toThrow();
    for (let i = 0; i < 5; i++) expect((await pool.query<{ one: number }>('SELECT 1 AS one')).rows[0]!.one).toBe(1);
  });
});
