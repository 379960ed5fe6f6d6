import type { FastifyError, FastifyInstance, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { isDatabaseUnavailable } from '../../db/pool.ts';
import { AppError } from '../../errors.ts';
import { fieldPath } from '../../plugins/problems.ts';
import { errorPage, type ShownProblem } from '../../ui/pages/layout.ts';

/** A browser asking for a page; scripts and API clients get problem details instead. */
export const wantsHtml = (request: FastifyRequest) => (request.headers.accept ?? '').includes('text/html');

/**
 * Errors of page requests as pages, with the same status and words as the
 * problem details an API client would get; every other request falls through
 * to the service's problem+json handler.
 */
export function htmlErrorPages(scope: FastifyInstance, home: string): void {
  scope.setNotFoundHandler((request, reply) => {
    if (!wantsHtml(request)) throw new AppError('not_found', `No route ${request.method} ${request.url.split('?')[0]}`);
    return reply
      .code(404)
      .type('text/html; charset=utf-8')
      .send(errorPage(404, { title: 'Page not found', detail: 'There is no page at this address.' }, home));
  });

  scope.setErrorHandler((err: FastifyError, request, reply) => {
    if (!wantsHtml(request)) throw err;
    let status: number;
    let problem: ShownProblem;
    if (err instanceof AppError) {
      status = err.status;
      problem = { title: err.title, detail: err.message, errors: err.errors };
      request.log[status >= 500 ? 'error' : 'warn']({ code: err.code, detail: err.message }, 'page request failed');
    } else if (hasZodFastifySchemaValidationErrors(err)) {
      status = 400;
      const errors = err.validation.map((issue) => ({ path: fieldPath(err.validationContext, issue.instancePath), message: issue.message ?? 'is invalid' }));
      problem = { title: 'Invalid request', detail: 'This address has invalid parts.', errors };
      request.log.warn({ errors }, 'invalid page request');
    } else if (isDatabaseUnavailable(err)) {
      status = 503;
      problem = { title: 'Service unavailable', detail: 'The database cannot be reached right now. Try again in a moment.' };
      request.log.error({ err }, 'database unavailable');
    } else if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
      status = err.statusCode;
      problem = { title: 'Invalid request', detail: err.message };
      request.log.warn({ code: err.code, detail: err.message }, 'page request refused');
    } else {
      status = 500;
      problem = { title: 'Something went wrong', detail: 'An unexpected error occurred; it has been logged.' };
      request.log.error({ err }, 'page request failed');
    }
    return reply.code(status).type('text/html; charset=utf-8').send(errorPage(status, problem, home));
  });
}
