import { z } from 'zod';
import { contactId, definitionId, isoDateTime, points } from './common.ts';

export const balanceItem = z
  .object({
    contactId,
    amount: points,
    definitionId,
    timeStamp: isoDateTime.describe('When the master computed this balance; older balances than the one applied are skipped as stale'),
  })
  .meta({ id: 'BalanceItem' });

export type BalanceItem = z.output<typeof balanceItem>;

export const balanceBatchBody = z.array(balanceItem).min(1, 'must contain at least one item');

export const batchStatus = z.enum(['Queued', 'Processing', 'Completed', 'CompletedWithErrors', 'Failed']);
export type BatchStatus = z.output<typeof batchStatus>;

export const batchAccepted = z.object({ id: z.uuid(), status: batchStatus }).meta({ id: 'BatchAccepted' });

export const batchStatusResponse = z
  .object({
    id: z.uuid(),
    status: batchStatus,
    timeStamp: z.string().describe('Time of the last status change'),
    messages: z.array(z.object({ message: z.string(), timeStamp: z.string() })),
    itemCount: z.int(),
    appliedCount: z.int(),
    skippedCount: z.int(),
  })
  .meta({ id: 'BatchStatus' });
