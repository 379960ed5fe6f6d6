import { type StoredTransaction, storedTransactionBatch, type TransactionFilter } from '../contracts/transactions.ts';
import { accountKeys, type EntryType } from '../domain/ledger.ts';
import { type ApplyResult, finishBatch, insertBatch, lockBatchForApply } from './batches.repository.ts';
import { completeClaim } from './idempotency.repository.ts';
import { type Pool, retryOnConflict, withTransaction } from './pool.ts';

/**
 * SQL forms of the rules in domain/ledger.ts, over ledger_entry aliased `e`,
 * with the reading time as the parameter `at`. Expiry entries never count.
 */
export const ledgerSql = {
  counts: `e.type <> 'Expiry'`,
  active: (at: string) => `e.type <> 'Expiry' AND e.valid_from <= ${at} AND (e.valid_to IS NULL OR e.valid_to > ${at})`,
  pending: (at: string) => `e.type <> 'Expiry' AND e.valid_from > ${at}`,
};

/**
 * Balance, pending points and expiry of account `a`, derived from its entries
 * at time `at` (a LATERAL join yielding balance, pending, expires). Served by
 * ledger_entry_balance_idx as an index-only scan.
 */
export const accountSummaryJoin = (at: string) => `
  LEFT JOIN LATERAL (
    SELECT COALESCE(sum(e.amount) FILTER (WHERE e.valid_from <= ${at} AND (e.valid_to IS NULL OR e.valid_to > ${at})), 0) AS balance,
           COALESCE(sum(e.amount) FILTER (WHERE e.valid_from > ${at}), 0) AS pending,
           min(e.valid_to) FILTER (WHERE e.amount > 0 AND e.valid_from <= ${at} AND e.valid_to > ${at}) AS expires
      FROM ledger_entry e
     WHERE e.tenant_id = a.tenant_id AND e.account_id = a.id AND ${ledgerSql.counts}
  ) s ON true`;

/**
 * Applies a batch's rows in one statement: upserts the accounts (keys sorted,
 * so concurrent batches lock them in one order and cannot deadlock each
 * other), then appends one entry per row. (tenant, batch, row) is unique, so a
 * row already in the ledger is not added again.
 */
const APPLY_TRANSACTIONS_SQL = `
WITH account AS (
  INSERT INTO point_account AS a (tenant_id, contact_id, definition_id, created_at, updated_at)
  SELECT $1, k.contact_id, k.definition_id, $3, $3 FROM unnest($4::uuid[], $5::int[]) AS k(contact_id, definition_id)
  ON CONFLICT (tenant_id, contact_id, definition_id) DO UPDATE SET updated_at = EXCLUDED.updated_at
  RETURNING a.id, a.contact_id, a.definition_id
), item AS (
  SELECT * FROM unnest($6::int[], $7::uuid[], $8::int[], $9::int[], $10::text[], $11::text[], $12::timestamptz[], $13::timestamptz[], $14::timestamptz[])
    AS t(item_index, contact_id, definition_id, amount, source, description, transaction_date, valid_from, valid_to)
)
INSERT INTO ledger_entry
  (tenant_id, account_id, type, amount, source, description, transaction_date, valid_from, valid_to, batch_id, item_index, created_at, modified_at)
SELECT $1, account.id, CASE WHEN item.amount > 0 THEN 'Addition' ELSE 'Deduction' END::ledger_entry_type, item.amount, item.source,
       item.description, item.transaction_date, item.valid_from, item.valid_to, $2, item.item_index, $3, $3
  FROM item JOIN account USING (contact_id, definition_id)
 ORDER BY item.item_index
ON CONFLICT (tenant_id, batch_id, item_index) DO NOTHING
RETURNING item_index`;

function applyTransactionsParams(tenantId: string, batchId: string, items: readonly StoredTransaction[], now: Date) {
  const keys = accountKeys(items);
  return [
    tenantId,
    batchId,
    now,
    keys.map((k) => k.contactId),
    keys.map((k) => k.definitionId),
    items.map((i) => i.index),
    items.map((i) => i.contactId),
    items.map((i) => i.definitionId),
    items.map((i) => i.amount),
    items.map((i) => i.source),
    items.map((i) => i.description),
    items.map((i) => i.transactionDate),
    items.map((i) => i.validFrom),
    items.map((i) => i.validTo),
  ];
}

