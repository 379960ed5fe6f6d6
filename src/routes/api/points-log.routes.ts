import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { problem, problemResponses } from '../../contracts/common.ts';
import { pointsLog, pointsLogParams } from '../../contracts/points-log.ts';
import type { PointsLogService } from '../../services/points-log.service.ts';

export const pointsLogRoutes: FastifyPluginAsyncZod<{ pointsLog: PointsLogService }> = async (app, { pointsLog: service }) => {
  app.get(
    '/contacts/:contactId/points-log',
    {
      schema: {
        tags: ['point-accounts'],
        summary: "A contact's points log, read from the point master",
        description:
          "Calls the tenant's configured points-log URL and returns its lines newest first. " +
          '404 when no URL is configured, 504 when the master is slow, 502 when it fails, answers a wrong shape or its address is refused.',
        params: pointsLogParams,
        response: { 200: pointsLog, ...problemResponses, 502: problem, 504: problem },
      },
    },
    (request) => service.get(request.tenant, request.params.contactId),
  );
};
