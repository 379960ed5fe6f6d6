import type { Ladder, Level, LevelBasis, LevelChangeReason, WindowSpan } from '../domain/levels.ts';
import { type Page, type PageRequest, pageOf } from './pages.ts';
import type { Db } from './pool.ts';

/**
 * The qualifying figure over ledger entries `e` (domain/levels.ts,
 * `contribution`, in SQL). Expiry and Deduction entries never count as earned.
 */
const QUALIFYING_SQL: Record<LevelBasis, string> = {
  PointsEarned: `COALESCE(sum(e.amount) FILTER (WHERE e.type = 'Addition' AND e.amount > 0 AND e.source NOT IN ('Reconciliation', 'OpeningBalance')), 0)`,
  Purchases: `count(*) FILTER (WHERE e.source = 'Purchase') - count(*) FILTER (WHERE e.source = 'Return')`,
};

interface LadderRow {
  definitionId: number;
  basis: LevelBasis;
  windowType: 'Rolling' | 'CalendarYear';
  windowMonths: number | null;
  levels: Level[];
  announce: boolean;
}

const toLadder = (row: LadderRow): Ladder => ({
  definitionId: row.definitionId,
  basis: row.basis,
  // saveLadder writes window_months for every Rolling ladder.
  window: row.windowType === 'Rolling' ? { type: 'Rolling', months: row.windowMonths! } : { type: 'CalendarYear' },
  levels: row.levels,
  announce: row.announce,
});

const LADDER_COLUMNS = `definition_id AS "definitionId", basis::text AS basis, window_type::text AS "windowType", window_months AS "windowMonths", levels, announce`;

/** The level the worker last recorded for a contact. */
export interface RecordedLevel {
  key: string;
  name: string;
  since: Date | null;
}

export interface LevelChangeRecord {
  id: number;
  contactId: string;
  fromKey: string;
  fromName: string;
  toKey: string;
  toName: string;
  reason: LevelChangeReason;
  qualifying: number;
  changedAt: Date;
}

const CHANGE_COLUMNS = `id, contact_id AS "contactId", from_key AS "fromKey", from_name AS "fromName", to_key AS "toKey", to_name AS "toName",
  reason, qualifying, changed_at AS "changedAt"`;

