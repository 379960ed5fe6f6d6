import { nextRetryAt } from './retry-schedule.ts';

/**
 * AwaitingConfiguration: the tenant has no webhook URL yet; sent once one is set.
 * Pending: waiting for its first attempt (or for a replay).
 * Retrying: an attempt failed; the next one is scheduled.
 * Delivered: the master answered 2xx. Failed: dead letter, replayable.
 */
export const DELIVERY_STATES = ['AwaitingConfiguration', 'Pending', 'Retrying', 'Delivered', 'Failed'] as const;
export type DeliveryState = (typeof DELIVERY_STATES)[number];

/**
 * Enough to queue a delivery's next attempt: the job id is derived from all
 * three. `dueAt` is the delivery's next attempt time (null while it waits for a
 * webhook URL); a replay moves it to now, so the replay's job never shares an
 * id with a retry job still delayed in the queue.
 */
export interface QueuedDelivery {
  tenantId: string;
  id: string;
  attempts: number;
  dueAt: Date | null;
}

/** What one HTTP attempt gave: an answer with a status, or no answer at all (timeout, refused, network). */
export type AttemptResult = { answered: true; status: number; body: string } | { answered: false; error: string };

export interface AttemptOutcome {
  state: 'Delivered' | 'Retrying' | 'Failed';
  /** Failures in a row since the delivery was created or replayed; indexes the retry schedule. */
  failures: number;
  nextAttemptAt: Date | null;
  lastStatus: number | null;
  lastError: string | null;
}

const SNIPPET_CHARS = 200;

function describeAnswer(status: number, body: string): string {
  const snippet = body.replace(/\s+/g, ' ').trim().slice(0, SNIPPET_CHARS);
  const redirect = status >= 300 && status < 400 ? ' (redirects are not followed)' : '';
  return `The master answered ${status}${redirect}${snippet ? `: ${snippet}` : ''}`;
}

/**
 * The rule after each attempt: 2xx is delivered; 410 Gone stops at once (the
 * master says this endpoint will never accept it); anything else retries on
 * the schedule until it is used up, then the delivery is a dead letter.
 */
export function outcomeOfAttempt(result: AttemptResult, failuresBefore: number, schedule: readonly number[], now: Date): AttemptOutcome {
  if (result.answered && result.status >= 200 && result.status < 300) {
    return { state: 'Delivered', failures: 0, nextAttemptAt: null, lastStatus: result.status, lastError: null };
  }
  const lastStatus = result.answered ? result.status : null;
  const reason = result.answered ? describeAnswer(result.status, result.body) : result.error;
  const failures = failuresBefore + 1;
  if (result.answered && result.status === 410) {
    return { state: 'Failed', failures, nextAttemptAt: null, lastStatus, lastError: `${reason}; 410 Gone stops all retries` };
  }
  const next = nextRetryAt(schedule, failures, now);
  if (next === null) {
    return { state: 'Failed', failures, nextAttemptAt: null, lastStatus, lastError: `${reason}; gave up after ${failures} attempts` };
  }
  return { state: 'Retrying', failures, nextAttemptAt: next, lastStatus, lastError: reason };
}

/** Only a dead letter or a delivery waiting for its next retry can be replayed; the others are on their way or done. */
export function canReplay(state: DeliveryState): boolean {
  return state === 'Failed' || state === 'Retrying';
}
