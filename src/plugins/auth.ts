import type { FastifyRequest } from 'fastify';
import { secretsEqual } from '../domain/api-keys.ts';
import type { TenantRecord } from '../domain/tenants.ts';
import { AppError } from '../errors.ts';

declare module 'fastify' {
  interface FastifyRequest {
    tenant: TenantRecord;
  }
}

function bearer(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  return header?.toLowerCase().startsWith('bearer ') ? header.slice(7).trim() : undefined;
}

/** The tenant API key a request presents, as Engage's `apikey` header or as `Authorization: Bearer`. */
export function presentedApiKey(request: FastifyRequest): string | undefined {
  const apikey = request.headers.apikey;
  return (typeof apikey === 'string' ? apikey : undefined) ?? bearer(request);
}

export function tenantAuth(tenantForApiKey: (key: string) => Promise<TenantRecord | null>) {
  return async (request: FastifyRequest) => {
    const key = presentedApiKey(request);
    if (!key) throw new AppError('unauthorized', 'Send the API key in the apikey header or as Authorization: Bearer <key>');
    const tenant = await tenantForApiKey(key);
    if (!tenant) throw new AppError('unauthorized', 'Unknown or revoked API key');
    request.tenant = tenant;
  };
}

export function adminAuth(adminToken: string) {
  return async (request: FastifyRequest) => {
    const token = bearer(request);
    if (!token || !secretsEqual(token, adminToken)) {
      throw new AppError('unauthorized', 'Send the admin token as Authorization: Bearer <ADMIN_TOKEN>');
    }
  };
}
