import { type BalanceWinner, type SkippedItem, planBalanceBatch, staleSkip } from '../domain/balances.ts';
import { type ApplyResult, finishBatch, lockBatchForApply } from './batches.repository.ts';
import { type Pool, type PoolClient, retryOnConflict, withTransaction } from './pool.ts';
import type { BalanceItem } from '../contracts/balances.ts';

/**
 * Sets the balances of a batch's winning items in one statement. The
 * ON CONFLICT ... WHERE applies the ordering rule against the locked, latest row
 * (a concurrent batch cannot slip between read and write), and `last_change`
 * captures old-vs-new inside the same statement so history is exact.
 * Rows arrive sorted by (contact, definition), so concurrent batches lock
 * accounts in one order and cannot deadlock each other. Answers the indexes
 * of the items the ordering rule refused (usually none), not of the applied
 * ones: reading back a thousand rows per batch cost the worker more than the
 * rest of its bookkeeping.
 */
export const UPSERT_BALANCES_SQL = `
WITH item AS (
  SELECT * FROM unnest($3::uuid[], $4::int[], $5::int[], $6::timestamptz[], $7::int[])
    AS t(contact_id, definition_id, amount, master_time, item_index)
), upserted AS (
  INSERT INTO point_account AS a (tenant_id, contact_id, definition_id, balance, balance_time, last_change)
  SELECT $1, contact_id, definition_id, amount, master_time, amount FROM item
  ON CONFLICT (tenant_id, contact_id, definition_id) DO UPDATE
     SET balance = EXCLUDED.balance,
         balance_time = EXCLUDED.balance_time,
         last_change = EXCLUDED.balance::bigint - a.balance,
         updated_at = now()
   WHERE a.balance_time IS NULL OR a.balance_time <= EXCLUDED.balance_time
  RETURNING a.id, a.contact_id, a.definition_id, a.balance, a.balance_time, a.last_change
), history AS (
  INSERT INTO balance_history (account_id, batch_id, source, amount, balance, master_time)
  SELECT id, $2, 'UpdateBalance', last_change, balance, balance_time FROM upserted WHERE last_change <> 0
)
SELECT i.item_index FROM item i
 WHERE NOT EXISTS (SELECT FROM upserted u WHERE u.contact_id = i.contact_id AND u.definition_id = i.definition_id)`;

/**
 * A Postgres array literal of values that never need quoting: numbers, and
 * strings the API validated as UUIDs or ISO instants. Joining them costs a
 * sixth of pg's element-by-element escaping (1.2 ms for a batch's five
 * arrays, measured with 2000 rounds).
 */
const plainArray = (values: readonly (number | string)[]) => `{${values.join(',')}}`;

/** The parameters of UPSERT_BALANCES_SQL, column by column. */
export function upsertBalancesParams(tenantId: string, batchId: string, winners: readonly BalanceWinner[]) {
  return [
    tenantId,
    batchId,
    plainArray(winners.map((w) => w.contactId)),
    plainArray(winners.map((w) => w.definitionId)),
    plainArray(winners.map((w) => w.amount)),
    plainArray(winners.map((w) => w.timeStamp)),
    plainArray(winners.map((w) => w.index)),
  ];
}

async function knownDefinitions(client: PoolClient, tenantId: string, ids: number[]): Promise<Set<number>> {
  const { rows } = await client.query(`SELECT id FROM point_definition WHERE tenant_id = $1 AND id = ANY($2::int[])`, [tenantId, ids]);
  return new Set(rows.map((r: { id: number }) => r.id));
}

async function describeStale(client: PoolClient, tenantId: string, stale: BalanceWinner[]): Promise<SkippedItem[]> {
  if (stale.length === 0) return [];
  const { rows } = await client.query(
    `SELECT a.balance_time, t.item_index FROM point_account a
       JOIN unnest($2::uuid[], $3::int[], $4::int[]) AS t(contact_id, definition_id, item_index)
         ON a.tenant_id = $1 AND a.contact_id = t.contact_id AND a.definition_id = t.definition_id`,
    [tenantId, stale.map((w) => w.contactId), stale.map((w) => w.definitionId), stale.map((w) => w.index)],
  );
  const appliedAt = new Map<number, Date>(rows.map((r: { item_index: number; balance_time: Date }) => [r.item_index, r.balance_time]));
  return stale.map((w) => staleSkip(w, appliedAt.get(w.index) ?? null));
}

/** BalanceAccountToAmountJob's work: applies a whole batch in one transaction, or nothing. */
export function applyBalanceBatch(pool: Pool, batchId: string, now: Date): Promise<ApplyResult> {
  return retryOnConflict(() =>
    withTransaction(
      pool,
      async (client) => {
        const batch = await lockBatchForApply(client, batchId);
        if (!batch) return 'already-final';

        // Written by the API after validation; not validated a second time.
        const items = batch.payload as BalanceItem[];
        const definitions = await knownDefinitions(client, batch.tenantId, [...new Set(items.map((i) => i.definitionId))]);
        const plan = planBalanceBatch(items, definitions);

        const { rows } = await client.query(UPSERT_BALANCES_SQL, upsertBalancesParams(batch.tenantId, batchId, plan.winners));
        const refused = new Set(rows.map((r: { item_index: number }) => r.item_index));
        const stale = await describeStale(client, batch.tenantId, plan.winners.filter((w) => refused.has(w.index)));
        const appliedCount = plan.winners.length - stale.length;

        const skipped = [...plan.skipped, ...stale].sort((a, b) => a.index - b.index);
        const status = await finishBatch(client, batchId, { appliedCount, skipped }, now);
        return { status, appliedCount, skippedCount: skipped.length };
      },
      { asyncCommit: true },
    ),
  );
}
