import type { AdjustmentStage } from '../domain/adjustments.ts';

type StatusTone = 'waiting' | 'delivered' | 'failed';

export interface AdjustmentStatus {
  label: string;
  tone: StatusTone;
  /** One sentence on what it means for the customer's balance, and what to do. */
  help: string;
  /** When the next automatic try is due (Retrying only); shown as a time of day. */
  nextTryAt: Date | null;
  /** No further change will come by itself: the page stops watching. */
  settled: boolean;
}

/**
 * The stage as a support agent needs to read it. The follower's balance never
 * changes from an adjustment directly: it changes when the master, having
 * received it, next syncs. The words say so, so nobody gives the points a
 * second time because "nothing happened".
 */
export function adjustmentStatus(stage: AdjustmentStage, nextAttemptAt: Date | null): AdjustmentStatus {
  switch (stage) {
    case 'Pending':
      return { label: 'Sending', tone: 'waiting', help: 'Being sent to the point master now.', nextTryAt: null, settled: false };
    case 'Retrying':
      return {
        label: 'Retrying',
        tone: 'waiting',
        help: 'The point master has not accepted it yet; it is sent again automatically. Do not give the points again.',
        nextTryAt: nextAttemptAt,
        settled: false,
      };
    case 'AwaitingConfiguration':
      return {
        label: 'Waiting to send',
        tone: 'waiting',
        help: 'Saved. The connection to the point master is not set up yet; it is sent as soon as an operator sets it up. Do not give the points again.',
        nextTryAt: null,
        settled: false,
      };
    case 'Delivered':
      return {
        label: 'Sent · awaiting master sync',
        tone: 'delivered',
        help: 'The point master has it. The balance changes when the master next syncs this account.',
        nextTryAt: null,
        settled: false,
      };
    case 'Synced':
      return {
        label: 'Synced',
        tone: 'delivered',
        help: 'The point master has it and has synced this account since, so the balance above should include it.',
        nextTryAt: null,
        settled: true,
      };
    case 'Confirmed':
      return {
        label: 'Confirmed',
        tone: 'delivered',
        help: 'The point master recorded it and sent it back; the balance above includes it.',
        nextTryAt: null,
        settled: true,
      };
    case 'Failed':
      return {
        label: 'Failed',
        tone: 'failed',
        help: 'The point master did not accept it after every retry. An operator can send it again from the deliveries page; do not give the points again.',
        nextTryAt: null,
        settled: true,
      };
  }
}
