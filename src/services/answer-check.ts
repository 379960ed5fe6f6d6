import { AsyncLocalStorage } from 'node:async_hooks';
import type { Database } from '../db/database.ts';

/** Builds the answer of the request being handled from what its service commits, and checks it as the answer will be sent; throws when it cannot be. */
export type AnswerCheck = (result: unknown) => void;

const requestAnswer = new AsyncLocalStorage<AnswerCheck>();

/** Runs one request's `work` with `check` as the check its commit point applies (plugins/answers-before-commit.ts). */
export function checkingAnswer<T>(check: AnswerCheck, work: () => T): T {
  return requestAnswer.run(check, work);
}

/**
 * Called by a service inside the transaction that commits a request's work,
 * last, with what the service is about to return: the request's answer is
 * built and checked now, so an answer that cannot be sent throws here and
 * the transaction rolls back, instead of a 5xx for something stored (which a
 * client retries, storing it twice). Outside a request with a checked answer
 * (the worker, the CLI, the HTML forms) there is nothing to check.
 */
export function answerBeforeCommit<T>(result: T): T {
  requestAnswer.getStore()?.(result);
  return result;
}

/** One write whose result is the service's answer, in a transaction of its own that checks the answer before COMMIT. */
export function commitWithAnswer<T>(db: Database, write: (tx: Database) => Promise<T>): Promise<T> {
  return db.transaction(async (tx) => answerBeforeCommit(await write(tx)));
}
