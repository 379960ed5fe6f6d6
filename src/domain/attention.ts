/**
 * When a tenant needs a person, and why (DESIGN 2.6, 3): the overview lists
 * each such tenant with its reasons, so the page and any other reader agree.
 */
export type AttentionReason = 'deliveries-failed' | 'push-overdue' | 'sequence-gap' | 'drift';

export interface TenantSignals {
  /** No push for longer than the tenant's expected interval. */
  overdue: boolean;
  deliveriesFailed: number;
  /** A gap in the master's sequence is older than the alert age. */
  gapAlerting: boolean;
  /** Drifted accounts the tenant's latest completed reconciliation left unrepaired. */
  unrepairedDrifts: number;
}

export function attentionReasons(signals: TenantSignals): AttentionReason[] {
  const reasons: AttentionReason[] = [];
  if (signals.deliveriesFailed > 0) reasons.push('deliveries-failed');
  if (signals.overdue) reasons.push('push-overdue');
  if (signals.gapAlerting) reasons.push('sequence-gap');
  if (signals.unrepairedDrifts > 0) reasons.push('drift');
  return reasons;
}
