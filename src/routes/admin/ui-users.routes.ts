import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { tenantParams } from '../../contracts/admin.ts';
import { problem } from '../../contracts/common.ts';
import { createUiUserBody, resetPasswordBody, uiUser, uiUserParams } from '../../contracts/ui-users.ts';
import type { UiUsersService } from '../../services/ui-users.service.ts';

const problems = { 400: problem, 401: problem, 404: problem, 409: problem };

/** People who sign in to the contact card at /ui, per tenant. */
export const adminUiUsersRoutes: FastifyPluginAsyncZod<{ users: UiUsersService }> = async (app, { users }) => {
  const tags = ['admin'];

  app.post(
    '/tenants/:tenantId/users',
    {
      schema: {
        tags,
        summary: 'Create a contact card user (the answer never carries the password)',
        params: tenantParams,
        body: createUiUserBody,
        response: { 201: uiUser, ...problems },
      },
    },
    async (request, reply) => reply.code(201).send(await users.create(request.params.tenantId, request.body)),
  );

  app.get(
    '/tenants/:tenantId/users',
    { schema: { tags, summary: 'List contact card users', params: tenantParams, response: { 200: z.array(uiUser), ...problems } } },
    (request) => users.list(request.params.tenantId),
  );

  app.get(
    '/tenants/:tenantId/users/:id',
    { schema: { tags, summary: 'A contact card user', params: uiUserParams, response: { 200: uiUser, ...problems } } },
    (request) => users.get(request.params.tenantId, request.params.id),
  );

  app.post(
    '/tenants/:tenantId/users/:id/disable',
    {
      schema: {
        tags,
        summary: 'Disable a user: ends its sessions at once and refuses its sign-ins',
        params: uiUserParams,
        response: { 200: uiUser, ...problems },
      },
    },
    (request) => users.disable(request.params.tenantId, request.params.id),
  );

  app.post(
    '/tenants/:tenantId/users/:id/enable',
    { schema: { tags, summary: 'Enable a disabled user again', params: uiUserParams, response: { 200: uiUser, ...problems } } },
    (request) => users.enable(request.params.tenantId, request.params.id),
  );

  app.post(
    '/tenants/:tenantId/users/:id/password',
    {
      schema: {
        tags,
        summary: "Reset a user's password: ends its sessions and lifts a lock-out",
        params: uiUserParams,
        body: resetPasswordBody,
        response: { 200: uiUser, ...problems },
      },
    },
    (request) => users.resetPassword(request.params.tenantId, request.params.id, request.body.password),
  );
};
