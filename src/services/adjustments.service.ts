import type { AdjustmentInput } from '../contracts/adjustments.ts';
import type { Database } from '../db/database.ts';
import type { AdjustmentRecord } from '../domain/adjustments.ts';
import type { Clock } from '../domain/clock.ts';
import type { TenantRecord } from '../domain/tenants.ts';
import { AppError, notFound } from '../errors.ts';
import { ensurePointSystemActive } from './guards.ts';
import type { HeldKey, IdempotentRequests, Once } from './idempotent.ts';
import type { QueueDeliveries } from './queueing.ts';

/** What an Idempotency-Key keeps of an adjustment: which one it made. */
interface StoredAnswer {
  adjustmentId: string;
}

/**
 * Point adjustments made in Engage. They never change a balance here: each
 * is recorded with its webhook in one transaction and sent to the master,
 * whose next sync brings the new balance back.
 */
export function adjustmentsService(deps: { db: Database; clock: Clock; once: IdempotentRequests; queueDeliveries: QueueDeliveries }) {
  const { db, clock, once, queueDeliveries } = deps;

  /**
   * The adjustment and its outbox row, committed together: once this
   * resolves, the webhook will be sent however Redis or the worker fare.
   * Pending when the tenant has a webhook URL, else AwaitingConfiguration.
   */
  const record = (tenant: TenantRecord, input: AdjustmentInput, now: Date, held: HeldKey | null) =>
    db.transaction(async (tx): Promise<AdjustmentRecord> => {
      if ((await tx.definitions.known(tenant.id, [input.definitionId])).size === 0) {
        const message = `point definition ${input.definitionId} does not exist for this tenant`;
        throw new AppError('validation', `Unknown definitionId: ${message}`, [{ path: 'definitionId', message }]);
      }
      const state = (await tx.integrations.hasWebhook(tenant.id)) ? 'Pending' : 'AwaitingConfiguration';
      const id = await tx.adjustments.insert(tenant.id, input, now);
      await tx.deliveries.insert({ tenantId: tenant.id, adjustmentId: id, state }, now);
      const created = await tx.adjustments.find(tenant.id, id);
      if (!created) throw new Error(`Adjustment ${id} vanished inside its own transaction`);
      await held?.complete(tx, { adjustmentId: id } satisfies StoredAnswer, null);
      return created;
    });

  return {
    /**
     * With an Idempotency-Key, a retry gets the adjustment the first request
     * made (as it stands now) and nothing is recorded or sent twice.
     */
    async create(tenant: TenantRecord, input: AdjustmentInput, idempotencyKey?: string): Promise<Once<AdjustmentRecord>> {
      ensurePointSystemActive(tenant);
      return once(
        tenant.id,
        idempotencyKey,
        { adjustment: input },
        async (held) => {
          const created = await record(tenant, input, clock.now(), held);
          if (created.deliveryState === 'Pending') await queueDeliveries([{ id: created.eventId, attempts: created.attempts }]);
          return created;
        },
        async (stored) => {
          const { adjustmentId } = stored as StoredAnswer;
          const found = await db.adjustments.find(tenant.id, adjustmentId);
          if (!found) throw notFound(`Adjustment ${adjustmentId}`);
          return found;
        },
      );
    },

    async find(tenant: TenantRecord, id: string) {
      const found = await db.adjustments.find(tenant.id, id);
      if (!found) throw notFound(`Adjustment ${id}`);
      return found;
    },

    list: (tenant: TenantRecord, contactId: string, page: { offset: number; count: number }) => db.adjustments.listByContact(tenant.id, contactId, page),
  };
}

export type AdjustmentsService = ReturnType<typeof adjustmentsService>;
