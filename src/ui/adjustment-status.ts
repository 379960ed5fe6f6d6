import type { DeliveryState } from '../domain/deliveries.ts';
import { relativeTime } from './format.ts';

type StatusTone = 'waiting' | 'delivered' | 'failed';

export interface AdjustmentStatus {
  label: string;
  tone: StatusTone;
  /** One sentence on what it means for the customer's balance, and what to do. */
  help: string;
  /** No further change will come by itself: the page stops watching. */
  settled: boolean;
}

/**
 * The delivery state as a support agent needs to read it. The follower's
 * balance never changes from an adjustment directly: it changes when the
 * master, having received it, next syncs. The words say so, so nobody gives
 * the points a second time because "nothing happened".
 */
export function adjustmentStatus(state: DeliveryState, nextAttemptAt: Date | null, now: Date, confirmed = false): AdjustmentStatus {
  // The master sent it back as a transaction (externalId = the event id): the balance here already holds it, whatever the delivery's last word was.
  if (confirmed) {
    return { label: 'Confirmed', tone: 'delivered', help: 'The point master recorded it and sent it back; the balance includes it.', settled: true };
  }
  switch (state) {
    case 'Pending':
      return { label: 'Sending', tone: 'waiting', help: 'Being sent to the point master now.', settled: false };
    case 'Retrying':
      return {
        label: 'Retrying',
        tone: 'waiting',
        help: `The point master has not accepted it yet; it is sent again automatically${nextAttemptAt ? ` ${relativeTime(nextAttemptAt, now)}` : ''}. Do not give the points again.`,
        settled: false,
      };
    case 'AwaitingConfiguration':
      return {
        label: 'Waiting to send',
        tone: 'waiting',
        help: 'Recorded. The connection to the point master is not set up yet; it is sent as soon as an operator sets it up. Do not give the points again.',
        settled: false,
      };
    case 'Delivered':
      return {
        label: 'Sent · awaiting master sync',
        tone: 'delivered',
        help: 'The point master has it. The balance changes when the master next syncs.',
        settled: true,
      };
    case 'Failed':
      return {
        label: 'Failed',
        tone: 'failed',
        help: 'The point master did not accept it after every retry. An operator can send it again from the deliveries page; do not give the points again.',
        settled: true,
      };
  }
}
