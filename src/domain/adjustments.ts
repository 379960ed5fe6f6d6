import type { AdjustmentInput } from '../contracts/adjustments.ts';

export const ADD_POINTS_EVENT = 'loyalty.addPoints';

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
  eventType: typeof ADD_POINTS_EVENT;
  /** Fixed per delivery: the same on every retry. */
  id: string;
  /** `base64(IV || ciphertext)` of the JSON payload. */
  payload: string;
  /** The tenant's name. */
  tenant: string;
}

export function webhookEnvelope(eventId: string, encryptedPayload: string, tenantName: string): WebhookEnvelope {
  return { eventType: ADD_POINTS_EVENT, id: eventId, payload: encryptedPayload, tenant: tenantName };
}
