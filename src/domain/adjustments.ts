/** What an adjustment says, whoever made it. */
interface AdjustmentBase {
  contactId: string;
  definitionId: number;
  amount: number;
  description: string;
}

/** A point adjustment as the contract accepts it: given or removed by a person in the Engage UI, or awarded by an automation. */
export type AdjustmentInput =
  | (AdjustmentBase & { source: 'Manual'; userId: string; userName: string })
  | (AdjustmentBase & { source: 'Automation'; reason: string; processId: string; workflowId: string; workflowName: string });
import type { DeliveryState } from './deliveries.ts';
import { LEVEL_CHANGED_EVENT, type LevelChangeEvent, levelChangedPayload } from './levels.ts';
import { encryptPayload, signWebhook } from './webhook-crypto.ts';

/** A recorded adjustment with the state of its webhook. */
export type AdjustmentRecord = AdjustmentInput & {
  id: string;
  createdAt: Date;
  eventId: string;
  deliveryState: DeliveryState;
  attempts: number;
  lastError: string | null;
  nextAttemptAt: Date | null;
  deliveredAt: Date | null;
  /** The ledger entry the master sent back for it (externalId = the event id), once it has. */
  confirmedTransactionId: number | null;
  confirmedAt: Date | null;
};

/**
 * Where an adjustment stands as the card tells it: its delivery state; after
 * delivery, whether the master's sync has come back since (Synced, a
 * heuristic); and Confirmed when the master sent it back as a transaction
 * whose externalId is the event id (exact, whatever the delivery's last word).
 */
export type AdjustmentStage = DeliveryState | 'Synced' | 'Confirmed';

/**
 * The "Synced" heuristic: a delivered adjustment counts as synced once a push
 * from the master was applied to the same account (contact and definition)
 * after the master accepted the webhook. The follower cannot tell whether that
 * push included this adjustment; a master that applies webhooks before its
 * next push makes it so. A master that confirms exactly makes it Confirmed.
 */
export function adjustmentStage(
  item: { deliveryState: DeliveryState; deliveredAt: Date | null; confirmedTransactionId: number | null },
  lastPushAt: Date | undefined,
): AdjustmentStage {
  if (item.confirmedTransactionId !== null) return 'Confirmed';
  if (item.deliveryState === 'Delivered' && item.deliveredAt && lastPushAt && lastPushAt.getTime() > item.deliveredAt.getTime()) return 'Synced';
  return item.deliveryState;
}

const ADD_POINTS_EVENT = 'loyalty.addPoints' as const;

/**
 * The decrypted webhook payload, in the PascalCase fields and order Engage
 * documents, so a master written against Engage reads it unchanged.
 */
export function webhookPayload(adjustment: AdjustmentInput): Record<string, string | number> {
  const common = {
    ContactId: adjustment.contactId,
    Amount: adjustment.amount,
    Description: adjustment.description,
    Source: adjustment.source,
    PointDefinitionId: adjustment.definitionId,
  };
  if (adjustment.source === 'Manual') return { ...common, UserId: adjustment.userId, UserName: adjustment.userName };
  return {
    ...common,
    Reason: adjustment.reason,
    ProcessId: adjustment.processId,
    WorkflowId: adjustment.workflowId,
    WorkflowName: adjustment.workflowName,
  };
}

export interface WebhookEnvelope {
  eventType: typeof ADD_POINTS_EVENT | typeof LEVEL_CHANGED_EVENT;
  /** Fixed per delivery: the same on every retry. */
  id: string;
  /** Engage's flag: the master's webhooks are always encrypted. */
  isEncrypted: true;
  /** `base64(IV || ciphertext)` of the JSON payload. */
  payload: string;
  /** The tenant's name. */
  tenant: string;
}

export function webhookEnvelope(
  eventId: string,
  encryptedPayload: string,
  tenantName: string,
  eventType: WebhookEnvelope['eventType'] = ADD_POINTS_EVENT,
): WebhookEnvelope {
  return { eventType, id: eventId, isEncrypted: true, payload: encryptedPayload, tenant: tenantName };
}

/** What an outbox row announces: an adjustment (loyalty.addPoints) or a member level change (loyalty.levelChanged). */
export type WebhookEvent = { adjustment: AdjustmentInput } | { levelChange: LevelChangeEvent };

/**
 * The HTTP request of one delivery attempt: the encrypted envelope and its
 * Standard Webhooks headers. Encrypted and signed per attempt, so a retry
 * after a key rotation uses the new keys and carries a fresh timestamp.
 */
export function webhookRequest(
  attempt: {
    eventId: string;
    tenantName: string;
    encryptionKey: string;
    signingSecret: string;
    sentAt: Date;
  } & WebhookEvent,
): { body: string; headers: Record<string, string> } {
  const [eventType, plain] =
    'levelChange' in attempt ? [LEVEL_CHANGED_EVENT, levelChangedPayload(attempt.levelChange)] : [ADD_POINTS_EVENT, webhookPayload(attempt.adjustment)];
  const payload = encryptPayload(JSON.stringify(plain), attempt.encryptionKey);
  const body = JSON.stringify(webhookEnvelope(attempt.eventId, payload, attempt.tenantName, eventType));
  const timestamp = Math.floor(attempt.sentAt.getTime() / 1000);
  return {
    body,
    headers: {
      'webhook-id': attempt.eventId,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': signWebhook(attempt.signingSecret, { id: attempt.eventId, timestamp, body }),
    },
  };
}

/** An adjustment as the card's form states it: the amount is positive, the direction says whether it is given or removed. */
interface AdjustmentForm {
  definitionId: number;
  direction: string;
  amount: number;
}

/**
 * The card asks to confirm an adjustment above a tenth of the tenant's limit
 * (10,000 points with the default limit of 100,000): large enough that daily
 * goodwill gestures go straight through, small enough to catch an extra zero.
 */
export const confirmationThreshold = (maxAdjustmentPoints: number) => Math.floor(maxAdjustmentPoints / 10);

/** What a confirmation confirms: change anything and the card asks again. */
export const confirmationOf = (form: AdjustmentForm) => `${form.direction}:${form.amount}:${form.definitionId}`;

/**
 * Whether the card asks to confirm this form post before sending it: above
 * the threshold, not yet confirmed as it now stands, and within the limit
 * (above it the service refuses the adjustment with the limit named).
 */
export function needsConfirmation(form: AdjustmentForm & { confirmed?: string | undefined }, maxAdjustmentPoints: number): boolean {
  return form.amount > confirmationThreshold(maxAdjustmentPoints) && form.amount <= maxAdjustmentPoints && form.confirmed !== confirmationOf(form);
}
