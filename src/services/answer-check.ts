import { AsyncLocalStorage } from 'node:async_hooks';
import type { Database } from '../db/database.ts';

/**
 * Builds the answer of the request being handled from what its service
 * commits, and checks it as the answer will be sent; throws when it cannot
 * be. `tx` is the committing transaction, for an answer that reads more (a
 * form's page shows what was just written beside the rest).
 */
export type AnswerCheck = (result: unknown, tx: Database) => void | Promise<void>;

const requestAnswer = new AsyncLocalStorage<AnswerCheck>();

/** Runs one request's `work` with `check` as the check its commit point applies (plugins/answers-before-commit.ts, formAnswers below). */
export function checkingAnswer<T>(check: AnswerCheck, work: () => T): T {
  return requestAnswer.run(check, work);
}

/**
 * Called by a service inside the transaction that commits a request's work,
 * last, with what the service is about to return: the request's answer is
 * built and checked now, so an answer that cannot be sent throws here and
 * the transaction rolls back, instead of a 5xx for something stored (which a
 * client retries, storing it twice). Outside a request with a checked answer
 * (the worker, the CLI) there is nothing to check.
 */
export async function answerBeforeCommit<T>(tx: Database, result: T): Promise<T> {
  await requestAnswer.getStore()?.(result, tx);
  return result;
}

/** One write whose result is the service's answer, in a transaction of its own that checks the answer before COMMIT. */
export function commitWithAnswer<T>(db: Database, write: (tx: Database) => Promise<T>): Promise<T> {
  return db.transaction(async (tx) => answerBeforeCommit(tx, await write(tx)));
}

/**
 * The HTML forms' side of the same commit point: a form post's answer (its
 * page, or the target of its redirect) is built inside the transaction that
 * commits the form's work, from what the service committed and the services
 * over that same transaction (so the page shows what was just written), and
 * sent once committed. A page that fails to render rolls the work back.
 */
export function formAnswers<S>(deps: { db: Database; servicesOver: (db: Database) => S }) {
  const { db, servicesOver } = deps;
  return {
    /**
     * Runs `work` (a service call that commits through answerBeforeCommit)
     * with `build` as its commit point's answer; `committed` is what the
     * service passed there. A work that commits in several steps builds at
     * each, and the last answer is sent. A work that committed nothing (a
     * form resent under the same Idempotency-Key) is answered afterwards
     * from what it returned, through `uncommitted`; without it, that is a
     * form whose service forgot its commit point, and it fails.
     */
    async answer<R, A, C = R>(
      work: () => Promise<R>,
      build: (committed: C, services: S) => A | Promise<A>,
      uncommitted?: (returned: R) => C,
    ): Promise<{ answer: A; returned: R }> {
      const built: A[] = [];
      const returned = await checkingAnswer(async (result, tx) => {
        // What the route's service committed, as the route names it (the same contract as config.answerOf of the API's routes).
        built.push(await build(result as C, servicesOver(tx)));
      }, work);
      if (built.length > 0) return { answer: built[built.length - 1]!, returned };
      if (!uncommitted) throw new Error('The form committed without building its answer: its service has no answerBeforeCommit');
      return { answer: await build(uncommitted(returned), servicesOver(db)), returned };
    },
  };
}

export type FormAnswers<S> = ReturnType<typeof formAnswers<S>>;
