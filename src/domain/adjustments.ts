import type { AdjustmentInput } from '../contracts/adjustments.ts';
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
  return { eventType, id: eventId, payload: encryptedPayload, tenant: tenantName };
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
