import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { tenantParams } from '../../contracts/admin.ts';
import { problem } from '../../contracts/common.ts';
import {
  delivery,
  deliveryList,
  deliveryParams,
  deliveriesQuery,
  pointsLogBody,
  pointsLogConfig,
  replayAllQuery,
  replayAllResponse,
  webhookBody,
  webhookConfig,
  webhookSecrets,
  webhookSetResponse,
} from '../../contracts/integrations.ts';
import type { IntegrationsService } from '../../services/integrations.service.ts';

const problems = { 400: problem, 401: problem, 404: problem, 409: problem };

export const adminIntegrationsRoutes: FastifyPluginAsyncZod<{ integrations: IntegrationsService }> = async (app, { integrations }) => {
  const tags = ['admin'];

  app.put(
    '/tenants/:tenantId/webhook',
    {
      schema: {
        tags,
        summary: 'Set the webhook URL of the point master',
        description:
          'The first call also creates the payload encryption key and the Standard Webhooks signing secret and returns them: ' +
          'the only time they are shown. Later calls change the URL only. Adjustments waiting for a webhook are sent once it is set.',
        params: tenantParams,
        body: webhookBody,
        response: { 200: webhookSetResponse, ...problems },
      },
    },
    (request) => integrations.setWebhook(request.params.tenantId, request.body.url),
  );

  app.get(
    '/tenants/:tenantId/webhook',
    { schema: { tags, summary: 'The webhook URL (never the secrets)', params: tenantParams, response: { 200: webhookConfig, ...problems } } },
    (request) => integrations.getWebhook(request.params.tenantId),
  );

  app.post(
    '/tenants/:tenantId/webhook/rotate',
    {
      schema: {
        tags,
        summary: 'Replace the encryption key and signing secret (shown only in this answer)',
        description: 'Deliveries not yet delivered use the new key and secret from their next attempt on.',
        params: tenantParams,
        response: { 200: webhookSecrets, ...problems },
      },
    },
    (request) => integrations.rotateWebhookSecrets(request.params.tenantId),
  );

  app.put(
    '/tenants/:tenantId/points-log',
    {
      schema: {
        tags,
        summary: "Set the master's points-log URL template",
        params: tenantParams,
        body: pointsLogBody,
        response: { 200: pointsLogConfig, ...problems },
      },
    },
    (request) => integrations.setPointsLog(request.params.tenantId, request.body),
  );

  app.get(
    '/tenants/:tenantId/points-log',
    {
      schema: {
        tags,
        summary: 'The points-log URL template (never the auth header value)',
        params: tenantParams,
        response: { 200: pointsLogConfig, ...problems },
      },
    },
    (request) => integrations.getPointsLog(request.params.tenantId),
  );

  app.get(
    '/tenants/:tenantId/deliveries',
    {
      schema: {
        tags,
        summary: 'Webhook deliveries, newest first',
        params: tenantParams,
        querystring: deliveriesQuery,
        response: { 200: deliveryList, ...problems },
      },
    },
    (request) => integrations.listDeliveries(request.params.tenantId, request.query),
  );

  app.post(
    '/tenants/:tenantId/deliveries/replay',
    {
      schema: {
        tags,
        summary: 'Send every Failed delivery again, each with a fresh retry schedule',
        params: tenantParams,
        querystring: replayAllQuery,
        response: { 200: replayAllResponse, ...problems },
      },
    },
    (request) => integrations.replayFailed(request.params.tenantId),
  );

  app.post(
    '/tenants/:tenantId/deliveries/:id/replay',
    {
      schema: {
        tags,
        summary: 'Send a Failed (or Retrying) delivery again now, with the same event id and a fresh retry schedule',
        params: deliveryParams,
        response: { 200: delivery, ...problems },
      },
    },
    (request) => integrations.replayDelivery(request.params.tenantId, request.params.id),
  );
};
