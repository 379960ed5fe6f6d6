import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';

const ADMIN_PREFIX = '/admin/v1/';

/**
 * OpenAPI 3.1 generated from the same zod schemas that validate and serialize.
 * The operator API is left out unless `includeAdmin` (DOCS_INCLUDE_ADMIN): a
 * public page need not map the admin surface for whoever finds it.
 */
export const docsPlugin = fp(async (app: FastifyInstance, options: { includeAdmin: boolean }) => {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Engage point follower',
        version: '1.0.0',
        description:
          'Takes balances and point transactions from a point master and serves them in Engage v2 and v3 shapes. ' +
          'Tenant endpoints take the API key as the `apikey` header or `Authorization: Bearer`.',
      },
      components: {
        securitySchemes: {
          apikey: { type: 'apiKey', in: 'header', name: 'apikey' },
          bearer: { type: 'http', scheme: 'bearer' },
        },
      },
      security: [{ apikey: [] }, { bearer: [] }],
      tags: [
        { name: 'point-accounts', description: 'Engage v2 point accounts (tenant API key)' },
        { name: 'point-accounts-v3', description: 'Engage v3 point reads: accounts and transactions by GUID (tenant API key)' },
        { name: 'contacts', description: 'Engage v2 contact endpoints for points (tenant API key)' },
        { name: 'admin', description: 'Operator API (Authorization: Bearer ADMIN_TOKEN)' },
        { name: 'ops', description: 'Health and readiness' },
      ],
    },
    transform: (input) => {
      const out = jsonSchemaTransform(input);
      return !options.includeAdmin && input.url.startsWith(ADMIN_PREFIX) ? { ...out, schema: { ...out.schema, hide: true } } : out;
    },
    transformObject: jsonSchemaTransformObject,
  });
  await app.register(swaggerUi, {
    routePrefix: '/documentation',
    // The UI's own CSP, without framing by anyone (clickjacking) and without forcing https on plain-HTTP deployments.
    staticCSP: true,
    transformStaticCSP: (header) => header.replace("frame-ancestors 'self'", "frame-ancestors 'none'").replace('upgrade-insecure-requests;', ''),
    uiHooks: {
      onRequest: (_request, reply, done) => {
        reply.header('x-frame-options', 'DENY');
        reply.header('referrer-policy', 'same-origin');
        done();
      },
    },
  });
});
