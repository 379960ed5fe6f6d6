import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { deliveryState } from '../contracts/adjustments.ts';
import { levelChangeReason } from '../contracts/levels.ts';
import type { AdjustmentInput, WebhookEvent } from '../domain/adjustments.ts';
import type { AttemptOutcome, DeliveryState, QueuedDelivery } from '../domain/deliveries.ts';
import { type Page, type PageRequest, pageOf } from './pages.ts';
import type { Db } from './pool.ts';
import { nullableDate, parseFirstRow, parseRows } from './rows.ts';

/** A delivery this worker holds the lease of, with everything needed to send it: the event it announces too. */
export type ClaimedDelivery = {
  id: string;
  leaseToken: string;
  attempts: number;
  failures: number;
  tenantId: string;
  tenantName: string;
  /** The secrets as stored: sealed when a SECRETS_KEY is configured (see domain/secrets.ts). */
  webhook: { url: string; encryptionKey: string; signingSecret: string } | null;
} & WebhookEvent;

export interface DeliveryRecord {
  id: string;
  adjustmentId: string;
  contactId: string;
  definitionId: number;
  amount: number;
  source: 'Manual' | 'Automation';
  state: DeliveryState;
  attempts: number;
  lastStatus: number | null;
  lastError: string | null;
  nextAttemptAt: Date | null;
  lastAttemptAt: Date | null;
  deliveredAt: Date | null;
  createdAt: Date;
}

const adjustmentCommon = { contact_id: z.string(), definition_id: z.number().int(), amount: z.number(), description: z.string() };

/**
 * The columns ADJUSTMENT_INPUT_COLUMNS selects -> the adjustment in the
 * contract's shape, as stored by adjustments.repository: a Manual one carries
 * its user, an Automation one its reason, process and workflow.
 */
export const adjustmentInputRow = z
  .discriminatedUnion('source', [
    z.object({ ...adjustmentCommon, source: z.literal('Manual'), user_id: z.string(), user_name: z.string() }),
    z.object({
      ...adjustmentCommon,
      source: z.literal('Automation'),
      reason: z.string(),
      process_id: z.string(),
      workflow_id: z.string(),
      workflow_name: z.string().nullable(),
    }),
  ])
  .transform((row): AdjustmentInput => {
    const common = { contactId: row.contact_id, definitionId: row.definition_id, amount: row.amount, description: row.description };
    if (row.source === 'Manual') return { ...common, source: 'Manual', userId: row.user_id, userName: row.user_name };
    return {
      ...common,
      source: 'Automation',
      reason: row.reason,
      processId: row.process_id,
      workflowId: row.workflow_id,
      workflowName: row.workflow_name ?? '',
    };
  });

/** What every statement that answers deliveries to queue RETURNs: `dueAt` is part of the job id, so none may leave it out. */
const queuedDeliveryRow = z.object({
  tenantId: z.string(),
  id: z.string(),
  attempts: z.number().int(),
  dueAt: nullableDate,
}) satisfies z.ZodType<QueuedDelivery>;
const QUEUED_DELIVERY_COLUMNS = `tenant_id AS "tenantId", id, attempts, next_attempt_at AS "dueAt"`;

const claimedRow = z.object({
  attempts: z.number().int(),
  failures: z.number().int(),
  tenant_id: z.string(),
  tenant_name: z.string(),
  webhook_url: z.string().nullable(),
  webhook_encryption_key: z.string().nullable(),
  webhook_signing_secret: z.string().nullable(),
  level_change_id: z.number().int().nullable(),
});

/** The level change a claimed delivery announces (its adjustment columns are then NULL). */
const claimedLevelChangeRow = z
  .object({ level_contact_id: z.string(), from_key: z.string(), to_key: z.string(), changed_at: z.date(), level_reason: levelChangeReason })
  .transform((row) => ({ contactId: row.level_contact_id, fromKey: row.from_key, toKey: row.to_key, changedAt: row.changed_at, reason: row.level_reason }));

/** A webhook secret column, NOT NULL whenever the webhook URL is set (integrations.repository writes them together). */
const secret = (value: string | null, column: string): string => {
  if (value === null) throw new Error(`tenant_integration.${column} is NULL while webhook_url is set`);
  return value;
};

// A delivery may be sent when it is due and nobody holds an unexpired lease on
// it. AwaitingConfiguration counts as due once the tenant has a webhook URL:
// that closes the gap where an adjustment committed just as the URL was set.
const sendableAt = (now: string) => `
  (d.lease_until IS NULL OR d.lease_until <= ${now})
  AND (   (d.state IN ('Pending', 'Retrying') AND d.next_attempt_at <= ${now})
       OR (d.state = 'AwaitingConfiguration'
           AND EXISTS (SELECT 1 FROM tenant_integration i WHERE i.tenant_id = d.tenant_id AND i.webhook_url IS NOT NULL)))`;

