import { STATUS_CODES } from 'node:http';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { AppError, type ErrorCode, type FieldError, problemFor } from '../errors.ts';
import { isDatabaseUnavailable } from '../db/pool.ts';
import { invalidFieldsDetail, onePerField } from '../domain/messages.ts';

const contextPrefix: Record<string, string> = { querystring: 'query', params: 'params', headers: 'headers' };

/** `/3/contactId` in the body -> `[3].contactId`; `/count` in the query string -> `query.count`. */
export function fieldPath(context: string | undefined, instancePath: string): string {
  let path = contextPrefix[context ?? ''] ?? '';
  for (const segment of instancePath.split('/').filter(Boolean)) {
    path += /^\d+$/.test(segment) ? `[${segment}]` : path ? `.${segment}` : segment;
  }
  return path || 'body';
}

interface Problem {
  type: string;
  title: string;
  status: number;
}

const problemOf = (code: ErrorCode): Problem => ({ type: `urn:point-follower:problem:${code}`, ...problemFor(code) });

function sendProblem(reply: FastifyReply, problem: Problem, detail: string, errors?: FieldError[]) {
  return reply
    .code(problem.status)
    .type('application/problem+json')
    .send({ ...problem, detail, ...(errors ? { errors } : {}) });
}

/** An AppError as problem+json, for scopes whose own error handler must not see it thrown. */
export const sendAppError = (reply: FastifyReply, err: AppError) => sendProblem(reply, problemOf(err.code), err.message, err.errors);

const fastifyCodes: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
};

/**
 * Errors Fastify raises before routing (a path whose percent-encoding does not
 * decode), which never reach the error handler: the same problem+json shape.
 */
export function frameworkErrors(err: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  request.log.warn({ code: err.code, detail: err.message }, 'request refused');
  const status = err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 400;
  const problem = status === 400 ? problemOf('validation') : { type: 'about:blank', title: STATUS_CODES[status] ?? 'Client error', status };
  void sendProblem(reply, problem, err.message);
}

/** The fields a schema refused, one sentence each with where it is; none for an error that is not a schema's. */
export function schemaFieldErrors(err: unknown): FieldError[] {
  if (!hasZodFastifySchemaValidationErrors(err)) return [];
  return onePerField(
    err.validation.map((issue) => ({
      path: fieldPath(err.validationContext, issue.instancePath),
      message: issue.message ?? 'is not valid',
      code: issue.keyword,
    })),
  );
}

const MASTER_FAULTS: ReadonlySet<ErrorCode> = new Set(['bad_gateway', 'gateway_timeout', 'outbound_refused']);

/** What an error means for the client, and how it is logged: 4xx at warn without a stack, 5xx at error with it. */
export interface ClassifiedError {
  problem: Problem;
  detail: string;
  errors?: FieldError[] | undefined;
  retryAfterSeconds?: number;
  log: { level: 'info' | 'warn' | 'error'; fields: Record<string, unknown>; message: string };
}

/**
 * The client closed the connection before its request arrived whole: Node
 * reports "aborted" (ECONNRESET) while the body is read, and Fastify marks
 * such a read error a 400. The same code from Postgres never carries a
 * client status, so this is told apart from a database outage.
 */
function clientAborted(err: FastifyError): boolean {
  return (err.code === 'ECONNRESET' || err.code === 'ECONNABORTED') && err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500;
}

/** The one place that decides what every error becomes; the problem+json handler and the HTML error pages both use it. */
export function classifyError(err: FastifyError): ClassifiedError {
  if (err instanceof AppError) {
    // A point master that fails, is slow or sits at a refused address is the master's or the tenant's setting's
    // fault, and a tenant can cause it at will: a warning of its own, keeping level 50 ("request failed") for ours.
    const masterFault = MASTER_FAULTS.has(err.code);
    const level = err.status >= 500 && !masterFault ? 'error' : 'warn';
    return {
      problem: problemOf(err.code),
      detail: err.message,
      errors: err.errors,
      ...(err.retryAfterSeconds !== undefined && { retryAfterSeconds: err.retryAfterSeconds }),
      log: { level, fields: { code: err.code, detail: err.message }, message: masterFault ? 'point master call failed' : 'request failed' },
    };
  }
  if (hasZodFastifySchemaValidationErrors(err)) {
    const errors = schemaFieldErrors(err);
    const where = err.validationContext === 'querystring' ? 'query string' : (err.validationContext ?? 'request');
    return {
      problem: problemOf('validation'),
      detail: invalidFieldsDetail(errors.length, where),
      errors,
      log: { level: 'warn', fields: { errors: errors.slice(0, 20) }, message: 'invalid request' },
    };
  }
  if (clientAborted(err)) {
    // Nobody is left to read the answer; a client that gives up is the client's affair, not an alarm.
    return {
      problem: { type: 'about:blank', title: 'Request aborted', status: 400 },
      detail: 'The client closed the connection before the request arrived whole',
      log: { level: 'info', fields: { kind: 'client-aborted', code: err.code }, message: 'request aborted by the client' },
    };
  }
  if (isDatabaseUnavailable(err)) {
    return {
      problem: problemOf('unavailable'),
      detail: 'The database is unavailable; nothing was stored. Retry later.',
      retryAfterSeconds: 5,
      log: { level: 'error', fields: { err }, message: 'database unavailable' },
    };
  }
  const status = err.statusCode ?? 500;
  if (status >= 400 && status < 500) {
    const known = fastifyCodes[err.code];
    const problem = known
      ? problemOf(known)
      : status === 400
        ? problemOf('validation')
        : { type: 'about:blank', title: STATUS_CODES[status] ?? 'Client error', status };
    return { problem, detail: err.message, log: { level: 'warn', fields: { code: err.code, detail: err.message }, message: 'request refused' } };
  }
  return {
    problem: problemOf('internal'),
    detail: 'An unexpected error occurred; it has been logged.',
    log: { level: 'error', fields: { err }, message: 'request failed' },
  };
}

/** Logs a classified error on the request's logger, and sets Retry-After when the error asks for one. */
export function reportError(request: FastifyRequest, reply: FastifyReply, classified: ClassifiedError): void {
  request.log[classified.log.level](classified.log.fields, classified.log.message);
  if (classified.retryAfterSeconds !== undefined) reply.header('retry-after', String(classified.retryAfterSeconds));
}

/** Turns every error into RFC 9457 problem+json; a 5xx body never carries internals. */
export const problemsPlugin = fp(async (app: FastifyInstance) => {
  app.setNotFoundHandler((request, reply) => sendProblem(reply, problemOf('not_found'), `No route ${request.method} ${request.url.split('?')[0]}`));

  app.setErrorHandler((err: FastifyError, request, reply) => {
    const classified = classifyError(err);
    reportError(request, reply, classified);
    return sendProblem(reply, classified.problem, classified.detail, classified.errors);
  });
});
