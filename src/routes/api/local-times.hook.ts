import type { FastifyRequest } from 'fastify';
import { readLocalTimes } from '../../domain/local-times.ts';

/**
 * A preValidation hook that reads the body's times sent without an offset (or
 * as a date alone) in the tenant's time zone, so the contract sees instants
 * (domain/local-times.ts). For an array body, each item's fields.
 */
export function tenantLocalTimes(fields: readonly string[]) {
  return async (request: FastifyRequest) => {
    request.body = readLocalTimes(request.body, fields, request.tenant.timeZone);
  };
}