/** The adjustment columns toAdjustmentInput reads. */
export const ADJUSTMENT_INPUT_COLUMNS = `a.contact_id, a.definition_id, a.amount, a.description, a.source, a.user_id, a.user_name,
  a.reason, a.process_id, a.workflow_id, a.workflow_name`;

const RECORD_COLUMNS = `
  d.id, d.adjustment_id, a.contact_id, a.definition_id, a.amount, a.source, d.state, d.attempts, d.last_status,
  d.last_error, d.next_attempt_at, d.last_attempt_at, d.delivered_at, d.created_at`;

const deliveryRecordRow = z
  .object({
    id: z.string(),
    adjustment_id: z.string(),
    contact_id: z.string(),
    definition_id: z.number().int(),
    amount: z.number(),
    source: z.enum(['Manual', 'Automation']),
    state: deliveryState,
    attempts: z.number().int(),
    last_status: z.number().int().nullable(),
    last_error: z.string().nullable(),
    next_attempt_at: nullableDate,
    last_attempt_at: nullableDate,
    delivered_at: nullableDate,
    created_at: z.date(),
  })
  .transform((row): DeliveryRecord => ({
    id: row.id,
    adjustmentId: row.adjustment_id,
    contactId: row.contact_id,
    definitionId: row.definition_id,
    amount: row.amount,
    source: row.source,
    state: row.state,
    attempts: row.attempts,
    lastStatus: row.last_status,
    lastError: row.last_error,
    nextAttemptAt: row.next_attempt_at,
    lastAttemptAt: row.last_attempt_at,
    deliveredAt: row.delivered_at,
    createdAt: row.created_at,
  }));

const outcomesRow = z.object({ delivered: z.number().int(), failed: z.number().int(), retrying: z.number().int(), waiting: z.number().int() });
const backlogRow = z.object({ tenantId: z.string(), waiting: z.number().int(), failed: z.number().int() });

