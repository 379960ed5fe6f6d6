import type { TransactionFilter } from '../contracts/transactions.ts';
import type { StoredTransaction } from '../domain/transactions.ts';
import type { MonthEndBalance } from '../domain/balance-chart.ts';
import type { LedgerEntryRecord } from '../domain/ledger.ts';
import type { IdentifiedEntry } from '../domain/sync.ts';
import { monthEndsCte } from './month-ends.ts';
import { type Page, type PageRequest, pageOf } from './pages.ts';
import type { Db } from './pool.ts';

/**
 * The rule of all-transaction mode (DESIGN 2.2: lots that are used up and
 * expire) is the SQL function ledger_walk (migration ledger_lots), written
 * once; everything here that needs an account's figures asks it. It replays
 * an account from its checkpoint (ledger_checkpoint: what is owed and what is
 * left of each open lot, after every event up to settled_through) when the
 * instant asked for is at or after it, and from the first entry otherwise; a
 * write folds the accounts it touched (the caller holds their row locks), so
 * the checkpoint moves on with the ledger and an account read replays only
 * what is still open, however long its history.
 */

/** The figures of the accounts `accounts` (an int8[] expression) of tenant `tenant` at the instants `marks` (a timestamptz[]). */
export const figuresAt = (tenant: string, accounts: string, marks: string) => `ledger_walk(${tenant}, ${accounts}, ${marks})`;

/** Row windows for the Active and Pending listings of transactions, over ledger_entry aliased `e`: a row's own window, not what is left of it. */
const windowSql = {
  active: (at: string) => `e.type <> 'Expiry' AND e.valid_from <= ${at} AND (e.valid_to IS NULL OR e.valid_to > ${at})`,
  pending: (at: string) => `e.type <> 'Expiry' AND e.valid_from > ${at}`,
};

/**
 * A new entry as the fold takes it (type ledger_added, migration
 * fold_given_entries), returned by each statement that adds entries and
 * handed back to FOLD_SQL as its text, so no figure passes through a float
 * on the way and the fold never looks the entries up again.
 */
const ADDED_ENTRY = `ROW(id, account_id, valid_from, valid_to, amount - COALESCE(netted, 0), remaining, phase)::ledger_added::text AS entry`;

/**
 * Folds accounts $2 of tenant $1 (distinct, in order) on to $3 with the
 * entries $4 just added (ledger_walk). The caller holds the accounts' row
 * locks, or FOLD_LOCKING_SQL takes them first, in account order.
 */
const FOLD_SQL = `SELECT count(*)::int AS n FROM ledger_walk($1, $2::bigint[], '{}', $3, $4::text[]::ledger_added[])`;
const FOLD_LOCKING_SQL = FOLD_SQL.replace(
  '$2::bigint[]',
  'ARRAY(SELECT a.id FROM point_account a WHERE a.tenant_id = $1 AND a.id = ANY ($2::bigint[]) ORDER BY a.id FOR UPDATE)',
);

/**
 * Appends one entry per row to the account of its (contact, definition),
 * which pointAccounts.ensure made sure of (and locked) in the same
 * transaction, in the phase the fold that follows will most often leave it in
 * (a lot active by now open with all its points, a lot whose validTo has
 * passed done with nothing left when the follower expires points, a
 * deduction due by now done, anything later waiting), so that fold rewrites
 * only the entries it finds otherwise. Three unique keys have the final word
 * on what is added: (tenant, batch, row), so
 * a batch never adds its rows twice, and (tenant, externalId) and (tenant,
 * sequence), so a row two batches carry is added once even when they are
 * applied at the same moment (the later insert waits for the earlier's
 * commit, then adds nothing). The accounts are looked up by the batch's
 * contact ids, so a planner whose statistics predate the tenant's growth
 * never hashes every account of the tenant for one batch.
 */
