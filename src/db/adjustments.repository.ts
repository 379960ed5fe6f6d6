import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { deliveryState } from '../contracts/adjustments.ts';
import type { AdjustmentInput, AdjustmentRecord } from '../domain/adjustments.ts';
import { ADJUSTMENT_INPUT_COLUMNS, adjustmentInputRow } from './deliveries.repository.ts';
import { type Page, type PageRequest, pageOf } from './pages.ts';
import type { Db } from './pool.ts';
import { nullableDate, parseRows } from './rows.ts';

/**
 * An adjustment is confirmed when the master sent back a transaction whose
 * externalId is the webhook's event id: found through the ledger's unique
 * (tenant, externalId) key at read time, so nothing has to be written when
 * the transaction arrives.
 */
const RECORD_COLUMNS = `a.id, a.created_at, ${ADJUSTMENT_INPUT_COLUMNS},
         d.id AS event_id, d.state, d.attempts, d.last_error, d.next_attempt_at, d.delivered_at,
         c.id AS confirmed_entry_id, c.created_at AS confirmed_at`;
const RECORD_FROM = `point_adjustment a JOIN webhook_delivery d ON d.tenant_id = a.tenant_id AND d.adjustment_id = a.id
    LEFT JOIN ledger_entry c ON c.tenant_id = a.tenant_id AND c.external_id = d.id::text`;
const SELECT_RECORD = `SELECT ${RECORD_COLUMNS} FROM ${RECORD_FROM}`;

/** A SELECT_RECORD row: the adjustment as sent (adjustmentInputRow) with its delivery and confirmation. */
const recordRow = z
  .object({
    adjustment: adjustmentInputRow,
    id: z.string(),
    created_at: z.date(),
    event_id: z.string(),
    state: deliveryState,
    attempts: z.number().int(),
    last_error: z.string().nullable(),
    next_attempt_at: nullableDate,
    delivered_at: nullableDate,
    confirmed_entry_id: z.number().int().nullable(),
    confirmed_at: nullableDate,
  })
  .transform((row): AdjustmentRecord => ({
    ...row.adjustment,
    id: row.id,
    createdAt: row.created_at,
    eventId: row.event_id,
    deliveryState: row.state,
    attempts: row.attempts,
    lastError: row.last_error,
    nextAttemptAt: row.next_attempt_at,
    deliveredAt: row.delivered_at,
    confirmedTransactionId: row.confirmed_entry_id,
    confirmedAt: row.confirmed_at,
  }));

/** The adjustment columns sit beside the others in one row; the parser reads them as one nested value. */
const parseRecords = (rows: readonly object[]) =>
  parseRows(
    recordRow,
    rows.map((row) => ({ ...row, adjustment: row })),
  );

export function adjustmentsRepository(db: Db) {
  return {
    /** Records the adjustment; its outbox row goes in the same transaction (deliveries.insert). */
    async insert(tenantId: string, input: AdjustmentInput, now: Date): Promise<string> {
      const id = randomUUID();
      const manual = input.source === 'Manual' ? input : null;
      const automation = input.source === 'Automation' ? input : null;
      await db.query(
        `INSERT INTO point_adjustment (id, tenant_id, contact_id, definition_id, amount, description, source,
                                       user_id, user_name, reason, process_id, workflow_id, workflow_name, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
        [
          id,
          tenantId,
          input.contactId,
          input.definitionId,
          input.amount,
          input.description,
          input.source,
          manual?.userId ?? null,
          manual?.userName ?? null,
          automation?.reason ?? null,
          automation?.processId ?? null,
          automation?.workflowId ?? null,
          automation?.workflowName ?? null,
          now,
        ],
      );
      return id;
    },

    async find(tenantId: string, id: string): Promise<AdjustmentRecord | null> {
      const { rows } = await db.query(`${SELECT_RECORD} WHERE a.tenant_id = $1 AND a.id = $2`, [tenantId, id]);
      return parseRecords(rows)[0] ?? null;
    },

    async listByContact(tenantId: string, contactId: string, page: PageRequest): Promise<Page<AdjustmentRecord>> {
      const listing = {
        columns: RECORD_COLUMNS,
        from: `${RECORD_FROM} WHERE a.tenant_id = $1 AND a.contact_id = $2`,
        countFrom: 'point_adjustment a WHERE a.tenant_id = $1 AND a.contact_id = $2',
        orderBy: 'a.seq DESC',
      };
      const { items, totalCount } = await pageOf(db, listing, [tenantId, contactId], page);
      return { items: parseRecords(items), totalCount };
    },
  };
}
