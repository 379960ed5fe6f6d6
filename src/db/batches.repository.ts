import { randomUUID } from 'node:crypto';
import type { BatchStatus } from '../contracts/balances.ts';
import { type Pool, type PoolClient, withTransaction } from './pool.ts';

export type BatchKind = 'balances' | 'transactions';

export const FINAL_STATUSES: ReadonlySet<BatchStatus> = new Set(['Completed', 'CompletedWithErrors', 'Failed']);

export interface BatchStatusRecord {
  id: string;
  status: BatchStatus;
  statusAt: Date;
  itemCount: number;
  appliedCount: number;
  skippedCount: number;
  messages: { message: string; createdAt: Date }[];
}

/** What applying a batch did; 'already-final' when a repeated job found it done. */
export type ApplyResult = { status: BatchStatus; appliedCount: number; skippedCount: number } | 'already-final';

export interface UnfinishedBatch {
  id: string;
  kind: BatchKind;
}

export function batchesRepository(pool: Pool) {
  return {
    /**
     * Stores a batch as accepted; when this resolves the batch is durable. Null
     * when the tenant's mode or point system changed while the request was
     * handled (see insertBatch).
     */
    async insert(tenantId: string, kind: BatchKind, items: unknown[], now: Date): Promise<string | null> {
      const id = randomUUID();
      const stored = await insertBatch(pool, { id, tenantId, kind, itemCount: items.length, payload: items, now });
      return stored ? id : null;
    },

    async findStatus(tenantId: string, id: string): Promise<BatchStatusRecord | null> {
      const { rows } = await pool.query(
        `SELECT id, status, status_at, item_count, applied_count, skipped_count,
                COALESCE((SELECT json_agg(json_build_object('message', m.message, 'createdAt', m.created_at) ORDER BY m.id)
                            FROM batch_message m WHERE m.batch_id = b.id), '[]') AS messages
           FROM ingest_batch b WHERE id = $1 AND tenant_id = $2`,
        [id, tenantId],
      );
      const row = rows[0];
      if (!row) return null;
      return {
        id: row.id,
        status: row.status,
        statusAt: row.status_at,
        itemCount: row.item_count,
        appliedCount: row.applied_count,
        skippedCount: row.skipped_count,
        messages: row.messages.map((m: { message: string; createdAt: string }) => ({ message: m.message, createdAt: new Date(m.createdAt) })),
      };
    },

    /**
     * Claims a batch for processing: Queued -> Processing, committed on its own so
     * the status endpoint shows it. Null when the batch is missing or already final.
     * The commit does not wait for the disk: a claim lost in a crash leaves the
     * batch Queued, and the sweep queues it again. Waiting cost a second WAL
     * flush per batch, queued behind the flushes of accepts.
     */
    async markProcessing(id: string, now: Date): Promise<{ tenantId: string; kind: BatchKind } | null> {
      const { rows } = await withTransaction(
        pool,
        (client) =>
          client.query(
            `UPDATE ingest_batch SET status = 'Processing', status_at = $2, attempts = attempts + 1
              WHERE id = $1 AND status IN ('Queued', 'Processing')
              RETURNING tenant_id, kind`,
            [id, now],
          ),
        { asyncCommit: true },
      );
      return rows[0] ? { tenantId: rows[0].tenant_id, kind: rows[0].kind } : null;
    },

    /** Batches Postgres says are unfinished and that nobody touched for `graceMs`: the recovery sweep re-queues these. */
    async listUnfinished(now: Date, graceMs: number, limit: number): Promise<UnfinishedBatch[]> {
      const { rows } = await pool.query(
        `SELECT id, kind FROM ingest_batch
          WHERE status IN ('Queued', 'Processing') AND status_at < $1::timestamptz - make_interval(secs => $2)
          ORDER BY created_at LIMIT $3`,
        [now, graceMs / 1000, limit],
      );
      return rows;
    },

    async markFailed(id: string, message: string, now: Date): Promise<void> {
      await pool.query(
        `WITH failed AS (
           UPDATE ingest_batch SET status = 'Failed', status_at = $3, finished_at = $3
            WHERE id = $1 AND status IN ('Queued', 'Processing') RETURNING id)
         INSERT INTO batch_message (batch_id, message, created_at) SELECT id, $2, $3 FROM failed`,
        [id, message, now],
      );
    },
  };
}

export type BatchesRepository = ReturnType<typeof batchesRepository>;

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
  now: Date;
}

/**
 * Inserts a batch only while its tenant is in the batch's mode with the point
 * system on, reading the tenant row FOR SHARE: a mode switch (which holds that
 * row while it checks for unfinished batches) either waits for this insert to
 * commit and then sees the batch, or finishes first and this insert stores
 * nothing. False in that second case.
 */
export async function insertBatch(db: Pool | PoolClient, batch: NewBatch): Promise<boolean> {
  const refusedCount = batch.refused?.count ?? 0;
  const final = batch.payload.length === 0;
  const { rowCount } = await db.query(
    `INSERT INTO ingest_batch (id, tenant_id, kind, status, item_count, skipped_count, payload, created_at, status_at, finished_at)
     SELECT $1::uuid, t.id, $3::batch_kind, $4::batch_status, $5::int, $6::int, $7::json, $8::timestamptz, $8::timestamptz, $9::timestamptz
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
    ],
  );
  if (rowCount === 0) return false;
  if (batch.refused && batch.refused.messages.length > 0) {
    await db.query(`INSERT INTO batch_message (batch_id, message, created_at) SELECT $1, m, $3 FROM unnest($2::text[]) AS m`, [
      batch.id,
      batch.refused.messages,
      batch.now,
    ]);
  }
  return true;
}

/**
 * Locks the batch row for the applying transaction. Null when it is already
 * final: a job delivered twice finds the work done and changes nothing.
 */
export async function lockBatchForApply(client: PoolClient, id: string): Promise<{ tenantId: string; payload: unknown } | null> {
  const { rows } = await client.query(
    `SELECT tenant_id, payload FROM ingest_batch WHERE id = $1 AND status IN ('Queued', 'Processing') FOR UPDATE`,
    [id],
  );
  return rows[0] ? { tenantId: rows[0].tenant_id, payload: rows[0].payload } : null;
}

/**
 * Records the outcome of an applied batch in the applying transaction. Skips add
 * to those recorded on arrival (rows refused by the API).
 */
export async function finishBatch(
  client: PoolClient,
  id: string,
  outcome: { appliedCount: number; skipped: { message: string }[] },
  now: Date,
): Promise<BatchStatus> {
  if (outcome.skipped.length > 0) {
    await client.query(
      `INSERT INTO batch_message (batch_id, message, created_at) SELECT $1, m, $3 FROM unnest($2::text[]) AS m`,
      [id, outcome.skipped.map((s) => s.message), now],
    );
  }
  const { rows } = await client.query(
    `UPDATE ingest_batch
        SET status = CASE WHEN skipped_count + $3 > 0 THEN 'CompletedWithErrors' ELSE 'Completed' END::batch_status,
            applied_count = $2, skipped_count = skipped_count + $3, status_at = $4, finished_at = $4
      WHERE id = $1
      RETURNING status`,
    [id, outcome.appliedCount, outcome.skipped.length, now],
  );
  return rows[0].status;
}
