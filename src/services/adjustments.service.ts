import type { AdjustmentInput } from '../contracts/adjustments.ts';
import type { AdjustmentsRepository } from '../db/adjustments.repository.ts';
import type { TenantRecord } from '../db/tenants.repository.ts';
import type { Clock } from '../domain/clock.ts';
import { AppError, notFound } from '../errors.ts';
import type { QueueDeliveries } from './delivery-queue.ts';
import { ensurePointSystemActive } from './ingest.service.ts';

/**
 * Point adjustments made in Engage. They never change a balance here: each
 * is recorded with its webhook in one transaction and sent to the master,
 * whose next sync brings the new balance back.
 */
export function adjustmentsService(deps: { adjustments: AdjustmentsRepository; clock: Clock; queueDeliveries: QueueDeliveries }) {
  const { adjustments, clock, queueDeliveries } = deps;
  return {
    async create(tenant: TenantRecord, input: AdjustmentInput) {
      ensurePointSystemActive(tenant);
      const record = await adjustments.create(tenant.id, input, clock.now());
      if (record === 'unknown-definition') {
        const message = `point definition ${input.definitionId} does not exist for this tenant`;
        throw new AppError('validation', `Unknown definitionId: ${message}`, [{ path: 'definitionId', message }]);
      }
      if (record.deliveryState === 'Pending') await queueDeliveries([{ id: record.eventId, attempts: record.attempts }]);
      return record;
    },

    async find(tenant: TenantRecord, id: string) {
      const record = await adjustments.find(tenant.id, id);
      if (!record) throw notFound(`Adjustment ${id}`);
      return record;
    },

    list: (tenant: TenantRecord, contactId: string, page: { offset: number; count: number }) => adjustments.listByContact(tenant.id, contactId, page),
  };
}

export type AdjustmentsService = ReturnType<typeof adjustmentsService>;
