import type { BatchStatus } from '../contracts/balances.ts';

export type BatchKind = 'balances' | 'transactions';

/** What applying a batch did; 'already-final' when a repeated job found it done. */
export type ApplyResult = { status: BatchStatus; appliedCount: number; skippedCount: number } | 'already-final';
