import type { Database } from '../db/database.ts';
import type { Clock } from '../domain/clock.ts';
import { CLAIM_LEASE_MS, existingKeyOutcome, IDEMPOTENCY_TTL_MS, requestFingerprint } from '../domain/idempotency.ts';
import { AppError } from '../errors.ts';
import type { Logger } from '../logger.ts';

/** Rolls the store back when the Idempotency-Key was taken over meanwhile. */
class ClaimLostError extends AppError {
  constructor() {
    super('request_in_progress', 'Another request took over this Idempotency-Key; retry to get its answer');
  }
}

/** The key a request holds while it does its work; `complete` stores the answer in the work's own transaction. */
export interface HeldKey {
  complete(tx: Database, response: unknown, batchId: string | null): Promise<void>;
}

export interface Once<T> {
  answer: T;
  /** True when the answer is the stored one of an earlier request with the same Idempotency-Key. */
  replayed: boolean;
}

/**
 * The Idempotency-Key contract of every POST that takes one (domain/idempotency.ts):
 * the first request with a key does the work and stores its answer in the
 * same transaction; the same key with the same body gets that answer again;
 * with another body, 422; while the first is still being handled, 409. A
 * request that fails without answering frees the key at once.
 */
export function idempotentRequests(deps: { db: Database; clock: Clock; log: Logger }) {
  const { db, clock, log } = deps;

  return async function once<T>(
    tenantId: string,
    key: string | undefined,
    body: unknown,
    work: (held: HeldKey | null) => Promise<T>,
    replay: (stored: unknown) => Promise<T> | T,
  ): Promise<Once<T>> {
    if (key === undefined) return { answer: await work(null), replayed: false };
    const now = clock.now();
    const requestHash = requestFingerprint(body);
    const claim = await db.idempotency.claim({
      tenantId,
      key,
      requestHash,
      now,
      expiresAt: new Date(now.getTime() + IDEMPOTENCY_TTL_MS),
      staleBefore: new Date(now.getTime() - CLAIM_LEASE_MS),
    });
    if (!claim.claimed) {
      switch (existingKeyOutcome(claim, requestHash)) {
        case 'replay':
          return { answer: await replay(claim.response), replayed: true };
        case 'different-body':
          throw new AppError('idempotency_key_reused', 'This Idempotency-Key was used with a different body in the last 24 hours');
        case 'in-flight':
          throw new AppError('request_in_progress', 'A request with this Idempotency-Key is still being handled; retry in a moment');
      }
    }
    const held: HeldKey = {
      async complete(tx, response, batchId) {
        if (!(await tx.idempotency.complete({ tenantId, key, token: claim.token }, { response, batchId }))) throw new ClaimLostError();
      },
    };
    try {
      return { answer: await work(held), replayed: false };
    } catch (err) {
      // Nothing was stored under the key, so a retry may go ahead at once.
      await db.idempotency.release(tenantId, key, claim.token).catch((e: unknown) => log.warn({ err: e }, 'could not release idempotency key'));
      throw err;
    }
  };
}

export type IdempotentRequests = ReturnType<typeof idempotentRequests>;
