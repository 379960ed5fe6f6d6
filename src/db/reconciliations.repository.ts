import type { TenantMode } from '../domain/tenants.ts';
import type { CompareOutcome, DriftKind, DriftRecord, ReconciliationLine, ReconciliationRecord, ReconciliationScope } from '../domain/reconciliations.ts';
import { figuresAt } from './ledger.repository.ts';
import { type Page, type PageRequest, pageOf } from './pages.ts';
import type { Db } from './pool.ts';

const COLUMNS = `r.id, r.tenant_id AS "tenantId", r.as_of AS "asOf", r.scope::text AS scope, r.repair, r.status::text AS status, r.listed, r.compared,
  r.matched, r.drifted, r.balance_differs AS "balanceDiffers", r.missing_in_follower AS "missingInFollower", r.unknown_to_master AS "unknownToMaster",
  r.repaired, r.error, r.created_at AS "createdAt", r.completed_at AS "completedAt", r.gaps, r.missing_sequences AS "missingSequences",
  r.highest_sequence AS "highestSequence"`;

type Row = Omit<ReconciliationRecord, 'byKind' | 'sequences'> &
  Record<'balanceDiffers' | 'missingInFollower' | 'unknownToMaster' | 'missingSequences' | 'highestSequence', number> & {
    /** As written by finish: since is an ISO string in JSON. */
    gaps: { from: number; to: number; since: string }[] | null;
  };

const record = ({ balanceDiffers, missingInFollower, unknownToMaster, gaps, missingSequences, highestSequence, ...row }: Row): ReconciliationRecord => ({
  ...row,
  byKind: { BalanceDiffers: balanceDiffers, MissingInFollower: missingInFollower, UnknownToMaster: unknownToMaster },
  sequences: {
    gaps: (gaps ?? []).map((gap) => ({ from: gap.from, to: gap.to, since: new Date(gap.since) })),
    missing: missingSequences,
    highest: highestSequence,
  },
});

const DRIFT_COLUMNS = `d.contact_id AS "contactId", d.definition_id AS "definitionId", d.account_id AS "accountId", d.master_balance AS "masterBalance",
  d.follower_balance AS "followerBalance", d.difference, d.kind::text AS kind`;

/**
 * The follower's side as of $3 (asOf), one row per account of tenant $1 (the
 * compare's and the digests' one formula, src/db/digests.repository.ts):
 * `balance`, and `held` = the follower held anything for the account by then.
 * - balance-only: the account's balance when the last master balance applied
 *   is not newer than asOf, else the last balance history row up to asOf
 *   (looked up only for those few accounts);
 * - all-transaction: the balance the account is served as of asOf, by the
 *   rule (ledger_walk, the one function every read uses), held when one of
 *   its entries had taken effect by then.
 */
export const followerAsOf: Record<TenantMode, string> = {
  'balance-only': `
    SELECT a.id, a.contact_id, a.definition_id, a.balance, true AS held
      FROM point_account a
     WHERE a.tenant_id = $1 AND a.balance_time <= $3
    UNION ALL
    SELECT a.id, a.contact_id, a.definition_id, COALESCE(h.balance, 0), h.balance IS NOT NULL
      FROM point_account a
      LEFT JOIN LATERAL (
        SELECT h.balance FROM balance_history h
         WHERE h.tenant_id = a.tenant_id AND h.account_id = a.id AND h.master_time <= $3
         ORDER BY h.master_time DESC, h.id DESC LIMIT 1
      ) h ON true
     WHERE a.tenant_id = $1 AND (a.balance_time IS NULL OR a.balance_time > $3)`,
  'all-transaction': `
    SELECT a.id, a.contact_id, a.definition_id, COALESCE(f.balance, 0) AS balance,
           EXISTS (SELECT FROM ledger_entry e WHERE e.tenant_id = $1 AND e.account_id = a.id AND e.type <> 'Expiry' AND e.valid_from <= $3) AS held
      FROM point_account a
      LEFT JOIN ${figuresAt('$1', 'ARRAY(SELECT p.id FROM point_account p WHERE p.tenant_id = $1)', 'ARRAY[$3::timestamptz]')} f ON f.account_id = a.id
     WHERE a.tenant_id = $1`,
};