const APPEND_ENTRIES_SQL = `
WITH item AS (
  SELECT * FROM unnest($4::int[], $5::uuid[], $6::int[], $7::numeric[], $8::text[], $9::text[], $10::timestamptz[], $11::timestamptz[], $12::timestamptz[],
                       $13::text[], $14::bigint[], $15::smallint[])
    AS t(item_index, contact_id, definition_id, amount, source, description, transaction_date, valid_from, valid_to, external_id, sequence, sent_fields)
), lot AS (
  SELECT item.*, item.valid_from <= $3 AND item.amount > 0 AS active, COALESCE(item.valid_to <= $3, false) AND t.expiry = 'follower' AS expired
    FROM item CROSS JOIN tenant t WHERE t.id = $1
), added AS (
  INSERT INTO ledger_entry
    (tenant_id, account_id, type, amount, source, description, transaction_date, valid_from, valid_to, batch_id, item_index, created_at, modified_at,
     external_id, sequence, sent_fields, phase, remaining)
  SELECT $1, a.id, CASE WHEN item.amount > 0 THEN 'Addition' ELSE 'Deduction' END::ledger_entry_type, item.amount, item.source,
         item.description, item.transaction_date, item.valid_from, item.valid_to, $2, item.item_index, $3, $3,
         item.external_id, item.sequence, item.sent_fields,
         CASE WHEN item.valid_from > $3 THEN 0 WHEN item.active AND NOT item.expired THEN 1 ELSE 2 END,
         CASE WHEN item.active THEN CASE WHEN item.expired THEN 0 ELSE item.amount END END
    FROM lot item JOIN point_account a ON a.tenant_id = $1 AND a.contact_id = item.contact_id AND a.definition_id = item.definition_id
                                  AND a.contact_id = ANY ($5::uuid[])
   ORDER BY item.item_index
  ON CONFLICT DO NOTHING
  RETURNING id, account_id, item_index, sequence, valid_from, ${ADDED_ENTRY}
)
SELECT id, account_id, item_index, sequence, valid_from, entry FROM added`;

/**
 * The tenant's accounts whose figures change by themselves by `now` ($2): a
 * lot turning active, a deduction coming due, a lot expiring
 * (ledger_checkpoint.next_event_at), at most $3 of them, locked in account
 * order and skipping any another writer holds (it folds them itself), then
 * folded on to `now`: what is left of expired lots gets its Expiry entry.
 * Answers them, each with the time its figures were due to change from.
 */
const SWEEP_SQL = `
WITH due AS MATERIALIZED (
  SELECT a.id, c.next_event_at FROM ledger_checkpoint c JOIN point_account a ON a.tenant_id = c.tenant_id AND a.id = c.account_id
   WHERE c.tenant_id = $1 AND c.next_event_at <= $2
   ORDER BY a.id LIMIT $3
     FOR UPDATE OF a SKIP LOCKED
)
SELECT id, next_event_at AS "dueAt" FROM due WHERE (SELECT count(*) FROM ledger_walk($1, ARRAY(SELECT id FROM due), '{}', $2)) >= 0`;

/**
 * Balance-only -> all-transaction: every account gets one OpeningBalance entry,
 * active from the switch and never expiring, for the difference between its
 * balance and what its ledger (from an earlier all-transaction period, if any)
 * yields now, so the derived balance equals the balance the account had.
 */
const CARRY_BALANCES_INTO_LEDGER_SQL = `
WITH account AS (
  SELECT a.id, a.balance FROM point_account a WHERE a.tenant_id = $1 ORDER BY a.id FOR UPDATE
), carry AS (
  SELECT account.id, account.balance - COALESCE(f.balance, 0) AS amount
    FROM account LEFT JOIN ${figuresAt('$1', 'ARRAY(SELECT id FROM account)', 'ARRAY[$2::timestamptz]')} f ON f.account_id = account.id
)
INSERT INTO ledger_entry (tenant_id, account_id, type, amount, source, description, transaction_date, valid_from, valid_to, created_at, modified_at)
SELECT $1, id, CASE WHEN amount > 0 THEN 'Addition' ELSE 'Deduction' END::ledger_entry_type, amount, 'OpeningBalance',
       'Balance carried over from balance-only mode', $2, $2, NULL, $2, $2
  FROM carry WHERE amount <> 0 ORDER BY id
RETURNING id, account_id, ${ADDED_ENTRY}`;