/** Member levels: the ladder (level_ladder), each contact's recorded level (member_level) and the history of changes (member_level_change). */
export function levelsRepository(db: Db) {
  return {
    /** The tenant's ladder; `lock` holds it FOR SHARE until the transaction ends, so it cannot change under a recording. */
    async ladder(tenantId: string, options: { lock?: boolean } = {}): Promise<Ladder | null> {
      const { rows } = await db.query<LadderRow>(`SELECT ${LADDER_COLUMNS} FROM level_ladder WHERE tenant_id = $1${options.lock ? ' FOR SHARE' : ''}`, [
        tenantId,
      ]);
      return rows[0] ? toLadder(rows[0]) : null;
    },

    async saveLadder(tenantId: string, ladder: Ladder, now: Date): Promise<void> {
      await db.query(
        `INSERT INTO level_ladder (tenant_id, definition_id, basis, window_type, window_months, levels, announce, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8)
         ON CONFLICT (tenant_id) DO UPDATE SET definition_id = excluded.definition_id, basis = excluded.basis, window_type = excluded.window_type,
           window_months = excluded.window_months, levels = excluded.levels, announce = excluded.announce, updated_at = excluded.updated_at`,
        [
          tenantId,
          ladder.definitionId,
          ladder.basis,
          ladder.window.type,
          ladder.window.type === 'Rolling' ? ladder.window.months : null,
          JSON.stringify(ladder.levels),
          ladder.announce,
          now,
        ],
      );
    },

    /** Tenants in all-transaction mode that have a ladder, with their time zone: the ones whose levels time can move. Cross-tenant: the daily sweep's list. */
    async tenantsWithLadders(): Promise<{ tenantId: string; timeZone: string }[]> {
      const { rows } = await db.query<{ tenantId: string; timeZone: string }>(
        `SELECT l.tenant_id AS "tenantId", t.time_zone AS "timeZone" FROM level_ladder l JOIN tenant t ON t.id = l.tenant_id
          WHERE t.mode = 'all-transaction' ORDER BY l.tenant_id`,
      );
      return rows;
    },

    /** One contact's qualifying figure in `span` read at `at`: one range scan of its account's entries by transaction date. */
    async qualifyingOf(tenantId: string, ladder: Ladder, span: WindowSpan, at: Date, contactId: string): Promise<number> {
      const { rows } = await db.query<{ qualifying: number }>(
        `SELECT ${QUALIFYING_SQL[ladder.basis]} AS qualifying FROM ledger_entry e
          WHERE e.tenant_id = $1
            AND e.account_id = (SELECT a.id FROM point_account a WHERE a.tenant_id = $1 AND a.contact_id = $2 AND a.definition_id = $3)
            AND e.transaction_date >= $4 AND e.transaction_date <= $5`,
        [tenantId, contactId, ladder.definitionId, span.from, at],
      );
      return rows[0]?.qualifying ?? 0;
    },

    /** The qualifying figure of every contact with an account on the ladder's definition, or of `contactIds` only. */
    async qualifying(tenantId: string, ladder: Ladder, span: WindowSpan, at: Date, contactIds: readonly string[] | null): Promise<Map<string, number>> {
      const { rows } = await db.query<{ contactId: string; qualifying: number }>(
        `SELECT a.contact_id AS "contactId", ${QUALIFYING_SQL[ladder.basis]} AS qualifying
           FROM point_account a
           LEFT JOIN ledger_entry e ON e.tenant_id = a.tenant_id AND e.account_id = a.id AND e.transaction_date >= $3 AND e.transaction_date <= $4
          WHERE a.tenant_id = $1 AND a.definition_id = $2 AND ($5::uuid[] IS NULL OR a.contact_id = ANY($5::uuid[]))
          GROUP BY a.contact_id`,
        [tenantId, ladder.definitionId, span.from, at, contactIds],
      );
      return new Map(rows.map((row) => [row.contactId, row.qualifying]));
    },

    /** Recorded levels of every contact of the tenant that has one, or of `contactIds` only. */
    async recorded(tenantId: string, contactIds: readonly string[] | null): Promise<Map<string, RecordedLevel>> {
      const { rows } = await db.query<RecordedLevel & { contactId: string }>(
        `SELECT contact_id AS "contactId", level_key AS key, level_name AS name, since FROM member_level
          WHERE tenant_id = $1 AND ($2::uuid[] IS NULL OR contact_id = ANY($2::uuid[]))`,
        [tenantId, contactIds],
      );
      return new Map(rows.map(({ contactId, ...level }) => [contactId, level]));
    },

    /**
     * Makes sure each contact has a row (at `base`, for those that had none),
     * then locks the rows in contact order, so recorders working on the same
     * contacts queue behind each other instead of deadlocking.
     */
    async lockContacts(tenantId: string, sortedContactIds: readonly string[], base: Level): Promise<void> {
      await db.query(
        `INSERT INTO member_level (tenant_id, contact_id, level_key, level_name)
         SELECT $1, c, $3, $4 FROM unnest($2::uuid[]) AS c ORDER BY c
         ON CONFLICT (tenant_id, contact_id) DO NOTHING`,
        [tenantId, sortedContactIds, base.key, base.name],
      );
      await db.query(`SELECT 1 FROM member_level WHERE tenant_id = $1 AND contact_id = ANY($2::uuid[]) ORDER BY contact_id FOR UPDATE`, [
        tenantId,
        sortedContactIds,
      ]);
    },

    /**
     * Moves each contact to its level and writes one history row per move.
     * Only rows whose level differs change: a recorder that comes second (its
     * UPDATE waited for the first one's lock) finds the level already there
     * and records nothing, so each change is recorded once.
     */
    async recordChanges(
      tenantId: string,
      moves: readonly { contactId: string; to: Level; qualifying: number }[],
      reason: LevelChangeReason,
      at: Date,
    ): Promise<LevelChangeRecord[]> {
      const { rows } = await db.query<LevelChangeRecord>(
        `WITH move AS (
           SELECT * FROM unnest($2::uuid[], $3::text[], $4::text[], $5::numeric[]) AS m(contact_id, to_key, to_name, qualifying)
         ), changed AS (
           UPDATE member_level l SET previous_key = l.level_key, previous_name = l.level_name, level_key = m.to_key, level_name = m.to_name, since = $7
             FROM move m
            WHERE l.tenant_id = $1 AND l.contact_id = m.contact_id AND l.level_key <> m.to_key
           RETURNING l.contact_id, l.previous_key, l.previous_name, l.level_key, l.level_name, m.qualifying
         )
         INSERT INTO member_level_change (tenant_id, contact_id, from_key, from_name, to_key, to_name, reason, qualifying, changed_at)
         SELECT $1, contact_id, previous_key, previous_name, level_key, level_name, $6, qualifying, $7 FROM changed ORDER BY contact_id
         RETURNING ${CHANGE_COLUMNS}`,
        [tenantId, moves.map((m) => m.contactId), moves.map((m) => m.to.key), moves.map((m) => m.to.name), moves.map((m) => m.qualifying), reason, at],
      );
      return rows;
    },

    /** A contact's level changes, newest first. */
    history: (tenantId: string, contactId: string, page: PageRequest): Promise<Page<LevelChangeRecord>> =>
      pageOf<LevelChangeRecord>(
        db,
        { columns: CHANGE_COLUMNS, from: 'member_level_change WHERE tenant_id = $1 AND contact_id = $2', orderBy: 'changed_at DESC, id DESC' },
        [tenantId, contactId],
        page,
      ),
  };
}
