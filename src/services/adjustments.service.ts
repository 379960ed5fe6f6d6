import type { Database } from '../db/database.ts';
import type { AdjustmentInput, AdjustmentRecord } from '../domain/adjustments.ts';
import type { Clock } from '../domain/clock.ts';
import type { TenantRecord } from '../domain/tenants.ts';
import { AppError, notFound } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { ensurePointSystemActive, ensureWithinAdjustmentLimit } from './guards.ts';
import { type Answered, storeAnswer, underIdempotencyKey } from './idempotency.ts';
import type { QueueDeliveries } from './queueing.ts';
import { answerBeforeCommit } from './answer-check.ts';
import type { PageRequest } from '../db/pages.ts';

type AlsoInTransaction = (tx: Database, created: AdjustmentRecord) => Promise<void>;

/** What an Idempotency-Key keeps of an adjustment: which one it made. */
interface StoredAnswer {
  adjustmentId: string;
}

/**
 * Point adjustments made in Engage. They never change a balance here: each
 * is recorded with its webhook in one transaction and sent to the master,
 * whose next sync brings the new balance back.
 */
export function adjustmentsService(deps: { db: Database; clock: Clock; log: Logger; queueDeliveries: QueueDeliveries }) {
  const { db, clock, log, queueDeliveries } = deps;

  /**
   * The adjustment and its outbox row, committed together: once this
   * resolves, the webhook will be sent however Redis or the worker fare.
   * Pending when the tenant has a webhook URL, else AwaitingConfiguration.
   * `alsoInTransaction` runs in that transaction (to store an Idempotency-Key answer with it).
   */
  async function record(tenant: TenantRecord, input: AdjustmentInput, alsoInTransaction?: AlsoInTransaction): Promise<AdjustmentRecord> {
    ensurePointSystemActive(tenant);
    ensureWithinAdjustmentLimit(tenant, input.amount, 'amount');
    const now = clock.now();
    const created = await db.transaction(async (tx): Promise<AdjustmentRecord> => {
      if ((await tx.definitions.known(tenant.id, [input.definitionId])).size === 0) {
        const message = `point definition ${input.definitionId} does not exist for this tenant`;
        throw new AppError('validation', `Unknown definitionId: ${message}`, [{ path: 'definitionId', message }]);
      }
      const state = (await tx.integrations.hasWebhook(tenant.id)) ? 'Pending' : 'AwaitingConfiguration';
      const id = await tx.adjustments.insert(tenant.id, input, now);
      await tx.deliveries.insert({ tenantId: tenant.id, adjustmentId: id, state }, now);
      const found = await tx.adjustments.find(tenant.id, id);
      if (!found) throw new Error(`Adjustment ${id} vanished inside its own transaction`);
      await alsoInTransaction?.(tx, found);
      return found;
    });
    if (created.deliveryState === 'Pending')
      await queueDeliveries([{ tenantId: tenant.id, id: created.eventId, attempts: created.attempts, dueAt: created.nextAttemptAt }]);
    return created;
  }

  async function find(tenant: TenantRecord, id: string) {
    const found = await db.adjustments.find(tenant.id, id);
    if (!found) throw notFound(`Adjustment ${id}`);
    return found;
  }

  return {
    record,
    find,

    /**
     * An adjustment from the API or the contact card. With an Idempotency-Key,
     * a retry gets the adjustment the first request made (as it stands now)
     * and nothing is recorded or sent twice.
     */
    create(tenant: TenantRecord, input: AdjustmentInput, idempotencyKey: string | undefined): Promise<Answered<AdjustmentRecord>> {
      return underIdempotencyKey(
        { db, log },
        { tenant, key: idempotencyKey, request: { adjustment: input }, now: clock.now() },
        (hold) =>
          record(tenant, input, async (tx, created) => {
            await storeAnswer(tx, hold, { adjustmentId: created.id } satisfies StoredAnswer);
            await answerBeforeCommit(tx, created);
          }),
        (stored) => find(tenant, (stored as StoredAnswer).adjustmentId),
      );
    },

    list: (tenant: TenantRecord, contactId: string, page: PageRequest) => db.adjustments.listByContact(tenant.id, contactId, page),
  };
}

export type AdjustmentsService = ReturnType<typeof adjustmentsService>;