/**
 * Repairs every drift of reconciliation $2 (tenant $1) whose difference fits
 * an entry: one entry per drifted account for the difference, active from
 * asOf ($3) and never expiring, with nothing netted yet, and its ledger_repair
 * row: the master's balance as of asOf, which the repair holds the account to
 * (services/repair-offsets.ts). The reconciliation id stands in the batch id
 * and the drift's ordinal in the item index, so (tenant, batch, item) being
 * unique means no repair can ever be written twice.
 */
const APPEND_RECONCILIATION_SQL = `
WITH added AS (
  INSERT INTO ledger_entry
    (tenant_id, account_id, type, amount, source, description, transaction_date, valid_from, valid_to, batch_id, item_index, created_at, modified_at,
     netted)
  SELECT $1, a.id, CASE WHEN d.difference > 0 THEN 'Addition' ELSE 'Deduction' END::ledger_entry_type, d.difference, 'Reconciliation', $4,
         $3, $3, NULL, $2, d.ordinal, $5, $5, 0
    FROM reconciliation_drift d JOIN point_account a ON a.tenant_id = d.tenant_id AND a.contact_id = d.contact_id AND a.definition_id = d.definition_id
   WHERE d.tenant_id = $1 AND d.reconciliation_id = $2 AND d.difference BETWEEN $6 AND $7
   ORDER BY d.ordinal
  ON CONFLICT (tenant_id, batch_id, item_index) DO NOTHING
  RETURNING id, account_id, item_index, ${ADDED_ENTRY}
), held AS (
  INSERT INTO ledger_repair (tenant_id, entry_id, account_id, reconciliation_id, as_of, target)
  SELECT $1, added.id, added.account_id, $2, $3, d.master_balance
    FROM added JOIN reconciliation_drift d ON d.tenant_id = $1 AND d.reconciliation_id = $2 AND d.ordinal = added.item_index
)
SELECT id, account_id, entry FROM added`;

/**
 * The repairs of tenant $1 that arrivals may have filled: on each account $2
 * (with $3, the earliest validFrom of what arrived on it), every repair whose
 * asOf is at or after that, for the accounts where at least one such repair
 * is not of reconciliation $4 (the one being written, when it is a repair that
 * arrived). In account, asOf and ledger order.
 */
const REPAIRS_REACHED_SQL = `
WITH reached AS (
  SELECT x.account_id, min(x.from_at) AS from_at FROM unnest($2::bigint[], $3::timestamptz[]) AS x(account_id, from_at) GROUP BY x.account_id
), hit AS (
  SELECT x.account_id, x.from_at FROM reached x
   WHERE EXISTS (SELECT FROM ledger_repair r WHERE r.tenant_id = $1 AND r.account_id = x.account_id AND r.as_of >= x.from_at
                    AND r.reconciliation_id IS DISTINCT FROM $4::uuid)
)
SELECT r.entry_id AS "entryId", r.account_id AS "accountId", r.reconciliation_id AS "reconciliationId", r.as_of AS "asOf", r.target,
       e.amount, e.netted
  FROM hit JOIN ledger_repair r ON r.tenant_id = $1 AND r.account_id = hit.account_id AND r.as_of >= hit.from_at
  JOIN ledger_entry e ON e.tenant_id = $1 AND e.id = r.entry_id
 ORDER BY r.account_id, r.as_of, r.entry_id`;

/**
 * A change of what repair $2 (tenant $1) counts: its netted amount becomes
 * $3, and an offset entry records the change ($4, Addition or Deduction by
 * its sign) with description $5, at $6, valid from the repair's asOf ($7).
 * The offset entry is history (phase 2, offsets_entry_id): the walk counts
 * the repair as amount - netted and never the offset entry itself.
 */
