import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { problemResponses } from '../../contracts/common.ts';
import { syncStatus } from '../../contracts/sync.ts';
import type { SyncService } from '../../services/sync.service.ts';

/** Where the master's stream of sequenced transactions stands (/api/v2 only). */
export const syncRoutes: FastifyPluginAsyncZod<{ sync: SyncService }> = async (app, { sync }) => {
  app.get(
    '/point-accounts/sync',
    {
      schema: {
        tags: ['point-accounts'],
        summary: 'Stream position: which sequences have been applied, and the gaps',
        description:
          'Counts only rows that carried a sequence and were applied. After an outage, re-send every row from contiguousThrough + 1: ' +
          'rows already applied come back as duplicates and are not applied twice.',
        response: { 200: syncStatus, ...problemResponses },
      },
    },
    (request) => sync.forTenant(request.tenant),
  );
};
