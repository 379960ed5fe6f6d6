import type { StreamAdvance, SyncGap } from '../domain/sync.ts';
import { z } from 'zod';
import type { Db } from './pool.ts';
import { nullableDate, parseRows } from './rows.ts';

export interface SyncStateRecord {
  tenantId: string;
  contiguousThrough: number;
  highestSequence: number;
  lastReceivedAt: Date | null;
  missingCount: number;
  oldestGapSince: Date | null;
  /** The first gaps, lowest sequences first. */
  gaps: SyncGap[];
}

const READ_MANY_SQL = `
SELECT t.id AS "tenantId", COALESCE(s.contiguous_through, 0) AS "contiguousThrough", COALESCE(s.highest_sequence, 0) AS "highestSequence",
       s.last_received_at AS "lastReceivedAt", COALESCE(g.missing, 0)::bigint AS "missingCount", g.oldest AS "oldestGapSince",
       COALESCE(f.gaps, '[]') AS gaps
  FROM unnest($1::uuid[]) AS t(id)
  LEFT JOIN sync_state s ON s.tenant_id = t.id
  CROSS JOIN LATERAL (SELECT sum(to_seq - from_seq + 1) AS missing, min(since) AS oldest FROM sync_gap WHERE tenant_id = t.id) g
  CROSS JOIN LATERAL (SELECT json_agg(json_build_object('from', x.from_seq, 'to', x.to_seq, 'since', x.since) ORDER BY x.from_seq) AS gaps
                        FROM (SELECT from_seq, to_seq, since FROM sync_gap WHERE tenant_id = t.id ORDER BY from_seq LIMIT $2) x) f`;

const syncStateRow = z.object({
  tenantId: z.string(),
  contiguousThrough: z.number().int(),
  highestSequence: z.number().int(),
  lastReceivedAt: nullableDate,
  missingCount: z.number().int(),
  oldestGapSince: nullableDate,
  gaps: z.array(z.object({ from: z.number().int(), to: z.number().int(), since: z.coerce.date() })),
});

/** Every tenant's stream position: sync_state and sync_gap. */
export function syncRepository(db: Db) {
  /**
   * The stream positions of these tenants, each with its first `gapLimit`
   * gaps (zeros for a tenant that never sent a sequence), in one statement
   * however many tenants are asked for: the operator overview asks for all.
   */
  async function readMany(tenantIds: readonly string[], gapLimit: number): Promise<SyncStateRecord[]> {
    const { rows } = await db.query(READ_MANY_SQL, [tenantIds, gapLimit]);
    return parseRows(syncStateRow, rows);
  }

  return {
    /**
     * Locks the tenant's state row (creating it), so applies of one tenant
     * take turns on the few statements that move its position on; answers
     * the highest sequence seen so far.
     */
    async lockPosition(tenantId: string): Promise<number> {
      const { rows } = await db.query<{ highest: number }>(
        `INSERT INTO sync_state (tenant_id) VALUES ($1)
         ON CONFLICT (tenant_id) DO UPDATE SET tenant_id = EXCLUDED.tenant_id
         RETURNING highest_sequence AS highest`,
        [tenantId],
      );
      return rows[0]!.highest;
    },

    /** The gaps that overlap [from, to]. */
    async gapsOverlapping(tenantId: string, from: number, to: number): Promise<SyncGap[]> {
      const { rows } = await db.query<SyncGap>(
        `SELECT from_seq AS "from", to_seq AS "to", since FROM sync_gap WHERE tenant_id = $1 AND from_seq <= $3 AND to_seq >= $2 ORDER BY from_seq`,
        [tenantId, from, to],
      );
      return rows;
    },

    /** Writes a move of the position (domain/sync.ts advanceStream); contiguousThrough follows from the lowest gap left. */
    async moveOn(tenantId: string, next: StreamAdvance, now: Date): Promise<void> {
      // Two statements: a piece of a cut gap may start where the gap did, and one statement's delete and insert are not ordered.
      if (next.removed.length > 0) await db.query(`DELETE FROM sync_gap WHERE tenant_id = $1 AND from_seq = ANY($2::bigint[])`, [tenantId, next.removed]);
      if (next.added.length > 0) {
        await db.query(
          `INSERT INTO sync_gap (tenant_id, from_seq, to_seq, since)
           SELECT $1, f, t, s FROM unnest($2::bigint[], $3::bigint[], $4::timestamptz[]) AS g(f, t, s)`,
          [tenantId, next.added.map((g) => g.from), next.added.map((g) => g.to), next.added.map((g) => g.since)],
        );
      }
      await db.query(
        `UPDATE sync_state SET highest_sequence = $2, last_received_at = $3,
                contiguous_through = COALESCE((SELECT min(from_seq) - 1 FROM sync_gap WHERE tenant_id = $1), $2)
          WHERE tenant_id = $1`,
        [tenantId, next.highestSequence, now],
      );
    },

    readMany,

    /**
     * For a reconciliation's record, in one statement (for a caller's
     * transaction, whose client runs one query at a time): the highest
     * sequence applied, how many sequences the gaps hold, and the first
     * `gapLimit` gaps.
     */
    async missing(tenantId: string, gapLimit: number): Promise<{ highest: number; missing: number; gaps: SyncGap[] }> {
      const [state] = await readMany([tenantId], gapLimit);
      return { highest: state!.highestSequence, missing: state!.missingCount, gaps: state!.gaps };
    },

    /** Over every tenant: missing sequences, the oldest gap, and the gaps first seen before `alertBefore`. Cross-tenant: metrics. */
    async totals(alertBefore: Date): Promise<{ missing: number; oldest: Date | null; alerting: number }> {
      const { rows } = await db.query<{ missing: number | null; oldest: Date | null; alerting: number }>(
        `SELECT sum(to_seq - from_seq + 1)::bigint AS missing, min(since) AS oldest, count(*) FILTER (WHERE since <= $1) AS alerting FROM sync_gap`,
        [alertBefore],
      );
      return { missing: rows[0]?.missing ?? 0, oldest: rows[0]?.oldest ?? null, alerting: rows[0]?.alerting ?? 0 };
    },
  };
}