export function deliveriesRepository(db: Db) {
  return {
    /** The outbox row of a new adjustment. */
    async insert(delivery: { tenantId: string; adjustmentId: string; state: DeliveryState }, now: Date): Promise<void> {
      await db.query(
        `INSERT INTO webhook_delivery (id, tenant_id, adjustment_id, state, next_attempt_at, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $6)`,
        [randomUUID(), delivery.tenantId, delivery.adjustmentId, delivery.state, delivery.state === 'Pending' ? now : null, now],
      );
    },

    /**
     * Takes the lease on a delivery that may be sent now. The conditional
     * UPDATE is the lock: a second worker's UPDATE waits for the first to
     * commit, re-reads the row, finds the lease and claims nothing. The lease
     * outlives the HTTP call, so a worker that dies mid-send only delays the
     * delivery until the lease runs out and the recovery sweep re-queues it.
     */
    async claim(tenantId: string, id: string, now: Date, leaseMs: number): Promise<ClaimedDelivery | null> {
      const leaseToken = randomUUID();
      const { rows } = await db.query(
        `WITH claimed AS (
           UPDATE webhook_delivery d
              SET state = CASE WHEN d.state = 'AwaitingConfiguration' THEN 'Pending'::delivery_state ELSE d.state END,
                  lease_token = $3, lease_until = $2::timestamptz + make_interval(secs => $4), updated_at = $2
            WHERE d.tenant_id = $5 AND d.id = $1 AND ${sendableAt('$2')}
           RETURNING d.id, d.tenant_id, d.adjustment_id, d.level_change_id, d.attempts, d.failures)
         SELECT c.id, c.attempts, c.failures, c.tenant_id, t.name AS tenant_name,
                i.webhook_url, i.webhook_encryption_key, i.webhook_signing_secret, ${ADJUSTMENT_INPUT_COLUMNS},
                lc.id AS level_change_id, lc.contact_id AS level_contact_id, lc.from_key, lc.to_key, lc.changed_at, lc.reason AS level_reason
           FROM claimed c
           JOIN tenant t ON t.id = c.tenant_id
           LEFT JOIN point_adjustment a ON a.tenant_id = c.tenant_id AND a.id = c.adjustment_id
           LEFT JOIN member_level_change lc ON lc.tenant_id = c.tenant_id AND lc.id = c.level_change_id
           LEFT JOIN tenant_integration i ON i.tenant_id = c.tenant_id`,
        [id, now, leaseToken, leaseMs / 1000, tenantId],
      );
      const raw: unknown = rows[0];
      if (raw === undefined) return null;
      const row = claimedRow.parse(raw);
      const webhook = row.webhook_url
        ? {
            url: row.webhook_url,
            encryptionKey: secret(row.webhook_encryption_key, 'webhook_encryption_key'),
            signingSecret: secret(row.webhook_signing_secret, 'webhook_signing_secret'),
          }
        : null;
      const claimed = { id, leaseToken, attempts: row.attempts, failures: row.failures, tenantId: row.tenant_id, tenantName: row.tenant_name, webhook };
      if (row.level_change_id === null) return { ...claimed, adjustment: adjustmentInputRow.parse(raw) };
      return { ...claimed, levelChange: claimedLevelChangeRow.parse(raw) };
    },

    /** The outbox rows of recorded level changes (loyalty.levelChanged), one per change; answers them for queuing. */
    async insertForLevelChanges(tenantId: string, changeIds: readonly number[], state: DeliveryState, now: Date): Promise<QueuedDelivery[]> {
      const { rows } = await db.query(
        `INSERT INTO webhook_delivery (id, tenant_id, level_change_id, state, next_attempt_at, created_at, updated_at)
         SELECT gen_random_uuid(), $1, c, $3::delivery_state, CASE WHEN $3::delivery_state = 'Pending' THEN $4::timestamptz END, $4, $4
           FROM unnest($2::bigint[]) AS c ORDER BY c
         RETURNING ${QUEUED_DELIVERY_COLUMNS}`,
        [tenantId, changeIds, state, now],
      );
      return parseRows(queuedDeliveryRow, rows);
    },

    /** Stores the outcome of an attempt and gives up the lease; null when the lease was lost meanwhile. */
    async recordAttempt(claim: ClaimedDelivery, outcome: AttemptOutcome, attemptedAt: Date, now: Date): Promise<QueuedDelivery | null> {
      const { rows } = await db.query(
        `UPDATE webhook_delivery
            SET state = $3::delivery_state, attempts = attempts + 1, failures = $4, next_attempt_at = $5, last_attempt_at = $6,
                last_status = $7, last_error = $8, delivered_at = CASE WHEN $3::delivery_state = 'Delivered' THEN $9 ELSE delivered_at END,
                lease_token = NULL, lease_until = NULL, updated_at = $9
          WHERE tenant_id = $10 AND id = $1 AND lease_token = $2
         RETURNING ${QUEUED_DELIVERY_COLUMNS}`,
        [
          claim.id,
          claim.leaseToken,
          outcome.state,
          outcome.failures,
          outcome.nextAttemptAt,
          attemptedAt,
          outcome.lastStatus,
          outcome.lastError,
          now,
          claim.tenantId,
        ],
      );
      return parseFirstRow(queuedDeliveryRow, rows);
    },

    /** Back to waiting: the webhook URL vanished between claim and send. */
    async park(claim: ClaimedDelivery, now: Date): Promise<void> {
      await db.query(
        `UPDATE webhook_delivery SET state = 'AwaitingConfiguration', next_attempt_at = NULL, lease_token = NULL, lease_until = NULL, updated_at = $3
          WHERE tenant_id = $4 AND id = $1 AND lease_token = $2`,
        [claim.id, claim.leaseToken, now, claim.tenantId],
      );
    },

    /**
     * The tenant of a delivery not yet done, found by its id alone: only for a
     * job queued before jobs carried their tenant (a rolling upgrade).
     * Cross-tenant; it reads only the deliveries still on their way, through
     * the (state, next_attempt_at) index. Null when there is none such.
     */
    async tenantOfDelivery(id: string): Promise<string | null> {
      const { rows } = await db.query(
        `SELECT tenant_id AS "tenantId" FROM webhook_delivery WHERE state IN ('AwaitingConfiguration', 'Pending', 'Retrying') AND id = $1`,
        [id],
      );
      return parseFirstRow(z.object({ tenantId: z.string() }), rows)?.tenantId ?? null;
    },

    /** Deliveries Postgres says should be sent by now: the recovery sweep queues these. Cross-tenant maintenance, served by the (state, next_attempt_at) index. */
    async listSendable(now: Date, limit: number): Promise<QueuedDelivery[]> {
      const { rows } = await db.query(
        `SELECT d.tenant_id AS "tenantId", d.id, d.attempts, d.next_attempt_at AS "dueAt" FROM webhook_delivery d WHERE ${sendableAt('$1')}
          ORDER BY d.next_attempt_at NULLS FIRST LIMIT $2`,
        [now, limit],
      );
      return parseRows(queuedDeliveryRow, rows);
    },

    async list(tenantId: string, filter: { state?: DeliveryState | undefined } & PageRequest): Promise<Page<DeliveryRecord>> {
      const listing = {
        columns: RECORD_COLUMNS,
        from: `webhook_delivery d JOIN point_adjustment a ON a.tenant_id = d.tenant_id AND a.id = d.adjustment_id
                WHERE d.tenant_id = $1 AND ($2::delivery_state IS NULL OR d.state = $2)`,
        countFrom: 'webhook_delivery d WHERE d.tenant_id = $1 AND ($2::delivery_state IS NULL OR d.state = $2)',
        orderBy: 'a.seq DESC',
      };
      const { items, totalCount } = await pageOf(db, listing, [tenantId, filter.state ?? null], filter);
      return { items: parseRows(deliveryRecordRow, items), totalCount };
    },

    async find(tenantId: string, id: string): Promise<DeliveryRecord | null> {
      const { rows } = await db.query(
        `SELECT ${RECORD_COLUMNS} FROM webhook_delivery d JOIN point_adjustment a ON a.tenant_id = d.tenant_id AND a.id = d.adjustment_id WHERE d.tenant_id = $1 AND d.id = $2`,
        [tenantId, id],
      );
      return parseFirstRow(deliveryRecordRow, rows);
    },

    /**
     * Sends a dead letter (or a delivery waiting for its next retry) again now,
     * with a fresh retry schedule. Null when it is not in such a state or a
     * worker holds it at this moment.
     */
    async replay(tenantId: string, id: string, now: Date): Promise<QueuedDelivery | null> {
      const { rows } = await db.query(
        `UPDATE webhook_delivery SET state = 'Pending', failures = 0, next_attempt_at = $3, updated_at = $3
          WHERE tenant_id = $1 AND id = $2 AND state IN ('Failed', 'Retrying') AND (lease_until IS NULL OR lease_until <= $3)
         RETURNING ${QUEUED_DELIVERY_COLUMNS}`,
        [tenantId, id, now],
      );
      return parseFirstRow(queuedDeliveryRow, rows);
    },

    /** Per tenant with any: deliveries still on their way (waiting for a URL, pending, retrying) and dead letters. Cross-tenant: the operator overview. */
    async backlog(): Promise<{ tenantId: string; waiting: number; failed: number }[]> {
      const { rows } = await db.query(
        `SELECT tenant_id AS "tenantId", (count(*) FILTER (WHERE state <> 'Failed'))::int AS waiting, (count(*) FILTER (WHERE state = 'Failed'))::int AS failed
           FROM webhook_delivery WHERE state <> 'Delivered' GROUP BY tenant_id`,
      );
      return parseRows(backlogRow, rows);
    },

    /** Webhook outcomes since `since`: delivered and failed by when it happened, retrying and waiting as they stand. Cross-tenant: the operator overview. */
    async outcomes(since: Date): Promise<{ delivered: number; failed: number; retrying: number; waiting: number }> {
      const { rows } = await db.query(
        `SELECT (count(*) FILTER (WHERE state = 'Delivered' AND delivered_at >= $1))::int AS delivered,
                (count(*) FILTER (WHERE state = 'Failed' AND last_attempt_at >= $1))::int AS failed,
                (count(*) FILTER (WHERE state = 'Retrying'))::int AS retrying,
                (count(*) FILTER (WHERE state IN ('Pending', 'AwaitingConfiguration')))::int AS waiting
           FROM webhook_delivery WHERE state <> 'Delivered' OR delivered_at >= $1`,
        [since],
      );
      return outcomesRow.parse(rows[0]);
    },

    /** Makes the tenant's waiting deliveries Pending: it has just been given a webhook URL. */
    async releaseAwaiting(tenantId: string, now: Date): Promise<QueuedDelivery[]> {
      const { rows } = await db.query(
        `UPDATE webhook_delivery SET state = 'Pending', next_attempt_at = $2, updated_at = $2
          WHERE tenant_id = $1 AND state = 'AwaitingConfiguration'
         RETURNING ${QUEUED_DELIVERY_COLUMNS}`,
        [tenantId, now],
      );
      return parseRows(queuedDeliveryRow, rows);
    },

    async replayAllFailed(tenantId: string, now: Date): Promise<QueuedDelivery[]> {
      const { rows } = await db.query(
        `UPDATE webhook_delivery SET state = 'Pending', failures = 0, next_attempt_at = $2, updated_at = $2
          WHERE tenant_id = $1 AND state = 'Failed'
         RETURNING ${QUEUED_DELIVERY_COLUMNS}`,
        [tenantId, now],
      );
      return parseRows(queuedDeliveryRow, rows);
    },
  };
}
