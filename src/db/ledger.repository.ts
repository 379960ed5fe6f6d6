import type { StoredTransaction, TransactionFilter } from '../contracts/transactions.ts';
import type { MonthEndBalance } from '../domain/balance-chart.ts';
import type { LedgerEntryRecord } from '../domain/ledger.ts';
import type { IdentifiedEntry } from '../domain/sync.ts';
import { monthEndsCte } from './month-ends.ts';
import type { Db } from './pool.ts';

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
 * The checkpoint of settled entries (table ledger_checkpoint, one row per
 * account), so that reading an account scans only the entries whose window
 * can still change its figures, however long its history.
 *
 * Why it is exact. An entry's share of the figures at instant t depends on t
 * only through its window [validFrom, validTo). From the instant it settles,
 * validFrom when validTo is null and validTo otherwise, that share is the
 * same at every later t: an entry that never expires counts in the balance
 * for ever (and is neither pending nor the next expiry), one whose window
 * closed counts nowhere for ever. Expiry entries count at no instant at all
 * (domain/ledger.ts summarise), so they are covered from the start and add
 * nothing; the lapse they record is already in the lapsed entry's window.
 * So a checkpoint holds: the entries it covers (ledger_entry.settled),
 * `settled_through` T (the latest instant at which a covered entry settled)
 * and `balance` (the sum of the covered entries that never expire). At any
 * t >= T the figures are `balance` plus what the uncovered entries give at t;
 * at t < T (a clock that went back, a read at a past instant) a covered entry
 * may not have settled yet, so the read scans the covered entries as well.
 *
 * Who covers an entry, each in one statement that flags the entries and adds
 * them to the checkpoint row, so no reader ever sees one without the other:
 * the apply, for the entries it adds that have already settled (the usual
 * purchase: active at once, never expiring); the lapse sweep (recordExpiries)
 * for entries whose window closed, with the Expiry entry it writes; and the
 * settling sweep (settleNeverExpiring) for never-expiring entries whose
 * validFrom has passed (pending at arrival, written by another path, or
 * back-dated into a window long past). A back-dated arrival is thus never
 * missed: it is uncovered, so scanned, until a sweep covers it.
 *
 * Concurrency. An entry is flagged once: the sweeps pick entries FOR UPDATE
 * SKIP LOCKED and only unsettled ones, the apply flags only the rows it
 * inserts. The checkpoint row is added to (never recomputed) under its row
 * lock by INSERT ... ON CONFLICT DO UPDATE, so two writers each add their own
 * entries; every statement locks checkpoint rows in account order.
 */
const coverInCheckpoint = (tenant: string, now: string, covered: string) => `
  INSERT INTO ledger_checkpoint AS c (tenant_id, account_id, settled_through, balance, entries, updated_at)
  SELECT ${tenant}, account_id, max(settles_at), sum(adds), count(*), ${now} FROM ${covered} GROUP BY account_id ORDER BY account_id
  ON CONFLICT (tenant_id, account_id) DO UPDATE
     SET settled_through = greatest(c.settled_through, excluded.settled_through), balance = c.balance + excluded.balance,
         entries = c.entries + excluded.entries, updated_at = excluded.updated_at`;

/**
 * Balance, pending points and expiry of account `a` at time `at` (a LATERAL
 * join yielding balance, pending, expires): the checkpoint's balance plus the
 * uncovered entries, or all entries when `at` is before the checkpoint (see
 * above). Each part is an index-only range of ledger_entry_balance_idx; the
 * part not needed is cut off by a one-time filter before it reads anything.
 */
