import type { DuplicateRow } from '../domain/transactions.ts';
import type { BatchKind, BatchStatus } from '../domain/batches.ts';
import type { Db } from './pool.ts';

export interface BatchStatusRecord {
  id: string;
  status: BatchStatus;
  statusAt: Date;
  itemCount: number;
  appliedCount: number;
  skippedCount: number;
  duplicateCount: number;
  duplicates: DuplicateRow[];
  messages: { message: string; createdAt: Date }[];
}

export interface TenantPushActivity {
  tenantId: string;
  lastPushAt: Date | null;
  pushes: number;
  items: number;
  batchesWithErrors: number;
}

export interface UnfinishedBatch {
  tenantId: string;
  id: string;
  kind: BatchKind;
}

/** The tenant mode each kind of batch belongs to. */
const modeOfKind: Record<BatchKind, string> = { balances: 'balance-only', transactions: 'all-transaction' };

export interface NewBatch {
  id: string;
  tenantId: string;
  kind: BatchKind;
  /** Rows the client sent, accepted or not (the status endpoint's itemCount). */
  itemCount: number;
  /** The rows the worker will apply. */
  payload: unknown[];
  /** Rows refused on arrival, with why; a batch with nothing left to apply is stored already final. */
  refused?: { messages: string[]; count: number };
  /** Rows already in the ledger (sync assurance): reported, not applied again. */
  duplicates?: DuplicateRow[];
  now: Date;
}

