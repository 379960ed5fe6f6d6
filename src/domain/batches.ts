export const BATCH_STATUSES = ['Queued', 'Processing', 'Completed', 'CompletedWithErrors', 'Failed'] as const;
export type BatchStatus = (typeof BATCH_STATUSES)[number];

export type BatchKind = 'balances' | 'transactions';

/** What applying a batch did; 'already-final' when a repeated job found it done. */
export type ApplyResult = { status: BatchStatus; appliedCount: number; skippedCount: number } | 'already-final';