export const accountSummaryJoin = (at: string) => `
  LEFT JOIN ledger_checkpoint c ON c.tenant_id = a.tenant_id AND c.account_id = a.id
  LEFT JOIN LATERAL (
    SELECT COALESCE(sum(e.amount) FILTER (WHERE e.valid_from <= ${at} AND (e.valid_to IS NULL OR e.valid_to > ${at})), 0)
             + CASE WHEN c.settled_through <= ${at} THEN c.balance ELSE 0 END AS balance,
           COALESCE(sum(e.amount) FILTER (WHERE e.valid_from > ${at}), 0) AS pending,
           min(e.valid_to) FILTER (WHERE e.amount > 0 AND e.valid_from <= ${at} AND e.valid_to > ${at}) AS expires
      FROM (SELECT e.amount, e.valid_from, e.valid_to FROM ledger_entry e
             WHERE e.tenant_id = a.tenant_id AND e.account_id = a.id AND e.settled = false AND ${ledgerSql.counts}
            UNION ALL
            SELECT e.amount, e.valid_from, e.valid_to FROM ledger_entry e
             WHERE c.settled_through > ${at} AND e.tenant_id = a.tenant_id AND e.account_id = a.id AND e.settled = true AND ${ledgerSql.counts}) e
  ) s ON true`;

/**
 * Appends one entry per row to the account of its (contact, definition),
 * which pointAccounts.ensure made sure of in the same transaction. Three
 * unique keys have the final word on what is added: (tenant, batch, row), so
 * a batch never adds its rows twice, and (tenant, externalId) and (tenant,
 * sequence), so a row two batches carry is added once even when they are
 * applied at the same moment (the later insert waits for the earlier's
 * commit, then adds nothing).
 */
const APPEND_ENTRIES_SQL = `
WITH item AS (
  SELECT * FROM unnest($4::int[], $5::uuid[], $6::int[], $7::numeric[], $8::text[], $9::text[], $10::timestamptz[], $11::timestamptz[], $12::timestamptz[],
                       $13::text[], $14::bigint[], $15::smallint[])
    AS t(item_index, contact_id, definition_id, amount, source, description, transaction_date, valid_from, valid_to, external_id, sequence, sent_fields)
), added AS (
  INSERT INTO ledger_entry
    (tenant_id, account_id, type, amount, source, description, transaction_date, valid_from, valid_to, batch_id, item_index, created_at, modified_at,
     external_id, sequence, sent_fields, settled)
  SELECT $1, a.id, CASE WHEN item.amount > 0 THEN 'Addition' ELSE 'Deduction' END::ledger_entry_type, item.amount, item.source,
         item.description, item.transaction_date, item.valid_from, item.valid_to, $2, item.item_index, $3, $3,
         item.external_id, item.sequence, item.sent_fields, item.valid_to IS NULL AND item.valid_from <= $3
    FROM item JOIN point_account a ON a.tenant_id = $1 AND a.contact_id = item.contact_id AND a.definition_id = item.definition_id
   ORDER BY item.item_index
  ON CONFLICT DO NOTHING
  RETURNING account_id, amount, valid_from, settled, item_index, sequence
), settled_now AS (
  SELECT account_id, valid_from AS settles_at, amount AS adds FROM added WHERE settled
), covered AS (${coverInCheckpoint('$1', '$3', 'settled_now')}
)
SELECT item_index, sequence FROM added`;

/**
 * Covers the tenant's never-expiring entries whose validFrom has passed by
 * `now` ($2), at most $3 of them (see coverInCheckpoint). Served by
 * ledger_entry_unsettled_idx: unsettled, validTo null, by validFrom.
 */
const SETTLE_NEVER_EXPIRING_SQL = `
WITH due AS (
  SELECT e.id FROM ledger_entry e
   WHERE e.tenant_id = $1 AND e.settled = false AND e.valid_to IS NULL AND e.valid_from <= $2 AND ${ledgerSql.counts}
   ORDER BY e.valid_from, e.id LIMIT $3
     FOR UPDATE SKIP LOCKED
), settled_now AS (
  UPDATE ledger_entry e SET settled = true FROM due WHERE e.tenant_id = $1 AND e.id = due.id
  RETURNING e.account_id, e.valid_from AS settles_at, e.amount AS adds
), covered AS (${coverInCheckpoint('$1', '$2', 'settled_now')}
)
SELECT count(*)::int AS n FROM settled_now`;

