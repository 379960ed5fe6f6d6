import type { FastifyRequest } from 'fastify';
import { AppError } from '../errors.ts';
import type { RedisClient } from '../redis.ts';

export interface AuthFailurePolicy {
  /** Failed authentications an address may make per window; 0 switches the limit off. */
  limit: number;
  windowMs: number;
}

// One more failure; the window starts at the first one, so a blocked address waits out the rest of it.
const COUNT_FAILURE = `local n = redis.call('INCR', KEYS[1]) if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end return n`;

/**
 * Wraps an authentication hook so an address that keeps failing it is refused
 * (429 with Retry-After) before the credential is looked up at all. Counted
 * in Redis, so every API process shares the count. The check runs before the
 * lookup and the count after a failure: a burst sent in parallel can pass the
 * check together, but each later request from that address is refused
 * without touching Postgres. Counting every attempt before the lookup would
 * close that gap but count a busy master's own requests in flight against
 * it, refusing good keys. If Redis is away the limit is skipped, as the
 * request rate limit is: refusing every client because a counter is
 * unreachable would be worse than admitting a burst of guesses.
 */
export function limitAuthFailures(
  deps: { redis: RedisClient; prefix: string; scope: 'api' | 'admin'; policy: AuthFailurePolicy },
  authenticate: (request: FastifyRequest) => Promise<void>,
) {
  const { redis, prefix, scope, policy } = deps;
  if (policy.limit === 0) return authenticate;
  const keyOf = (request: FastifyRequest) => `${prefix}:authfail:${scope}:${request.ip}`;

  async function refuseWhenOver(request: FastifyRequest): Promise<void> {
    let failures: string | null;
    let remainingMs: number;
    try {
      [failures, remainingMs] = await Promise.all([redis.get(keyOf(request)), redis.pttl(keyOf(request))]);
    } catch (err) {
      request.log.warn({ err }, 'failed-authentication counter unreachable; not limiting');
      return;
    }
    if (Number(failures ?? 0) < policy.limit) return;
    const seconds = Math.max(1, Math.ceil((remainingMs > 0 ? remainingMs : policy.windowMs) / 1000));
    throw new AppError('rate_limited', `Too many failed authentications from this address; retry after ${seconds} s`, undefined, seconds);
  }

  async function countFailure(request: FastifyRequest): Promise<void> {
    try {
      await redis.eval(COUNT_FAILURE, 1, keyOf(request), String(policy.windowMs));
    } catch (err) {
      request.log.warn({ err }, 'failed-authentication counter unreachable; not counted');
    }
  }

  return async (request: FastifyRequest) => {
    await refuseWhenOver(request);
    try {
      await authenticate(request);
    } catch (err) {
      if (err instanceof AppError && err.code === 'unauthorized') await countFailure(request);
      throw err;
    }
  };
}
