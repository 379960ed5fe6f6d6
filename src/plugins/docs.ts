import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';

/** OpenAPI 3.1 generated from the same zod schemas that validate and serialize. */
export const docsPlugin = fp(async (app: FastifyInstance) => {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Engage point follower',
        version: '1.0.0',
        description:
          'Takes balances and point transactions from a point master and serves them in Engage v2 shapes. ' +
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
        { name: 'contacts', description: 'Engage v2 contact endpoints for points (tenant API key)' },
        { name: 'admin', description: 'Operator API (Authorization: Bearer ADMIN_TOKEN)' },
        { name: 'ops', description: 'Health and readiness' },
      ],
    },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
  });
  await app.register(swaggerUi, { routePrefix: '/documentation' });
});