export function batchesRepository(db: Db) {
  async function addMessages(tenantId: string, batchId: string, messages: readonly string[], now: Date): Promise<void> {
    await db.query(`INSERT INTO batch_message (tenant_id, batch_id, message, created_at) SELECT $1, $2, m, $4 FROM unnest($3::text[]) AS m`, [
      tenantId,
      batchId,
      messages,
      now,
    ]);
  }

  return {
    /**
     * Stores a batch as accepted, only while its tenant is in the batch's mode
     * with the point system on, reading the tenant row FOR SHARE: a mode switch
     * (which holds that row while it checks for unfinished batches) either
     * waits for this insert to commit and then sees the batch, or finishes
     * first and this insert stores nothing. False in that second case. Once
     * committed, the batch is durable.
     */
    async insert(batch: NewBatch): Promise<boolean> {
      const refusedCount = batch.refused?.count ?? 0;
      const final = batch.payload.length === 0;
      const { rowCount } = await db.query(
        `INSERT INTO ingest_batch (id, tenant_id, kind, status, item_count, skipped_count, payload, created_at, status_at, finished_at,
                                   duplicate_count, duplicates)
         SELECT $1::uuid, t.id, $3::batch_kind, $4::batch_status, $5::int, $6::int, $7::json, $8::timestamptz, $8::timestamptz, $9::timestamptz,
                $11::int, $12::json
           FROM tenant t WHERE t.id = $2 AND t.mode = $10::tenant_mode AND t.point_system_active
            FOR SHARE`,
        [
          batch.id,
          batch.tenantId,
          batch.kind,
          final ? (refusedCount > 0 ? 'CompletedWithErrors' : 'Completed') : 'Queued',
          batch.itemCount,
          refusedCount,
          JSON.stringify(batch.payload),
          batch.now,
          final ? batch.now : null,
          modeOfKind[batch.kind],
          batch.duplicates?.length ?? 0,
          JSON.stringify(batch.duplicates ?? []),
        ],
      );
      if (rowCount === 0) return false;
      if (batch.refused && batch.refused.messages.length > 0) await addMessages(batch.tenantId, batch.id, batch.refused.messages, batch.now);
      return true;
    },

    /** Items accepted but not applied yet: the tenant's (0 without one) and everyone's (a cross-tenant sum, over the cell's own tenants). */
    async backlog(tenantId: string | null = null): Promise<{ tenant: number; total: number }> {
      const { rows } = await db.query<{ tenant: number; total: number }>(
        `SELECT coalesce(sum(item_count) FILTER (WHERE tenant_id = $1), 0)::bigint::float8 AS tenant, coalesce(sum(item_count), 0)::bigint::float8 AS total
           FROM ingest_batch WHERE status IN ('Queued', 'Processing')`,
        [tenantId],
      );
      return rows[0]!;
    },

    async findStatus(tenantId: string, id: string): Promise<BatchStatusRecord | null> {
      const { rows } = await db.query<Omit<BatchStatusRecord, 'messages'> & { messages: { message: string; createdAt: string }[] }>(
        `SELECT id, status, status_at AS "statusAt", item_count AS "itemCount", applied_count AS "appliedCount", skipped_count AS "skippedCount",
                duplicate_count AS "duplicateCount", duplicates,
                COALESCE((SELECT json_agg(json_build_object('message', m.message, 'createdAt', m.created_at) ORDER BY m.id)
                            FROM batch_message m WHERE m.tenant_id = b.tenant_id AND m.batch_id = b.id), '[]') AS messages
           FROM ingest_batch b WHERE b.tenant_id = $1 AND b.id = $2`,
        [tenantId, id],
      );
      const row = rows[0];
      if (!row) return null;
      return { ...row, messages: row.messages.map((m) => ({ message: m.message, createdAt: new Date(m.createdAt) })) };
    },

    /**
     * Claims a batch for processing: Queued -> Processing. The worker commits
     * this on its own so the status endpoint shows it. Null when the batch is
     * missing or already final.
     */
    async markProcessing(tenantId: string, id: string, now: Date): Promise<{ kind: BatchKind } | null> {
      const { rows } = await db.query<{ kind: BatchKind }>(
        `UPDATE ingest_batch SET status = 'Processing', status_at = $3, attempts = attempts + 1
          WHERE tenant_id = $1 AND id = $2 AND status IN ('Queued', 'Processing')
          RETURNING kind`,
        [tenantId, id, now],
      );
      return rows[0] ?? null;
    },

    /**
     * The tenant of an unfinished batch, found by its id alone: only for a job
     * queued before jobs carried their tenant (a rolling upgrade). Cross-tenant;
     * it reads only unfinished batches, through the (status, created_at) index.
     * Null when the batch is final: such a job has nothing left to do.
     */
    async tenantOfBatch(id: string): Promise<string | null> {
      const { rows } = await db.query<{ tenantId: string }>(
        `SELECT tenant_id AS "tenantId" FROM ingest_batch WHERE status IN ('Queued', 'Processing') AND id = $1`,
        [id],
      );
      return rows[0]?.tenantId ?? null;
    },

    /**
     * Batches Postgres says are unfinished and that nobody touched for `graceMs`: the recovery sweep re-queues these.
     * Cross-tenant maintenance, served by the (status, created_at) index.
     */
    async listUnfinished(now: Date, graceMs: number, limit: number): Promise<UnfinishedBatch[]> {
      const { rows } = await db.query<UnfinishedBatch>(
        `SELECT tenant_id AS "tenantId", id, kind FROM ingest_batch
          WHERE status IN ('Queued', 'Processing') AND status_at < $1::timestamptz - make_interval(secs => $2)
          ORDER BY created_at LIMIT $3`,
        [now, graceMs / 1000, limit],
      );
      return rows;
    },

    async markFailed(tenantId: string, id: string, message: string, now: Date): Promise<void> {
      await db.query(
        `WITH failed AS (
           UPDATE ingest_batch SET status = 'Failed', status_at = $4, finished_at = $4, payload = '[]'
            WHERE tenant_id = $1 AND id = $2 AND status IN ('Queued', 'Processing') RETURNING tenant_id, id)
         INSERT INTO batch_message (tenant_id, batch_id, message, created_at) SELECT tenant_id, id, $3, $4 FROM failed`,
        [tenantId, id, message, now],
      );
    },

    /**
     * Locks the batch row for the applying transaction and answers its items,
     * as the API stored them after validating them (nothing else writes a
     * payload, so they are not validated a second time). Null when the batch
     * is already final: a job delivered twice finds the work done.
     */
    async lockForApply<Item>(tenantId: string, id: string): Promise<{ items: Item[] } | null> {
      const { rows } = await db.query<{ items: Item[] }>(
        `SELECT payload AS items FROM ingest_batch WHERE tenant_id = $1 AND id = $2 AND status IN ('Queued', 'Processing') FOR UPDATE`,
        [tenantId, id],
      );
      return rows[0] ?? null;
    },

    /**
     * Records the outcome of an applied batch in the applying transaction.
     * Skips add to those recorded on arrival (rows refused by the API). The
     * items are dropped: only the apply reads them, and a final batch is never
     * applied again.
     */
    async finish(
      tenantId: string,
      id: string,
      outcome: { appliedCount: number; skipped: { message: string }[]; duplicates?: DuplicateRow[] },
      now: Date,
    ): Promise<BatchStatus> {
      const duplicates = outcome.duplicates ?? [];
      if (outcome.skipped.length > 0)
        await addMessages(
          tenantId,
          id,
          outcome.skipped.map((s) => s.message),
          now,
        );
      const { rows } = await db.query<{ status: BatchStatus }>(
        `UPDATE ingest_batch
            SET status = CASE WHEN skipped_count + $3 > 0 THEN 'CompletedWithErrors' ELSE 'Completed' END::batch_status,
                applied_count = $2, skipped_count = skipped_count + $3, status_at = $4, finished_at = $4,
                duplicate_count = duplicate_count + $5, payload = '[]',
                duplicates = CASE WHEN $5 = 0 THEN duplicates ELSE (duplicates::jsonb || $6::jsonb)::json END
          WHERE tenant_id = $7 AND id = $1
          RETURNING status`,
        [id, outcome.appliedCount, outcome.skipped.length, now, duplicates.length, JSON.stringify(duplicates), tenantId],
      );
      return rows[0]!.status;
    },

    /**
     * Per tenant: the last push ever, and the pushes, items and batches that
     * ended with errors since `since`. One index lookup per tenant on
     * (tenant_id, created_at).
     */
    async activity(tenantIds: readonly string[], since: Date): Promise<TenantPushActivity[]> {
      const { rows } = await db.query<TenantPushActivity>(
        `SELECT t.id AS "tenantId",
                (SELECT max(b.created_at) FROM ingest_batch b WHERE b.tenant_id = t.id) AS "lastPushAt",
                s.pushes, s.items, s.with_errors AS "batchesWithErrors"
           FROM unnest($1::uuid[]) AS t(id)
           CROSS JOIN LATERAL (
             SELECT count(*)::int AS pushes, COALESCE(sum(b.item_count), 0)::int AS items,
                    (count(*) FILTER (WHERE b.status IN ('CompletedWithErrors', 'Failed')))::int AS with_errors
               FROM ingest_batch b WHERE b.tenant_id = t.id AND b.created_at >= $2) s`,
        [tenantIds, since],
      );
      return rows;
    },

    /** Items applied per minute since `since`, by the minute their batch finished (minutes without any are left out). Cross-tenant: the operator overview. */
    async appliedPerMinute(since: Date): Promise<{ minute: Date; applied: number }[]> {
      const { rows } = await db.query<{ minute: Date; applied: number }>(
        `SELECT date_trunc('minute', finished_at) AS minute, sum(applied_count)::int AS applied
           FROM ingest_batch WHERE finished_at >= $1 GROUP BY 1 ORDER BY 1`,
        [since],
      );
      return rows;
    },

    /**
     * Deletes final batches accepted before `before` (their messages go with
     * them), in bounded chunks so a large backlog never holds one long
     * transaction. Cross-tenant maintenance, served by the (status, created_at) index.
     */
    async deleteFinishedBefore(before: Date, chunk = 5000): Promise<number> {
      let total = 0;
      for (;;) {
        const { rowCount } = await db.query(
          `DELETE FROM ingest_batch WHERE ctid = ANY(ARRAY(
             SELECT ctid FROM ingest_batch WHERE status IN ('Completed', 'CompletedWithErrors', 'Failed') AND created_at < $1 LIMIT $2))`,
          [before, chunk],
        );
        total += rowCount ?? 0;
        if ((rowCount ?? 0) < chunk) return total;
      }
    },

    async countUnfinished(tenantId: string): Promise<number> {
      const { rows } = await db.query<{ n: number }>(`SELECT count(*) AS n FROM ingest_batch WHERE tenant_id = $1 AND status IN ('Queued', 'Processing')`, [
        tenantId,
      ]);
      return rows[0]?.n ?? 0;
    },
  };
}
