import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import { hashApiKey } from '../domain/api-keys.ts';
import { AppError } from '../errors.ts';
import type { RedisClient } from '../redis.ts';
import { presentedApiKey } from './auth.ts';

const WINDOW_MS = 1000;

/**
 * Per API key request budget, counted in Redis so every API process shares it.
 * If Redis is away the limit is skipped: refusing balances because the
 * counter is unreachable would be worse than admitting a burst.
 */
export async function rateLimitPerKey(scope: FastifyInstance, redis: RedisClient, perSecond: number, prefix: string) {
  await scope.register(rateLimit, {
    max: perSecond,
    timeWindow: WINDOW_MS,
    redis,
    nameSpace: `${prefix}:rate:`,
    skipOnError: true,
    keyGenerator: (request) => hashApiKey(presentedApiKey(request) ?? `ip:${request.ip}`),
    // Retry-After comes from the error (problems.ts), so the header and the detail say the same whole seconds.
    addHeaders: { 'retry-after': false },
    errorResponseBuilder: (_request, context) => {
      // The counter's remaining time reads 0 or less when its window ends as it is read: the wait is then a whole window.
      const seconds = Math.max(1, Math.ceil((context.ttl > 0 ? context.ttl : WINDOW_MS) / 1000));
      return new AppError('rate_limited', `More than ${context.max} requests per second for this API key; retry after ${seconds} s`, undefined, seconds);
    },
  });
}