/**
 * The whole compare of reconciliation $2 in one statement: the master's lines
 * joined to the follower's accounts (every account of the tenant for scope
 * Full), each drifted account written as a drift, and the counts answered.
 */
const compareSql = (mode: TenantMode, scope: ReconciliationScope) => `
WITH line AS (
  SELECT l.contact_id, l.definition_id, l.balance FROM reconciliation_line l WHERE l.tenant_id = $1 AND l.reconciliation_id = $2
), follower AS (${followerAsOf[mode]}
), joined AS (
  SELECT COALESCE(l.contact_id, f.contact_id) AS contact_id, COALESCE(l.definition_id, f.definition_id) AS definition_id, f.id AS account_id,
         COALESCE(l.balance, 0) AS master, COALESCE(f.balance, 0) AS follower, l.contact_id IS NOT NULL AS listed, COALESCE(f.held, false) AS held
    FROM line l ${scope === 'Full' ? 'FULL' : 'LEFT'} JOIN follower f ON f.contact_id = l.contact_id AND f.definition_id = l.definition_id
), classified AS (
  SELECT j.*,
         CASE WHEN j.listed AND j.held AND j.master <> j.follower THEN 'BalanceDiffers'
              WHEN j.listed AND NOT j.held AND j.master <> 0 THEN 'MissingInFollower'
              WHEN NOT j.listed AND j.held AND j.follower <> 0 THEN 'UnknownToMaster'
         END::drift_kind AS kind
    FROM joined j WHERE j.listed OR j.held
), drift AS (
  INSERT INTO reconciliation_drift
    (tenant_id, reconciliation_id, contact_id, definition_id, ordinal, kind, account_id, master_balance, follower_balance, difference)
  SELECT $1, $2, c.contact_id, c.definition_id, row_number() OVER (ORDER BY c.contact_id, c.definition_id), c.kind, c.account_id, c.master, c.follower,
         c.master - c.follower
    FROM classified c WHERE c.kind IS NOT NULL
  RETURNING kind
)
SELECT (SELECT count(*) FROM classified) AS compared,
       (SELECT count(*) FROM classified WHERE listed) AS listed,
       (SELECT json_object_agg(k.kind, k.n) FROM (SELECT kind, count(*) AS n FROM drift GROUP BY kind) k) AS "byKind"`;

/** Memory the compare's join may use (per sort or hash); a million lines take about 100 MB. */
const COMPARE_WORK_MEM = '128MB';

const plainArray = (values: readonly (number | string)[]) => `{${values.join(',')}}`;

