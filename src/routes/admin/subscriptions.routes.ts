import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { tenantParams } from '../../contracts/admin.ts';
import { problem } from '../../contracts/common.ts';
import {
  createdSubscription,
  createSubscriptionBody,
  replayedEvents,
  rotatedSubscriptionSecret,
  subscription,
  subscriptionEvents,
  subscriptionEventsQuery,
  subscriptionList,
  subscriptionParams,
  subscriptionWithOutbox,
  updateSubscriptionBody,
} from '../../contracts/subscriptions.ts';
import { noContent } from '../../plugins/answers-before-commit.ts';
import type { SubscriptionsService } from '../../services/subscriptions.service.ts';

const problems = { 400: problem, 401: problem, 404: problem, 409: problem };

/** A tenant's subscribers to point.balance.updated (docs/events.md). */
export const adminSubscriptionsRoutes: FastifyPluginAsyncZod<{ subscriptions: SubscriptionsService }> = async (app, { subscriptions }) => {
  const tags = ['admin'];

  app.post(
    '/tenants/:tenantId/subscriptions',
    {
      schema: {
        tags,
        summary: 'Subscribe a URL to point.balance.updated (the signing secret is shown only in this answer)',
        description:
          'A subscriber is not the point master: a tenant may have several, and none changes what is sent to the master. ' +
          'It hears of every change of a served balance or balanceExpires from now on.',
        params: tenantParams,
        body: createSubscriptionBody,
        response: { 201: createdSubscription, ...problems },
      },
    },
    async (request, reply) => reply.code(201).send(await subscriptions.create(request.params.tenantId, request.body)),
  );

  app.get(
    '/tenants/:tenantId/subscriptions',
    { schema: { tags, summary: 'List subscriptions (never their secrets)', params: tenantParams, response: { 200: subscriptionList, ...problems } } },
    (request) => subscriptions.list(request.params.tenantId),
  );

  app.get(
    '/tenants/:tenantId/subscriptions/:id',
    { schema: { tags, summary: 'A subscription and its outbox by state', params: subscriptionParams, response: { 200: subscriptionWithOutbox, ...problems } } },
    (request) => subscriptions.get(request.params.tenantId, request.params.id),
  );

  app.patch(
    '/tenants/:tenantId/subscriptions/:id',
    {
      schema: {
        tags,
        summary: 'Change a subscription',
        params: subscriptionParams,
        body: updateSubscriptionBody,
        response: { 200: subscription, ...problems },
      },
    },
    (request) => subscriptions.update(request.params.tenantId, request.params.id, request.body),
  );

  app.delete(
    '/tenants/:tenantId/subscriptions/:id',
    {
      config: { answerOf: noContent },
      schema: { tags, summary: 'Delete a subscription and its undelivered events', params: subscriptionParams, response: { 204: z.null(), ...problems } },
    },
    async (request, reply) => {
      await subscriptions.remove(request.params.tenantId, request.params.id);
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/tenants/:tenantId/subscriptions/:id/rotate',
    {
      schema: {
        tags,
        summary: 'Replace the signing secret (shown only in this answer)',
        description: 'Events not yet delivered are signed with the new secret from their next attempt on.',
        params: subscriptionParams,
        response: { 200: rotatedSubscriptionSecret, ...problems },
      },
    },
    (request) => subscriptions.rotateSecret(request.params.tenantId, request.params.id),
  );

  app.get(
    '/tenants/:tenantId/subscriptions/:id/events',
    {
      schema: {
        tags,
        summary: "The subscription's outbox, oldest change first",
        params: subscriptionParams,
        querystring: subscriptionEventsQuery,
        response: { 200: subscriptionEvents, ...problems },
      },
    },
    (request) => subscriptions.events(request.params.tenantId, request.params.id, request.query),
  );

  app.post(
    '/tenants/:tenantId/subscriptions/:id/replay',
    {
      schema: {
        tags,
        summary: 'Send every Failed event again, each with a fresh retry schedule',
        params: subscriptionParams,
        response: { 200: replayedEvents, ...problems },
      },
    },
    (request) => subscriptions.replayFailed(request.params.tenantId, request.params.id),
  );
};
