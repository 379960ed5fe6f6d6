import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  adminDefinition,
  apiKeyParams,
  apiKeySummary,
  createApiKeyBody,
  createDefinitionBody,
  createdApiKey,
  createTenantBody,
  tenant,
  tenantParams,
} from '../../contracts/admin.ts';
import { problem } from '../../contracts/common.ts';
import type { AdminService } from '../../services/admin.service.ts';
import { noContent } from '../../plugins/answers-before-commit.ts';

const problems = { 400: problem, 401: problem, 404: problem, 409: problem };

export const adminTenantsRoutes: FastifyPluginAsyncZod<{ admin: AdminService }> = async (app, { admin }) => {
  const tags = ['admin'];

  app.post(
    '/tenants',
    { schema: { tags, summary: 'Create a tenant', body: createTenantBody, response: { 201: tenant, ...problems } } },
    async (request, reply) => reply.code(201).send(await admin.createTenant(request.body)),
  );

  app.get('/tenants', { schema: { tags, summary: 'List tenants', response: { 200: z.array(tenant), 401: problem } } }, () => admin.listTenants());

  app.get('/tenants/:tenantId', { schema: { tags, summary: 'A tenant', params: tenantParams, response: { 200: tenant, ...problems } } }, (request) =>
    admin.requireTenant(request.params.tenantId),
  );

  app.post(
    '/tenants/:tenantId/definitions',
    {
      schema: {
        tags,
        summary: 'Add a point definition (its id is chosen by the operator, as in Engage)',
        params: tenantParams,
        body: createDefinitionBody,
        response: { 201: adminDefinition, ...problems },
      },
    },
    async (request, reply) => reply.code(201).send(await admin.createDefinition(request.params.tenantId, request.body)),
  );

  app.get(
    '/tenants/:tenantId/definitions',
    { schema: { tags, summary: 'List point definitions', params: tenantParams, response: { 200: z.array(adminDefinition), ...problems } } },
    (request) => admin.listDefinitions(request.params.tenantId),
  );

  app.post(
    '/tenants/:tenantId/api-keys',
    {
      schema: {
        tags,
        summary: 'Create an API key (shown only in this answer)',
        params: tenantParams,
        body: createApiKeyBody,
        response: { 201: createdApiKey, ...problems },
      },
    },
    async (request, reply) => reply.code(201).send(await admin.createApiKey(request.params.tenantId, request.body.name)),
  );

  app.get(
    '/tenants/:tenantId/api-keys',
    { schema: { tags, summary: 'List API keys (never the keys themselves)', params: tenantParams, response: { 200: z.array(apiKeySummary), ...problems } } },
    (request) => admin.listApiKeys(request.params.tenantId),
  );

  app.delete(
    '/tenants/:tenantId/api-keys/:id',
    { config: { answerOf: noContent }, schema: { tags, summary: 'Revoke an API key', params: apiKeyParams, response: { 204: z.null(), ...problems } } },
    async (request, reply) => {
      await admin.revokeApiKey(request.params.tenantId, request.params.id);
      return reply.code(204).send(null);
    },
  );
};