/**
 * Balance-only -> all-transaction: every account gets one OpeningBalance entry,
 * active from the switch and never expiring, for the difference between its
 * balance and what its ledger (from an earlier all-transaction period, if any)
 * yields now, so the derived balance equals the balance the account had.
 */
const CARRY_BALANCES_INTO_LEDGER_SQL = `
WITH carry AS (
  SELECT a.id, a.balance - COALESCE(sum(e.amount) FILTER (WHERE ${ledgerSql.active('$2::timestamptz')}), 0) AS amount
    FROM point_account a LEFT JOIN ledger_entry e ON e.tenant_id = a.tenant_id AND e.account_id = a.id
   WHERE a.tenant_id = $1
   GROUP BY a.id, a.balance
)
INSERT INTO ledger_entry (tenant_id, account_id, type, amount, source, description, transaction_date, valid_from, valid_to, created_at, modified_at)
SELECT $1, id, CASE WHEN amount > 0 THEN 'Addition' ELSE 'Deduction' END::ledger_entry_type, amount, 'OpeningBalance',
       'Balance carried over from balance-only mode', $2, $2, NULL, $2, $2
  FROM carry WHERE amount <> 0 ORDER BY id`;

/**
 * Repairs every drift of reconciliation $2 (tenant $1) whose difference fits
 * an entry: one entry per drifted account for the difference, active from
 * asOf ($3) and never expiring. The reconciliation id stands in the batch id
 * and the drift's ordinal in the item index, so (tenant, batch, item) being
 * unique means no repair can ever be written twice.
 */
const APPEND_RECONCILIATION_SQL = `
INSERT INTO ledger_entry
  (tenant_id, account_id, type, amount, source, description, transaction_date, valid_from, valid_to, batch_id, item_index, created_at, modified_at)
SELECT $1, a.id, CASE WHEN d.difference > 0 THEN 'Addition' ELSE 'Deduction' END::ledger_entry_type, d.difference, 'Reconciliation', $4,
       $3, $3, NULL, $2, d.ordinal, $5, $5
  FROM reconciliation_drift d JOIN point_account a ON a.tenant_id = d.tenant_id AND a.contact_id = d.contact_id AND a.definition_id = d.definition_id
 WHERE d.tenant_id = $1 AND d.reconciliation_id = $2 AND d.difference BETWEEN $6 AND $7
 ORDER BY d.ordinal
ON CONFLICT (tenant_id, batch_id, item_index) DO NOTHING`;

/**
 * The balance of each of a contact's accounts ($1 tenant, $2 contact) at the
 * end of each of the last twelve months (`month_end`, from $3 now in the
 * time zone $4), counted by the rule of `ledgerSql.active` in one pass over
 * the entries (ledger_entry_balance_idx, index-only): each entry is put in
 * the bucket of the first month end at or after its validFrom (`starts`) and
 * of the first at or after its validTo (`ends`); month end k counts the
 * entries with starts < k and (no validTo or ends >= k). An account exists
 * from its earliest entry (timeStamp or validFrom, whichever is first; one
 * index probe each): before that its months have no balance.
 */
