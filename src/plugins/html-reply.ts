import type { FastifyReply } from 'fastify';
import fp from 'fastify-plugin';

declare module 'fastify' {
  interface FastifyReply {
    /** Sends a page (or a fragment of one) as HTML, with `status` (200 unless told). */
    html(body: string, status?: number): FastifyReply;
  }
}

/** `reply.html()`: the one way a page leaves the service, so every page goes out with the same type. */
export const htmlReplyPlugin = fp(async (app) => {
  app.decorateReply('html', function (this: FastifyReply, body: string, status = 200) {
    return this.code(status).type('text/html; charset=utf-8').send(body);
  });
});