/** PointTransactionsJob's work: appends a whole batch to the ledger in one transaction, or nothing. */
export function applyTransactionBatch(pool: Pool, batchId: string, now: Date): Promise<ApplyResult> {
  return retryOnConflict(() =>
    withTransaction(pool, async (client) => {
      const batch = await lockBatchForApply(client, batchId);
      if (!batch) return 'already-final';
      const items = storedTransactionBatch.parse(batch.payload);
      const { rows } = await client.query<{ item_index: number }>(APPLY_TRANSACTIONS_SQL, applyTransactionsParams(batch.tenantId, batchId, items, now));
      const applied = new Set(rows.map((row) => row.item_index));
      // Only reachable if the batch row was reset by hand after it was applied.
      const skipped = items
        .filter((item) => !applied.has(item.index))
        .map((item) => ({ message: `Row [${item.index}] skipped: already in the ledger` }));
      const status = await finishBatch(client, batchId, { appliedCount: applied.size, skipped }, now);
      return { status, appliedCount: applied.size, skippedCount: skipped.length };
    }, { asyncCommit: true }),
  );
}

export interface TransactionBatchToStore {
  id: string;
  tenantId: string;
  itemCount: number;
  accepted: StoredTransaction[];
  refused: { messages: string[]; count: number };
  /** The 202 answer, kept under the Idempotency-Key when there is one. */
  answer: unknown;
  claim: { key: string; token: string } | null;
  now: Date;
}

export type StoreOutcome = 'stored' | 'tenant-changed' | 'claim-lost';

/** Rolls the store back when the Idempotency-Key was taken over meanwhile. */
class ClaimLostError extends Error {}

/** Stores the batch (with the rows refused on arrival) and the answer under its Idempotency-Key in one transaction. */
export function storeTransactionBatch(pool: Pool, batch: TransactionBatchToStore): Promise<StoreOutcome> {
  return withTransaction(pool, async (client) => {
    const inserted = await insertBatch(client, {
      id: batch.id,
      tenantId: batch.tenantId,
      kind: 'transactions',
      itemCount: batch.itemCount,
      payload: batch.accepted,
      refused: batch.refused,
      now: batch.now,
    });
    if (!inserted) return 'tenant-changed';
    if (batch.claim && !(await completeClaim(client, { tenantId: batch.tenantId, ...batch.claim }, { response: batch.answer, batchId: batch.id }))) {
      throw new ClaimLostError();
    }
    return 'stored';
  }).catch((err: unknown) => {
    if (err instanceof ClaimLostError) return 'claim-lost' as const;
    throw err;
  });
}

export interface LedgerEntryRecord {
  id: number;
  accountId: number;
  amount: number;
  type: EntryType;
  source: string;
  description: string;
  transactionDate: Date;
  validFrom: Date;
  validTo: Date | null;
  createdOn: Date;
  modifiedOn: Date;
}

const ENTRY_COLUMNS = `e.id, e.account_id AS "accountId", e.amount, e.type, e.source, e.description, e.transaction_date AS "transactionDate",
  e.valid_from AS "validFrom", e.valid_to AS "validTo", e.created_at AS "createdOn", e.modified_at AS "modifiedOn"`;

const filterSql: Record<Exclude<TransactionFilter, 'All'>, (at: string) => string> = {
  Active: ledgerSql.active,
  Pending: ledgerSql.pending,
};

const EXPIRY_CHUNK = 5000;