const OFFSET_REPAIR_SQL = `
WITH repair AS (
  UPDATE ledger_entry SET netted = $3, modified_at = $6 WHERE tenant_id = $1 AND id = $2 RETURNING account_id
)
INSERT INTO ledger_entry
  (tenant_id, account_id, type, amount, source, description, transaction_date, valid_from, valid_to, offsets_entry_id, phase, created_at, modified_at)
SELECT $1, repair.account_id, CASE WHEN $4::numeric > 0 THEN 'Addition' ELSE 'Deduction' END::ledger_entry_type, $4, 'Reconciliation', $5, $6, $7, NULL,
       $2, 2, $6, $6
  FROM repair`;

/**
 * The balance of each of a contact's accounts ($1 tenant, $2 contact) at the
 * end of each of the last twelve months (`month_end`, from $3 now in the
 * time zone $4), by the rule (ledger_walk, one replay per account for the
 * twelve instants). An account exists from its earliest entry (timeStamp or
 * validFrom, whichever is first): before that its months have no balance.
 */
const MONTH_END_BALANCES_SQL = `
WITH ${monthEndsCte('$3::timestamptz', '$4::text')}, account AS (
  SELECT a.id,
         (SELECT least(min(e.transaction_date), min(e.valid_from)) FROM ledger_entry e WHERE e.tenant_id = $1 AND e.account_id = a.id AND e.type <> 'Expiry') AS since
    FROM point_account a WHERE a.tenant_id = $1 AND a.contact_id = $2
), walked AS (
  SELECT f.account_id, f.at, f.balance FROM month_ends, ${figuresAt('$1', 'ARRAY(SELECT id FROM account)', 'month_ends.ats')} f
)
SELECT account.id AS "accountId", month_end.month, month_end.at, CASE WHEN account.since <= month_end.at THEN w.balance END AS balance
  FROM account CROSS JOIN month_end LEFT JOIN walked w ON w.account_id = account.id AND w.at = month_end.at
 ORDER BY account.id, month_end.k`;

const ENTRY_COLUMNS = `e.id, e.account_id AS "accountId", e.amount, e.type, e.source, e.description, e.transaction_date AS "transactionDate",
  e.valid_from AS "validFrom", e.valid_to AS "validTo", e.created_at AS "createdOn", e.modified_at AS "modifiedOn",
  e.external_id AS "externalId", e.sequence,
  e.guid, (SELECT a.guid FROM point_account a WHERE a.tenant_id = e.tenant_id AND a.id = e.account_id) AS "accountGuid"`;

const filterSql: Record<Exclude<TransactionFilter, 'All'>, (at: string) => string> = {
  Active: windowSql.active,
  Pending: windowSql.pending,
};

/** Accounts per sweep statement; see sweepChunk. */
export const SWEEP_CHUNK = 1000;

/** A reconciliation's repair entry and what it holds its account to (table ledger_repair). */
export interface RepairRecord {
  entryId: number;
  accountId: number;
  reconciliationId: string;
  asOf: Date;
  /** The master's balance as of asOf. */
  target: number;
  /** The difference the repair was written for. */
  amount: number;
  /** How much of it rows that arrived later took over; the repair counts amount - netted. */
  netted: number;
}

/** An entry just added: a row of a batch, or a repair. */
/** A row of a statement that added entries: the entry's id and account, and the entry as FOLD_SQL takes it (ADDED_ENTRY). */
interface AddedEntry {
  id: number;
  account_id: number;
  entry: string;
}

export interface Arrival {
  entryId: number;
  accountId: number;
  validFrom: Date;
}

/** An account whose checkpoint no longer agrees with its ledger: both sides' figures. */
export interface LedgerSplit {
  accountId: number;
  contactId: string;
  definitionId: number;
  served: { balance: number; pendingPoints: number; balanceExpires: Date | null };
  ledger: { balance: number; pendingPoints: number; balanceExpires: Date | null };
}