const MONTH_END_BALANCES_SQL = `
WITH ${monthEndsCte('$3::timestamptz', '$4::text')}, account AS (
  SELECT a.id,
         least((SELECT min(e.transaction_date) FROM ledger_entry e WHERE e.tenant_id = $1 AND e.account_id = a.id AND ${ledgerSql.counts}),
               (SELECT min(e.valid_from) FROM ledger_entry e WHERE e.tenant_id = $1 AND e.account_id = a.id AND ${ledgerSql.counts})) AS since
    FROM point_account a WHERE a.tenant_id = $1 AND a.contact_id = $2
), bucket AS MATERIALIZED (
  SELECT e.account_id, width_bucket(e.valid_from, m.ats) AS starts, width_bucket(e.valid_to, m.ats) AS ends, sum(e.amount) AS amount
    FROM account JOIN ledger_entry e ON e.tenant_id = $1 AND e.account_id = account.id AND ${ledgerSql.counts}
   CROSS JOIN month_ends m
   GROUP BY 1, 2, 3
)
SELECT account.id AS "accountId", month_end.month, month_end.at,
       CASE WHEN account.since <= month_end.at THEN
         (SELECT COALESCE(sum(b.amount), 0) FROM bucket b
           WHERE b.account_id = account.id AND b.starts < month_end.k AND (b.ends IS NULL OR b.ends >= month_end.k))
       END AS balance
  FROM account CROSS JOIN month_end
 ORDER BY account.id, month_end.k`;

const ENTRY_COLUMNS = `e.id, e.account_id AS "accountId", e.amount, e.type, e.source, e.description, e.transaction_date AS "transactionDate",
  e.valid_from AS "validFrom", e.valid_to AS "validTo", e.created_at AS "createdOn", e.modified_at AS "modifiedOn",
  e.external_id AS "externalId", e.sequence`;

const filterSql: Record<Exclude<TransactionFilter, 'All'>, (at: string) => string> = {
  Active: ledgerSql.active,
  Pending: ledgerSql.pending,
};

const EXPIRY_CHUNK = 5000;
const SETTLE_CHUNK = 5000;

