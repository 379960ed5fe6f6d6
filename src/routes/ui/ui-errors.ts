import type { FastifyError, FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../../errors.ts';
import { classifyError, reportError } from '../../plugins/problems.ts';
import { errorPage } from '../../ui/pages/layout.ts';

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
    return reply.html(errorPage(404, { title: 'Page not found', detail: 'There is no page at this address.' }, home), 404);
  });

  scope.setErrorHandler((err: FastifyError, request, reply) => {
    if (!wantsHtml(request)) throw err;
    const classified = classifyError(err);
    reportError(request, reply, classified);
    const { problem, detail, errors } = classified;
    return reply.html(errorPage(problem.status, { title: problem.title, detail, errors }, home), problem.status);
  });
}