/**
 * Every account of tenant $1 read at $2 twice, as served (ledger_walk from
 * the checkpoint) and replayed from its first entry (p_rebuild in a read),
 * answering those whose figures differ.
 */
const AUDIT_SQL = `
WITH account AS (
  SELECT ARRAY(SELECT c.account_id FROM ledger_checkpoint c WHERE c.tenant_id = $1 ORDER BY c.account_id) AS ids
)
SELECT s.account_id AS "accountId", a.contact_id AS "contactId", a.definition_id AS "definitionId",
       s.balance AS "servedBalance", s.pending AS "servedPending", s.expires AS "servedExpires",
       l.balance AS "ledgerBalance", l.pending AS "ledgerPending", l.expires AS "ledgerExpires"
  FROM account, ${figuresAt('$1', 'account.ids', 'ARRAY[$2::timestamptz]')} s
  JOIN ledger_walk($1, (SELECT ids FROM account), ARRAY[$2::timestamptz], NULL, '{}', true) l ON l.account_id = s.account_id
  JOIN point_account a ON a.tenant_id = $1 AND a.id = s.account_id
 WHERE (s.balance, s.pending, s.expires_amount, s.expiring_90) IS DISTINCT FROM (l.balance, l.pending, l.expires_amount, l.expiring_90)
    OR s.expires IS DISTINCT FROM l.expires
 ORDER BY a.contact_id, a.definition_id`;