/** The ledger of all-transaction mode: its entries. */
export function ledgerRepository(db: Db) {
  /** One page of the entries matching `where` (over `e`, with `params`), newest first, and how many match in all. */
  async function pageOfEntries(
    where: string,
    params: unknown[],
    page: { offset: number; count: number },
  ): Promise<{ items: LedgerEntryRecord[]; totalCount: number }> {
    const [items, total] = await Promise.all([
      db.query<LedgerEntryRecord>(
        `SELECT ${ENTRY_COLUMNS} FROM ledger_entry e WHERE ${where}
          ORDER BY e.transaction_date DESC, e.id DESC OFFSET $${params.length + 1} LIMIT $${params.length + 2}`,
        [...params, page.offset, page.count],
      ),
      db.query<{ n: number }>(`SELECT count(*) AS n FROM ledger_entry e WHERE ${where}`, params),
    ]);
    return { items: items.rows, totalCount: total.rows[0]?.n ?? 0 };
  }

  return {
    /** Appends a batch's rows (APPEND_ENTRIES_SQL); answers the indexes of the rows it added, and the sequences they carried. */
    async append(tenantId: string, batchId: string, items: readonly StoredTransaction[], now: Date): Promise<{ indexes: Set<number>; sequences: number[] }> {
      const identified = items.some((i) => i.sentFields !== undefined);
      const { rows } = await db.query<{ item_index: number; sequence: number | null }>(APPEND_ENTRIES_SQL, [
        tenantId,
        batchId,
        now,
        items.map((i) => i.index),
        items.map((i) => i.contactId),
        items.map((i) => i.definitionId),
        items.map((i) => i.amount),
        items.map((i) => i.source),
        items.map((i) => i.description),
        items.map((i) => i.transactionDate),
        items.map((i) => i.validFrom),
        items.map((i) => i.validTo),
        identified ? items.map((i) => i.externalId ?? null) : [],
        identified ? items.map((i) => i.sequence ?? null) : [],
        identified ? items.map((i) => i.sentFields ?? null) : [],
      ]);
      const sequences: number[] = [];
      for (const row of rows) if (row.sequence !== null) sequences.push(row.sequence);
      return { indexes: new Set(rows.map((row) => row.item_index)), sequences: sequences.sort((a, b) => a - b) };
    },

    /** The entries of the tenant carrying any of these externalIds or sequences, with what they were sent as. */
    async findIdentified(tenantId: string, externalIds: readonly string[], sequences: readonly number[]): Promise<IdentifiedEntry[]> {
      if (externalIds.length === 0 && sequences.length === 0) return [];
      const { rows } = await db.query<Omit<IdentifiedEntry, 'transactionDate' | 'validFrom' | 'validTo'> & { t: Date; f: Date; u: Date | null }>(
        `SELECT e.id, e.external_id AS "externalId", e.sequence, e.sent_fields AS "sentFields", a.contact_id AS "contactId",
                a.definition_id AS "definitionId", e.amount, e.source, e.description, e.transaction_date AS t, e.valid_from AS f, e.valid_to AS u
           FROM ledger_entry e JOIN point_account a ON a.tenant_id = e.tenant_id AND a.id = e.account_id
          WHERE e.tenant_id = $1 AND (e.external_id = ANY($2::text[]) OR e.sequence = ANY($3::bigint[]))`,
        [tenantId, externalIds, sequences],
      );
      return rows.map(({ t, f, u, ...entry }) => ({
        ...entry,
        transactionDate: t.toISOString(),
        validFrom: f.toISOString(),
        validTo: u?.toISOString() ?? null,
      }));
    },

    async findByExternalId(tenantId: string, externalId: string): Promise<LedgerEntryRecord | null> {
      const { rows } = await db.query<LedgerEntryRecord>(`SELECT ${ENTRY_COLUMNS} FROM ledger_entry e WHERE e.tenant_id = $1 AND e.external_id = $2`, [
        tenantId,
        externalId,
      ]);
      return rows[0] ?? null;
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
      return pageOfEntries(where, params, page);
    },

    /** A contact's entries on all its accounts, newest first, expired and Expiry entries included. */
    async listContactEntries(
      tenantId: string,
      contactId: string,
      page: { offset: number; count: number },
    ): Promise<{ items: LedgerEntryRecord[]; totalCount: number }> {
      const where = 'e.tenant_id = $1 AND e.account_id IN (SELECT a.id FROM point_account a WHERE a.tenant_id = $1 AND a.contact_id = $2)';
      return pageOfEntries(where, [tenantId, contactId], page);
    },

    /** The points of an account that are active at `at` and lapse exactly at `expires` (its next expiry). */
    async pointsExpiringAt(tenantId: string, accountId: number, expires: Date, at: Date): Promise<number> {
      const { rows } = await db.query<{ points: number }>(
        `SELECT COALESCE(sum(e.amount), 0) AS points FROM ledger_entry e
          WHERE e.tenant_id = $1 AND e.account_id = $2 AND e.amount > 0 AND e.valid_to = $3 AND ${ledgerSql.active('$4')}`,
        [tenantId, accountId, expires, at],
      );
      return rows[0]?.points ?? 0;
    },

    /** See MONTH_END_BALANCES_SQL: twelve rows per account of the contact, oldest month first. */
    async monthEndBalances(tenantId: string, contactId: string, now: Date, timeZone: string): Promise<MonthEndBalance[]> {
      const { rows } = await db.query<MonthEndBalance>(MONTH_END_BALANCES_SQL, [tenantId, contactId, now, timeZone]);
      return rows;
    },

    async findEntry(tenantId: string, id: number): Promise<LedgerEntryRecord | null> {
      const { rows } = await db.query<LedgerEntryRecord>(`SELECT ${ENTRY_COLUMNS} FROM ledger_entry e WHERE e.tenant_id = $1 AND e.id = $2`, [tenantId, id]);
      return rows[0] ?? null;
    },

    /**
     * Writes an Expiry entry for every entry of the tenant whose window closed
     * by `now`, so history explains the drop. The balance does not wait for
     * this: it is derived from the windows at read time. Each lapse is
     * recorded once (flag plus unique expires_entry_id); SKIP LOCKED lets
     * several workers sweep side by side. The lapsed entry is covered in its
     * checkpoint at the same time: nothing else covers an entry that has a
     * validTo, so looking only at unsettled ones (ledger_entry_unsettled_idx)
     * misses no lapse.
     */
    async recordExpiries(tenantId: string, now: Date): Promise<number> {
      let total = 0;
      for (;;) {
        const { rowCount } = await db.query(
          `WITH due AS (
             SELECT e.id, e.account_id, e.amount, e.valid_to FROM ledger_entry e
              WHERE e.tenant_id = $1 AND e.settled = false AND e.valid_to <= $2 AND NOT e.lapse_recorded AND ${ledgerSql.counts}
              ORDER BY e.valid_to, e.id LIMIT $3
                FOR UPDATE SKIP LOCKED
           ), marked AS (
             UPDATE ledger_entry e SET lapse_recorded = true, settled = true FROM due WHERE e.tenant_id = $1 AND e.id = due.id
             RETURNING due.id, due.account_id, due.amount, due.valid_to
           ), lapsed AS (
             SELECT account_id, valid_to AS settles_at, 0 AS adds FROM marked
           ), covered AS (${coverInCheckpoint('$1', '$2', 'lapsed')}
           )
           INSERT INTO ledger_entry (tenant_id, account_id, type, amount, source, description, transaction_date, valid_from, valid_to,
                                     expires_entry_id, lapse_recorded, settled, created_at, modified_at)
           SELECT $1, account_id, 'Expiry', -amount, 'Expiry', format('%s points of transaction %s expired', trim_scale(amount), id), valid_to, valid_to, NULL,
                  id, true, true, $2, $2
             FROM marked ORDER BY id
           ON CONFLICT (tenant_id, expires_entry_id) DO NOTHING`,
          [tenantId, now, EXPIRY_CHUNK],
        );
        total += rowCount ?? 0;
        if ((rowCount ?? 0) < EXPIRY_CHUNK) return total;
      }
    },

    /** Covers the never-expiring entries of the tenant whose validFrom has passed by `now` (SETTLE_NEVER_EXPIRING_SQL); answers how many. */
    async settleNeverExpiring(tenantId: string, now: Date): Promise<number> {
      let total = 0;
      for (;;) {
        const { rows } = await db.query<{ n: number }>(SETTLE_NEVER_EXPIRING_SQL, [tenantId, now, SETTLE_CHUNK]);
        const settled = rows[0]?.n ?? 0;
        total += settled;
        if (settled < SETTLE_CHUNK) return total;
      }
    },

    /** The checkpoint of an account: what it covers, up to when, and the balance the covered entries add. */
    async checkpoint(tenantId: string, accountId: number): Promise<{ settledThrough: Date; balance: number; entries: number } | null> {
      const { rows } = await db.query<{ settledThrough: Date; balance: number; entries: number }>(
        `SELECT settled_through AS "settledThrough", balance, entries FROM ledger_checkpoint WHERE tenant_id = $1 AND account_id = $2`,
        [tenantId, accountId],
      );
      return rows[0] ?? null;
    },

    /** See APPEND_RECONCILIATION_SQL; the accounts must exist (pointAccounts.ensureForDrifts). Answers how many entries it wrote. */
    async appendReconciliation(
      tenantId: string,
      reconciliationId: string,
      entry: { asOf: Date; description: string; range: { min: number; max: number } },
      now: Date,
    ): Promise<number> {
      const { rowCount } = await db.query(APPEND_RECONCILIATION_SQL, [
        tenantId,
        reconciliationId,
        entry.asOf,
        entry.description,
        now,
        entry.range.min,
        entry.range.max,
      ]);
      return rowCount ?? 0;
    },

    /** See CARRY_BALANCES_INTO_LEDGER_SQL; answers how many accounts got an entry. */
    async carryBalancesIn(tenantId: string, now: Date): Promise<number> {
      return (await db.query(CARRY_BALANCES_INTO_LEDGER_SQL, [tenantId, now])).rowCount ?? 0;
    },
  };
}
