import { z } from 'zod';
import type { AdjustmentInput } from '../domain/adjustments.ts';
import { DELIVERY_STATES } from '../domain/deliveries.ts';
import { contactId, definitionId, links, paging, pointAmount, pointFigure, storableText } from './common.ts';

/** Engage's user, process and workflow ids: the shape of a contact id, so the same schema. */
const guid = contactId;
const text = (max: number) => storableText.trim().min(1).max(max);

const adjustmentBase = {
  contactId,
  definitionId,
  amount: pointAmount({ nonZero: true }),
  description: text(1000),
};

/** Given or removed by a person in the Engage UI. */
export const manualAdjustment = z.object({
  ...adjustmentBase,
  source: z.literal('Manual'),
  userId: guid.describe('The Engage user who made the change'),
  userName: text(200),
});

/** Awarded by an automation (birthday, review, ...). */
const automationAdjustment = z.object({
  ...adjustmentBase,
  source: z.literal('Automation'),
  reason: text(200),
  processId: guid,
  workflowId: guid,
  workflowName: storableText.trim().max(200).default('').describe('May be empty, as Engage sends it'),
});

export const adjustmentBody = z.discriminatedUnion('source', [manualAdjustment, automationAdjustment]).meta({
  id: 'AdjustmentRequest',
  description: 'A point adjustment; sent to the point master, never applied to the balance here',
}) satisfies z.ZodType<AdjustmentInput>;

export const deliveryState = z.enum(DELIVERY_STATES);

const deliveryFields = {
  eventId: z.uuid().describe('The webhook event id: the same on every retry, so the master can de-duplicate'),
  deliveryState,
  attempts: z.int(),
  lastError: z.string().optional().describe('Absent until an attempt failed'),
  nextAttemptAt: z.string().optional().describe('Absent when no attempt is due'),
  deliveredAt: z.string().optional().describe('Absent until delivered'),
  confirmation: z
    .enum(['Confirmed', 'Unconfirmed'])
    .describe("Confirmed once the master sent back a transaction whose externalId is this adjustment's eventId (all-transaction mode)"),
  confirmedTransactionId: z.int().optional().describe('That transaction; absent while unconfirmed'),
  confirmedAt: z.string().optional().describe('When that transaction arrived; absent while unconfirmed'),
};

export const adjustment = z
  .object({
    id: z.uuid(),
    contactId,
    definitionId: z.int(),
    amount: pointFigure,
    description: z.string(),
    source: z.enum(['Manual', 'Automation']),
    userId: guid.optional(),
    userName: z.string().optional(),
    reason: z.string().optional(),
    processId: guid.optional(),
    workflowId: guid.optional(),
    workflowName: z.string().optional(),
    createdOn: z.string(),
    ...deliveryFields,
    links,
  })
  .meta({ id: 'Adjustment' });

export const adjustmentList = z
  .object({ items: z.array(adjustment), totalCount: z.int(), offset: z.int(), count: z.int(), links })
  .meta({ id: 'AdjustmentList' });

export const adjustmentQuery = paging.extend({ contactId });
export const adjustmentParams = z.object({ id: z.uuid() });
