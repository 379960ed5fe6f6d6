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
  /** The balance on the card includes it now: the page reads the card's figures again when an adjustment reaches this stage. */
  changesBalance: boolean;
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
      return { label: 'Sending', tone: 'waiting', help: 'Being sent to the point master now.', nextTryAt: null, settled: false, changesBalance: false };
    case 'Retrying':
      return {
        label: 'Retrying',
        tone: 'waiting',
        help: 'The point master has not accepted it yet; it is sent again automatically. Do not give the points again.',
        nextTryAt: nextAttemptAt,
        settled: false,
        changesBalance: false,
      };
    case 'AwaitingConfiguration':
      return {
        label: 'Waiting to send',
        tone: 'waiting',
        help: 'Saved. The connection to the point master is not set up yet; it is sent as soon as an operator sets it up. Do not give the points again.',
        nextTryAt: null,
        settled: false,
        changesBalance: false,
      };
    case 'Delivered':
      return {
        label: 'Sent · awaiting master sync',
        tone: 'delivered',
        help: 'The point master has it. The balance changes when the master next syncs this account.',
        nextTryAt: null,
        settled: false,
        changesBalance: false,
      };
    case 'Synced':
      return {
        label: 'Synced',
        tone: 'delivered',
        help: 'The point master has it and has synced this account since, so the balance above should include it.',
        nextTryAt: null,
        settled: true,
        changesBalance: true,
      };
    case 'Confirmed':
      return {
        label: 'Confirmed',
        tone: 'delivered',
        help: 'The point master recorded it and sent it back; the balance above includes it.',
        nextTryAt: null,
        settled: true,
        changesBalance: true,
      };
    case 'Failed':
      return {
        label: 'Failed',
        tone: 'failed',
        help: 'The point master did not accept it after every retry. An operator can send it again from the deliveries page; do not give the points again.',
        nextTryAt: null,
        settled: true,
        changesBalance: false,
      };
  }
}

export interface SentBanner {
  tone: 'success' | 'warning' | 'error';
  title: string;
  text: string;
}

/**
 * The banner above the form after sending, for every stage the adjustment can
 * be in: green once it is safely on its way or back, amber while it waits
 * (and why), red when the master refused it. Its words agree with the line
 * in the list below (adjustmentStatus); the page script takes both from the
 * server, so they cannot drift apart.
 */
export function sentBanner(stage: AdjustmentStage): SentBanner {
  switch (stage) {
    case 'Pending':
      return {
        tone: 'success',
        title: 'Saved; sending it to the point master now',
        text: 'Follow its state below; the balance changes when the master next syncs.',
      };
    case 'Retrying':
      return {
        tone: 'warning',
        title: 'Saved; will be sent when the master answers',
        text: 'The point master is not answering right now. It is sent again automatically; do not give the points again.',
      };
    case 'AwaitingConfiguration':
      return {
        tone: 'warning',
        title: 'Saved; waiting for the connection to the point master',
        text: 'The connection to the point master is not set up yet. It is sent as soon as an operator sets it up; do not give the points again.',
      };
    case 'Delivered':
      return {
        tone: 'success',
        title: 'Sent to the point master',
        text: 'The balance changes when the master next syncs this account. Follow its state below.',
      };
    case 'Synced':
      return {
        tone: 'success',
        title: 'Sent; the master has synced since',
        text: 'The point master has it and has synced this account since, so the balance above should include it.',
      };
    case 'Confirmed':
      return { tone: 'success', title: 'Confirmed by the point master', text: 'The master recorded it and sent it back; the balance above includes it.' };
    case 'Failed':
      return { tone: 'error', title: 'Saved, but the point master refused it', text: 'An operator can send it again; do not give the points again.' };
  }
}
