import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import { hashApiKey } from '../domain/api-keys.ts';
import { AppError } from '../errors.ts';
import type { RedisClient } from '../redis.ts';
import { presentedApiKey } from './auth.ts';

/**
 * Per API key request budget, counted in Redis so every API process shares it.
 * If Redis is away the limit is skipped: refusing balances because the
 * counter is unreachable would be worse than admitting a burst.
 */
export async function rateLimitPerKey(scope: FastifyInstance, redis: RedisClient, perSecond: number, prefix: string) {
  await scope.register(rateLimit, {
    max: perSecond,
    timeWindow: 1000,
    redis,
    nameSpace: `${prefix}:rate:`,
    skipOnError: true,
    keyGenerator: (request) => hashApiKey(presentedApiKey(request) ?? `ip:${request.ip}`),
    errorResponseBuilder: (_request, context) =>
      new AppError('rate_limited', `More than ${context.max} requests per second for this API key; retry after ${context.after}`),
  });
}
