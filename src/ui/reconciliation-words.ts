import type { DriftKind, ReconciliationOutcome } from '../domain/reconciliations.ts';

/** A drift kind as operators read it: a name and one sentence on what it means (the API's name stays in addresses). */
export const DRIFT_KIND_WORDS: Record<DriftKind, { name: string; sentence: string }> = {
  BalanceDiffers: {
    name: 'Balance differs',
    sentence: "Both sides hold the account, but the follower's balance at that time is not the master's.",
  },
  MissingInFollower: {
    name: 'Missing here',
    sentence: 'The master holds a balance for the account; the follower had nothing for it by that time.',
  },
  UnknownToMaster: {
    name: 'Unknown to the master',
    sentence: 'The follower holds a balance for the account that the master did not list (full reconciliations only).',
  },
};

/** A reconciliation's outcome as a pill: green only when nothing is left differing. */
export const OUTCOME_WORDS: Record<ReconciliationOutcome, { label: string; tone: 'neutral' | 'waiting' | 'delivered' | 'failed' }> = {
  open: { label: 'Open', tone: 'neutral' },
  comparing: { label: 'Comparing', tone: 'waiting' },
  matched: { label: 'Matched', tone: 'delivered' },
  repaired: { label: 'Repaired', tone: 'delivered' },
  drifted: { label: 'Drifted, not repaired', tone: 'failed' },
  followed: { label: 'Drifted, later reconciled', tone: 'neutral' },
  failed: { label: 'Failed', tone: 'failed' },
};