export function ledgerRepository(pool: Pool) {
  return {
    async knownDefinitions(tenantId: string, ids: readonly number[]): Promise<Set<number>> {
      const { rows } = await pool.query<{ id: number }>(`SELECT id FROM point_definition WHERE tenant_id = $1 AND id = ANY($2::int[])`, [tenantId, ids]);
      return new Set(rows.map((row) => row.id));
    },

    /** The account id for an accountId or a (contact, definition) pair, within the tenant. */
    async findAccountId(tenantId: string, by: { accountId: number } | { contactId: string; definitionId: number }): Promise<number | null> {
      const { rows } =
        'accountId' in by
          ? await pool.query<{ id: number }>(`SELECT id FROM point_account WHERE tenant_id = $1 AND id = $2`, [tenantId, by.accountId])
          : await pool.query<{ id: number }>(`SELECT id FROM point_account WHERE tenant_id = $1 AND contact_id = $2 AND definition_id = $3`, [
              tenantId,
              by.contactId,
              by.definitionId,
            ]);
      return rows[0]?.id ?? null;
    },

    /** An account's entries, newest first; Active and Pending as at `now`, All includes expired and Expiry entries. */
    async listEntries(
      tenantId: string,
      accountId: number,
      filter: TransactionFilter,
      page: { offset: number; count: number },
      now: Date,
    ): Promise<{ items: LedgerEntryRecord[]; totalCount: number }> {
      const params: unknown[] = [tenantId, accountId];
      let where = 'e.tenant_id = $1 AND e.account_id = $2';
      if (filter !== 'All') {
        params.push(now);
        where += ` AND ${filterSql[filter]('$3::timestamptz')}`;
      }
      const [items, total] = await Promise.all([
        pool.query<LedgerEntryRecord>(
          `SELECT ${ENTRY_COLUMNS} FROM ledger_entry e WHERE ${where}
            ORDER BY e.transaction_date DESC, e.id DESC OFFSET $${params.length + 1} LIMIT $${params.length + 2}`,
          [...params, page.offset, page.count],
        ),
        pool.query<{ n: number }>(`SELECT count(*) AS n FROM ledger_entry e WHERE ${where}`, params),
      ]);
      return { items: items.rows, totalCount: total.rows[0]?.n ?? 0 };
    },

    async findEntry(tenantId: string, id: number): Promise<LedgerEntryRecord | null> {
      const { rows } = await pool.query<LedgerEntryRecord>(`SELECT ${ENTRY_COLUMNS} FROM ledger_entry e WHERE e.tenant_id = $1 AND e.id = $2`, [tenantId, id]);
      return rows[0] ?? null;
    },

    async tenantIds(): Promise<string[]> {
      const { rows } = await pool.query<{ id: string }>(`SELECT id FROM tenant ORDER BY id`);
      return rows.map((row) => row.id);
    },

    /**
     * Writes an Expiry entry for every entry of the tenant whose window closed
     * by `now`, so history explains the drop. The balance does not wait for
     * this: it is derived from the windows at read time. Each lapse is
     * recorded once (flag plus unique expires_entry_id); SKIP LOCKED lets
     * several workers sweep side by side.
     */
    async recordExpiries(tenantId: string, now: Date): Promise<number> {
      let total = 0;
      for (;;) {
        const { rowCount } = await pool.query(
          `WITH due AS (
             SELECT e.id, e.account_id, e.amount, e.valid_to FROM ledger_entry e
              WHERE e.tenant_id = $1 AND NOT e.lapse_recorded AND e.valid_to <= $2 AND ${ledgerSql.counts}
              ORDER BY e.valid_to, e.id LIMIT $3
                FOR UPDATE SKIP LOCKED
           ), marked AS (
             UPDATE ledger_entry e SET lapse_recorded = true FROM due WHERE e.tenant_id = $1 AND e.id = due.id
             RETURNING due.id, due.account_id, due.amount, due.valid_to
           )
           INSERT INTO ledger_entry (tenant_id, account_id, type, amount, source, description, transaction_date, valid_from, valid_to,
                                     expires_entry_id, lapse_recorded, created_at, modified_at)
           SELECT $1, account_id, 'Expiry', -amount, 'Expiry', format('%s points of transaction %s expired', amount, id), valid_to, valid_to, NULL,
                  id, true, $2, $2
             FROM marked ORDER BY id
           ON CONFLICT (tenant_id, expires_entry_id) DO NOTHING`,
          [tenantId, now, EXPIRY_CHUNK],
        );
        total += rowCount ?? 0;
        if ((rowCount ?? 0) < EXPIRY_CHUNK) return total;
      }
    },
  };
}

export type LedgerRepository = ReturnType<typeof ledgerRepository>;
