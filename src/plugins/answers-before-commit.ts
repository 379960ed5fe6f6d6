import type { FastifyInstance, RouteHandlerMethod } from 'fastify';
import fp from 'fastify-plugin';
import { checkingAnswer } from '../services/answer-check.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route's answer made from what its service returns, when the route sends something else than that (see answersBeforeCommitPlugin). */
    answerOf?(this: void, result: unknown): unknown;
  }
}

const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * A request that commits builds and checks its answer before the COMMIT: for
 * every write route with a response schema, the service's commit point
 * (answerBeforeCommit, services/answer-check.ts) serialises the answer with the
 * route's own serializer for its success status, so an answer that could not
 * be sent fails the transaction and leaves nothing stored. The route's
 * `config.answerOf` makes the answer from the service's result when the route
 * reshapes it. Routes registered before this plugin, and HTML forms (no
 * response schema), are left as they are.
 */
export const answersBeforeCommitPlugin = fp(async (app: FastifyInstance) => {
  app.addHook('onRoute', (route) => {
    const methods = [route.method].flat();
    const response = route.schema?.response;
    if (!methods.some((method) => WRITES.has(method)) || !response || typeof response !== 'object') return;
    const success = Object.keys(response).filter((status) => /^2\d\d$/.test(status));
    if (success.length !== 1) throw new Error(`${route.url}: a write route answers with exactly one success status to check its answer before committing`);
    const status = success[0]!;
    const answerOf = route.config?.answerOf ?? ((result: unknown) => result);
    const handler = route.handler;
    const checked: RouteHandlerMethod = function (request, reply) {
      // The same function Fastify sends the answer with; typed by Fastify for object payloads, it takes any (null for a 204).
      const serialize = reply.getSerializationFunction(status) as ((payload: unknown) => string) | undefined;
      if (!serialize) throw new Error(`${route.url}: no serializer for status ${status}`);
      return checkingAnswer(
        (result) => void serialize(answerOf(result)),
        () => handler.call(this, request, reply),
      );
    };
    route.handler = checked;
  });
});

/** The answer of a 204 route, whatever its service returned. */
export const noContent = () => null;
