// The raw ceiling a bench compares the service with: the worker's own
// balance statement straight over pg, one transaction per batch, no HTTP and
// no queue.
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { UPSERT_BALANCES_SQL, upsertBalancesParams } from '../src/db/point-accounts.repository.ts';
import { type BalanceItem, planBalanceBatch } from '../src/domain/balances.ts';

/** Items per second through UPSERT_BALANCES_SQL for the tenant's definition 1, `concurrency` connections. */
export async function rawCeiling(databaseUrl: string, tenantId: string, batches: readonly BalanceItem[][], concurrency: number): Promise<number> {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: concurrency });
  const queue = [...batches];
  const items = batches.reduce((sum, batch) => sum + batch.length, 0);
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let batch = queue.shift(); batch; batch = queue.shift()) {
        const client = await pool.connect();
        try {
          await client.query('BEGIN');
          const plan = planBalanceBatch(batch, new Set([1]));
          await client.query(UPSERT_BALANCES_SQL, upsertBalancesParams(tenantId, randomUUID(), plan.winners));
          await client.query('COMMIT');
        } finally {
          client.release();
        }
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  await pool.end();
  return items / seconds;
}
