import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { withTimeout } from '../timeout.ts';

const CHECK_TIMEOUT_MS = 2000;

function check(probe: () => Promise<unknown>): Promise<'up' | 'down'> {
  return withTimeout(probe(), CHECK_TIMEOUT_MS, 'timeout').then(
    () => 'up' as const,
    () => 'down' as const,
  );
}

const readiness = z.object({ status: z.enum(['ready', 'not ready']), postgres: z.enum(['up', 'down']), redis: z.enum(['up', 'down']) });

/** Each answers when its server does. */
export interface HealthProbes {
  postgres: () => Promise<unknown>;
  redis: () => Promise<unknown>;
}

export const healthRoutes: FastifyPluginAsyncZod<{ probes: HealthProbes }> = async (app, { probes }) => {
  app.get('/health', { schema: { tags: ['ops'], summary: 'The process is alive', response: { 200: z.object({ status: z.literal('ok') }) } } }, async () => ({
    status: 'ok' as const,
  }));

  app.get(
    '/ready',
    {
      schema: {
        tags: ['ops'],
        summary: 'Postgres and Redis answer; 503 names the one that does not',
        response: { 200: readiness, 503: readiness },
      },
    },
    async (_request, reply) => {
      const [postgres, redis] = await Promise.all([check(probes.postgres), check(probes.redis)]);
      const ready = postgres === 'up' && redis === 'up';
      return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', postgres, redis });
    },
  );
};