/** Reconciliations, their lines (the master's balances) and their drifts. */
export function reconciliationsRepository(db: Db) {
  return {
    async create(input: { id: string; tenantId: string; asOf: string; scope: ReconciliationScope; repair: boolean }, now: Date): Promise<ReconciliationRecord> {
      const { rows } = await db.query<Row>(
        `INSERT INTO reconciliation AS r (tenant_id, id, as_of, scope, repair, created_at, status_at)
         VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING ${COLUMNS}`,
        [input.tenantId, input.id, input.asOf, input.scope, input.repair, now],
      );
      return record(rows[0]!);
    },

    async find(tenantId: string, id: string): Promise<ReconciliationRecord | null> {
      const { rows } = await db.query<Row>(`SELECT ${COLUMNS} FROM reconciliation r WHERE r.tenant_id = $1 AND r.id = $2`, [tenantId, id]);
      return rows[0] ? record(rows[0]) : null;
    },

    /** The tenant's reconciliations, newest first. */
    async list(tenantId: string, page: PageRequest): Promise<Page<ReconciliationRecord>> {
      const listing = { columns: COLUMNS, from: 'reconciliation r WHERE r.tenant_id = $1', orderBy: 'r.created_at DESC, r.id DESC' };
      const { items, totalCount } = await pageOf<Row>(db, listing, [tenantId], page);
      return { items: items.map(record), totalCount };
    },

    /** The newest reconciliations of every tenant, for the operators' overview. */
    async latest(limit: number): Promise<ReconciliationRecord[]> {
      const { rows } = await db.query<Row>(`SELECT ${COLUMNS} FROM reconciliation r ORDER BY r.created_at DESC, r.id DESC LIMIT $1`, [limit]);
      return rows.map(record);
    },

    /** Each tenant's latest Completed reconciliation, for the operators' overview (tenants without one are left out). */
    async latestCompletedPerTenant(): Promise<ReconciliationRecord[]> {
      const { rows } = await db.query<Row>(
        `SELECT DISTINCT ON (r.tenant_id) ${COLUMNS} FROM reconciliation r WHERE r.status = 'Completed' ORDER BY r.tenant_id, r.completed_at DESC, r.id DESC`,
      );
      return rows.map(record);
    },

    /** Locks the reconciliation against a concurrent complete for the rest of the transaction and answers its status. */
    async lockShared(tenantId: string, id: string): Promise<ReconciliationRecord['status'] | null> {
      const { rows } = await db.query<{ status: ReconciliationRecord['status'] }>(
        `SELECT status::text AS status FROM reconciliation WHERE tenant_id = $1 AND id = $2 FOR SHARE`,
        [tenantId, id],
      );
      return rows[0]?.status ?? null;
    },

    /** Writes one call's lines in one statement; a line for an account already listed replaces it. Lines come one per account. */
    async putLines(tenantId: string, id: string, lines: readonly ReconciliationLine[]): Promise<void> {
      await db.query(
        `INSERT INTO reconciliation_line (tenant_id, reconciliation_id, contact_id, definition_id, balance)
         SELECT $1, $2, t.contact_id, t.definition_id, t.balance FROM unnest($3::uuid[], $4::int[], $5::numeric[]) AS t(contact_id, definition_id, balance)
         ON CONFLICT (tenant_id, reconciliation_id, contact_id, definition_id) DO UPDATE SET balance = EXCLUDED.balance`,
        [tenantId, id, plainArray(lines.map((l) => l.contactId)), plainArray(lines.map((l) => l.definitionId)), plainArray(lines.map((l) => l.balance))],
      );
    },

    /** Open -> Comparing; null when it was not Open (completed before, or another tenant's). */
    async markComparing(tenantId: string, id: string, now: Date): Promise<ReconciliationRecord | null> {
      const { rows } = await db.query<Row>(
        `UPDATE reconciliation r SET status = 'Comparing', status_at = $3 WHERE r.tenant_id = $1 AND r.id = $2 AND r.status = 'Open' RETURNING ${COLUMNS}`,
        [tenantId, id, now],
      );
      return rows[0] ? record(rows[0]) : null;
    },

    /** A job picked the compare up: counted, and its status time moved so the recovery sweep leaves it alone while it runs. */
    async markAttempt(tenantId: string, id: string, now: Date): Promise<boolean> {
      const { rowCount } = await db.query(
        `UPDATE reconciliation SET attempts = attempts + 1, status_at = $3 WHERE tenant_id = $1 AND id = $2 AND status = 'Comparing'`,
        [tenantId, id, now],
      );
      return (rowCount ?? 0) > 0;
    },

    /**
     * Locks a Comparing reconciliation for the compare's transaction. Null when
     * it is no longer Comparing: a job delivered twice finds the work done, and
     * a second compare waits here for the first and then finds it Completed.
     */
    async lockForCompare(tenantId: string, id: string): Promise<ReconciliationRecord | null> {
      const { rows } = await db.query<Row>(
        `SELECT ${COLUMNS} FROM reconciliation r WHERE r.tenant_id = $1 AND r.id = $2 AND r.status = 'Comparing' FOR UPDATE`,
        [tenantId, id],
      );
      return rows[0] ? record(rows[0]) : null;
    },

    /** Compares and records the drifts (compareSql), in the caller's transaction. */
    async compare(reconciliation: ReconciliationRecord, mode: TenantMode): Promise<CompareOutcome> {
      // For the caller's transaction: compiling this plan with JIT took longer than running it (1.1 s of 1.9 s for
      // 100,000 accounts), and the join of a million lines fits in memory at this size instead of spilling to disk.
      await db.query(`SET LOCAL jit = off; SET LOCAL work_mem = '${COMPARE_WORK_MEM}'`);
      const { rows } = await db.query<{ compared: number; listed: number; byKind: Partial<Record<DriftKind, number>> | null }>(
        compareSql(mode, reconciliation.scope),
        [reconciliation.tenantId, reconciliation.id, reconciliation.asOf],
      );
      const row = rows[0]!;
      const counted = row.byKind ?? {};
      const byKind = {
        BalanceDiffers: counted.BalanceDiffers ?? 0,
        MissingInFollower: counted.MissingInFollower ?? 0,
        UnknownToMaster: counted.UnknownToMaster ?? 0,
      };
      return { compared: row.compared, listed: row.listed, byKind };
    },

    async finish(
      tenantId: string,
      id: string,
      outcome: CompareOutcome & { repaired: number; sequences: ReconciliationRecord['sequences'] },
      now: Date,
    ): Promise<void> {
      const { BalanceDiffers, MissingInFollower, UnknownToMaster } = outcome.byKind;
      const { gaps, missing, highest } = outcome.sequences;
      await db.query(
        `UPDATE reconciliation SET status = 'Completed', listed = $3, compared = $4::int, matched = $4::int - $5::int, drifted = $5::int, balance_differs = $6,
                missing_in_follower = $7, unknown_to_master = $8, repaired = $9, status_at = $10, completed_at = $10,
                gaps = $11::jsonb, missing_sequences = $12, highest_sequence = $13
          WHERE tenant_id = $1 AND id = $2`,
        [
          tenantId,
          id,
          outcome.listed,
          outcome.compared,
          BalanceDiffers + MissingInFollower + UnknownToMaster,
          BalanceDiffers,
          MissingInFollower,
          UnknownToMaster,
          outcome.repaired,
          now,
          JSON.stringify(gaps),
          missing,
          highest,
        ],
      );
    },

    async markFailed(tenantId: string, id: string, message: string, now: Date): Promise<boolean> {
      const { rowCount } = await db.query(
        `UPDATE reconciliation SET status = 'Failed', error = $3, status_at = $4, completed_at = $4 WHERE tenant_id = $1 AND id = $2 AND status = 'Comparing'`,
        [tenantId, id, message, now],
      );
      return (rowCount ?? 0) > 0;
    },

    /**
     * Comparing reconciliations nobody touched for `graceMs`: the recovery sweep queues these again if Redis lost their job.
     * Cross-tenant maintenance, served by the (status, status_at) index.
     */
    async listUnfinished(now: Date, graceMs: number, limit: number): Promise<{ tenantId: string; id: string }[]> {
      const { rows } = await db.query<{ tenantId: string; id: string }>(
        `SELECT tenant_id AS "tenantId", id FROM reconciliation
          WHERE status = 'Comparing' AND status_at < $1::timestamptz - make_interval(secs => $2)
          ORDER BY status_at LIMIT $3`,
        [now, graceMs / 1000, limit],
      );
      return rows;
    },

    async drifts(tenantId: string, id: string, filter: { kind?: DriftKind | undefined }, page: PageRequest): Promise<Page<DriftRecord>> {
      const params: unknown[] = [tenantId, id];
      let where = 'd.tenant_id = $1 AND d.reconciliation_id = $2';
      if (filter.kind) where += ` AND d.kind = $${params.push(filter.kind)}`;
      return pageOf<DriftRecord>(
        db,
        { columns: DRIFT_COLUMNS, from: `reconciliation_drift d WHERE ${where}`, orderBy: 'd.contact_id, d.definition_id' },
        params,
        page,
      );
    },

    /** The contact's drifts found by the tenant's latest Completed reconciliation, and that reconciliation; null when there is none. */
    async latestDriftsOfContact(tenantId: string, contactId: string): Promise<{ reconciliation: ReconciliationRecord; drifts: DriftRecord[] } | null> {
      const { rows } = await db.query<Row>(
        `SELECT ${COLUMNS} FROM reconciliation r WHERE r.tenant_id = $1 AND r.status = 'Completed' ORDER BY r.completed_at DESC, r.id DESC LIMIT 1`,
        [tenantId],
      );
      if (!rows[0]) return null;
      const reconciliation = record(rows[0]);
      const drifts = await db.query<DriftRecord>(
        `SELECT ${DRIFT_COLUMNS} FROM reconciliation_drift d WHERE d.tenant_id = $1 AND d.reconciliation_id = $2 AND d.contact_id = $3 ORDER BY d.definition_id`,
        [tenantId, reconciliation.id, contactId],
      );
      return { reconciliation, drifts: drifts.rows };
    },
  };
}