/** The ledger of all-transaction mode: its entries. */
export function ledgerRepository(db: Db) {
  /** One page of the entries matching `where` (over `e`, with `params`), newest first, and how many match in all. */
  const pageOfEntries = (where: string, params: unknown[], page: PageRequest): Promise<Page<LedgerEntryRecord>> =>
    pageOf(db, { columns: ENTRY_COLUMNS, from: `ledger_entry e WHERE ${where}`, orderBy: 'e.transaction_date DESC, e.id DESC' }, params, page);

  /** Folds the accounts of entries just added on to `now`; `locked`: the caller holds their row locks (FOLD_SQL). */
  async function fold(tenantId: string, added: readonly AddedEntry[], now: Date, locked: boolean): Promise<void> {
    if (added.length === 0) return;
    const accounts = [...new Set(added.map((row) => row.account_id))].sort((a, b) => a - b);
    await db.query(locked ? FOLD_SQL : FOLD_LOCKING_SQL, [tenantId, accounts, now, added.map((row) => row.entry)]);
  }

  return {
    /**
     * Appends a batch's rows (APPEND_ENTRIES_SQL) and folds the accounts they
     * reached; answers the indexes of the rows it added, and the sequences they carried.
     */
    async append(
      tenantId: string,
      batchId: string,
      items: readonly StoredTransaction[],
      now: Date,
    ): Promise<{ indexes: Set<number>; sequences: number[]; added: Arrival[] }> {
      const identified = items.some((i) => i.sentFields !== undefined);
      const { rows } = await db.query<AddedEntry & { item_index: number; sequence: number | null; valid_from: Date }>(APPEND_ENTRIES_SQL, [
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
      await fold(tenantId, rows, now, true);
      const sequences: number[] = [];
      for (const row of rows) if (row.sequence !== null) sequences.push(row.sequence);
      return {
        indexes: new Set(rows.map((row) => row.item_index)),
        sequences: sequences.sort((a, b) => a - b),
        added: rows.map((row) => ({ entryId: row.id, accountId: row.account_id, validFrom: row.valid_from })),
      };
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
      page: PageRequest,
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
    async listContactEntries(tenantId: string, contactId: string, page: PageRequest): Promise<{ items: LedgerEntryRecord[]; totalCount: number }> {
      const where = 'e.tenant_id = $1 AND e.account_id IN (SELECT a.id FROM point_account a WHERE a.tenant_id = $1 AND a.contact_id = $2)';
      return pageOfEntries(where, [tenantId, contactId], page);
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

    /** An entry by its v3 GUID. */
    async findEntryByGuid(tenantId: string, guid: string): Promise<LedgerEntryRecord | null> {
      const { rows } = await db.query<LedgerEntryRecord>(`SELECT ${ENTRY_COLUMNS} FROM ledger_entry e WHERE e.tenant_id = $1 AND e.guid = $2`, [
        tenantId,
        guid,
      ]);
      return rows[0] ?? null;
    },

    /**
     * Folds on to `now` every account of the tenant whose figures changed by
     * themselves (SWEEP_SQL), a chunk at a time; answers how many accounts.
     * Nothing waits for this: reads replay the events since the checkpoint.
     * It writes the Expiry entries, so history explains the drop, and keeps
     * what reads replay short. SKIP LOCKED lets several workers sweep side by side.
     */
    async sweep(tenantId: string, now: Date): Promise<number> {
      let total = 0;
      for (;;) {
        const folded = (await this.sweepChunk(tenantId, now)).length;
        total += folded;
        if (folded < SWEEP_CHUNK) return total;
      }
    },

    /**
     * One chunk of the sweep (at most SWEEP_CHUNK accounts): the accounts it
     * folded, each with the time its figures were due to change from; fewer
     * than SWEEP_CHUNK means the tenant is done. Run inside a transaction, it
     * lets the caller record what the fold changed with the fold.
     */
    async sweepChunk(tenantId: string, now: Date): Promise<{ id: number; dueAt: Date }[]> {
      const { rows } = await db.query<{ id: number; dueAt: Date }>(SWEEP_SQL, [tenantId, now, SWEEP_CHUNK]);
      return rows;
    },

    /**
     * Replays accounts of the tenant (all of them when `accountIds` is null)
     * from their first entry, under the tenant's current expiry owner, and
     * rewrites what their checkpoints and Expiry entries hold; locks the
     * accounts in order first.
     */
    async rebuild(tenantId: string, accountIds: readonly number[] | null, now: Date): Promise<void> {
      await db.query(
        `SELECT count(*) FROM ledger_walk($1, ARRAY(SELECT a.id FROM point_account a WHERE a.tenant_id = $1 AND ($3::bigint[] IS NULL OR a.id = ANY ($3))
                                                     ORDER BY a.id FOR UPDATE), '{}', $2, '{}', true)`,
        [tenantId, now, accountIds],
      );
    },

    /**
     * The self-audit: every account of the tenant whose figures at `now`, as
     * served (from its checkpoint), differ from a replay of its ledger from
     * the first entry (AUDIT_SQL).
     */
    async audit(tenantId: string, now: Date): Promise<LedgerSplit[]> {
      type Row = Omit<LedgerSplit, 'served' | 'ledger'> &
        Record<`${'served' | 'ledger'}${'Balance' | 'Pending'}`, number> &
        Record<`${'served' | 'ledger'}Expires`, Date | null>;
      const { rows } = await db.query<Row>(AUDIT_SQL, [tenantId, now]);
      return rows.map((row) => ({
        accountId: row.accountId,
        contactId: row.contactId,
        definitionId: row.definitionId,
        served: { balance: row.servedBalance, pendingPoints: row.servedPending, balanceExpires: row.servedExpires },
        ledger: { balance: row.ledgerBalance, pendingPoints: row.ledgerPending, balanceExpires: row.ledgerExpires },
      }));
    },

    /**
     * The checkpoint of an account: the time of the last event folded in (null
     * when none has happened yet), what is owed, and when its figures next
     * change by themselves.
     */
    async checkpoint(tenantId: string, accountId: number): Promise<{ settledThrough: Date | null; owed: number; nextEventAt: Date | null } | null> {
      const { rows } = await db.query<{ settledThrough: Date | null; owed: number; nextEventAt: Date | null }>(
        `SELECT NULLIF(settled_through, '-infinity') AS "settledThrough", owed, next_event_at AS "nextEventAt"
           FROM ledger_checkpoint WHERE tenant_id = $1 AND account_id = $2`,
        [tenantId, accountId],
      );
      return rows[0] ?? null;
    },

    /** See APPEND_RECONCILIATION_SQL; the accounts must exist (pointAccounts.ensureForDrifts). Answers the entries it wrote. */
    async appendReconciliation(
      tenantId: string,
      reconciliationId: string,
      entry: { asOf: Date; description: string; range: { min: number; max: number } },
      now: Date,
    ): Promise<Arrival[]> {
      const { rows } = await db.query<AddedEntry>(APPEND_RECONCILIATION_SQL, [
        tenantId,
        reconciliationId,
        entry.asOf,
        entry.description,
        now,
        entry.range.min,
        entry.range.max,
      ]);
      await fold(tenantId, rows, now, false);
      return rows.map((row) => ({ entryId: row.id, accountId: row.account_id, validFrom: entry.asOf }));
    },

    /** See REPAIRS_REACHED_SQL: the repairs that what arrived (`arrivals`) may have filled, unless all are of `writing`. */
    async repairsReached(tenantId: string, arrivals: readonly Arrival[], writing: string | null): Promise<RepairRecord[]> {
      if (arrivals.length === 0) return [];
      const { rows } = await db.query<RepairRecord>(REPAIRS_REACHED_SQL, [
        tenantId,
        arrivals.map((a) => a.accountId),
        arrivals.map((a) => a.validFrom),
        writing,
      ]);
      return rows;
    },

    /** An account's balance at `at`, replayed from its first entry (not from its checkpoint, which a repair's change leaves behind). */
    async replayedBalanceAt(tenantId: string, accountId: number, at: Date): Promise<number> {
      const { rows } = await db.query<{ balance: number }>(`SELECT balance FROM ledger_walk($1, ARRAY[$2::bigint], ARRAY[$3::timestamptz], NULL, '{}', true)`, [
        tenantId,
        accountId,
        at,
      ]);
      return rows[0]?.balance ?? 0;
    },

    /** See OFFSET_REPAIR_SQL. The caller replays the account afterwards (rebuild). */
    async offsetRepair(tenantId: string, repair: RepairRecord, netted: number, change: number, description: string, now: Date): Promise<void> {
      await db.query(OFFSET_REPAIR_SQL, [tenantId, repair.entryId, netted, change, description, now, repair.asOf]);
    },

    /** The accounts whose figures the move to lots changed (table ledger_rule_change), by contact and definition. */
    ruleChanges: (tenantId: string, page: PageRequest) =>
      pageOf<{
        accountId: number;
        contactId: string;
        definitionId: number;
        recordedAt: Date;
        balanceBefore: number;
        pendingBefore: number;
        expiresBefore: Date | null;
        balanceAfter: number;
        pendingAfter: number;
        expiresAfter: Date | null;
      }>(
        db,
        {
          columns: `account_id AS "accountId", contact_id AS "contactId", definition_id AS "definitionId", recorded_at AS "recordedAt",
                    balance_before AS "balanceBefore", pending_before AS "pendingBefore", expires_before AS "expiresBefore",
                    balance_after AS "balanceAfter", pending_after AS "pendingAfter", expires_after AS "expiresAfter"`,
          from: 'ledger_rule_change WHERE tenant_id = $1',
          orderBy: 'contact_id, definition_id',
        },
        [tenantId],
        page,
      ),

    /** See CARRY_BALANCES_INTO_LEDGER_SQL; answers how many accounts got an entry. */
    async carryBalancesIn(tenantId: string, now: Date): Promise<number> {
      const { rows } = await db.query<AddedEntry>(CARRY_BALANCES_INTO_LEDGER_SQL, [tenantId, now]);
      await fold(tenantId, rows, now, true);
      return rows.length;
    },
  };
}
