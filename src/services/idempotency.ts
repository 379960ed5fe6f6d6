import type { Database } from '../db/database.ts';
import { isDatabaseUnavailable } from '../db/pool.ts';
import { CLAIM_LEASE_MS, existingKeyOutcome, IDEMPOTENCY_TTL_MS, requestFingerprint } from '../domain/idempotency.ts';
import type { TenantRecord } from '../domain/tenants.ts';
import { AppError } from '../errors.ts';
import type { Logger } from '../logger.ts';

/** An Idempotency-Key this request holds, until its answer is stored under it. */
export interface KeyHold {
  tenantId: string;
  key: string;
  token: string;
}

export interface Answered<A> {
  answer: A;
  /** True when the answer is the stored one of an earlier request with the same Idempotency-Key. */
  replayed: boolean;
}

/** Rolls the store back when the Idempotency-Key was taken over meanwhile. */
class ClaimLostError extends AppError {
  constructor() {
    super('request_in_progress', 'Another request took over this Idempotency-Key; retry to get its answer');
  }
}

/**
 * Stores the answer under the held key, in the transaction that stores what
 * the request did: both are committed or neither. Nothing to do without a key.
 */
export async function storeAnswer(tx: Database, hold: KeyHold | null, response: unknown, batchId: string | null = null): Promise<void> {
  if (hold && !(await tx.idempotency.complete(hold, { response, batchId }))) throw new ClaimLostError();
}

/**
 * The Idempotency-Key contract (domain/idempotency.ts) around one request:
 * without a key, `handle` just runs; with one, the key is claimed first, an
 * earlier answer to the same `request` is replayed (through `replay`), another
 * request under the key is refused (422), one still in flight too (409), and a
 * request that fails frees the key at once. `handle` must store its answer
 * with storeAnswer inside its own transaction.
 */
export async function underIdempotencyKey<A>(
  deps: { db: Database; log: Logger },
  args: { tenant: TenantRecord; key: string | undefined; request: unknown; now: Date },
  handle: (hold: KeyHold | null) => Promise<A>,
  replay: (stored: unknown) => A | Promise<A>,
): Promise<Answered<A>> {
  const { db } = deps;
  const { tenant, key, request, now } = args;
  if (key === undefined) return { answer: await handle(null), replayed: false };

  const requestHash = requestFingerprint(request);
  const claim = await db.idempotency.claim({
    tenantId: tenant.id,
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
  try {
    return { answer: await handle({ tenantId: tenant.id, key, token: claim.token }), replayed: false };
  } catch (err) {
    // Nothing was stored under the key, so a retry may go ahead at once.
    await releaseKey(deps, { tenantId: tenant.id, key, token: claim.token }, now.getTime() + CLAIM_LEASE_MS);
    throw err;
  }
}

const RELEASE_RETRY_MS = 250;

/**
 * Frees a key whose request failed. When Postgres cannot be reached (the
 * request most likely failed for that reason), tries again in the background
 * until it answers, so a master retrying after an outage gets through as soon
 * as Postgres is back instead of 409s until the claim's lease runs out.
 */
async function releaseKey(deps: { db: Database; log: Logger }, hold: KeyHold, leaseEndsAt: number): Promise<void> {
  try {
    await deps.db.idempotency.release(hold.tenantId, hold.key, hold.token);
  } catch (err) {
    if (isDatabaseUnavailable(err) && Date.now() + RELEASE_RETRY_MS < leaseEndsAt) {
      setTimeout(() => void releaseKey(deps, hold, leaseEndsAt), RELEASE_RETRY_MS).unref();
    } else {
      deps.log.warn({ err }, 'could not release idempotency key; it frees itself when its lease ends');
    }
  }
}
