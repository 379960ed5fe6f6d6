import type { FastifyPluginAsync } from 'fastify';
import { PAGE_CSP, uiSecurityHeaders } from '../plugins/ui-security.ts';
import { html } from '../ui/html.ts';
import { page } from '../ui/pages/layout.ts';

const LINKS = [
  { href: '/ui', label: 'Contact card', what: 'people at a retailer: a customer’s points; give or remove points' },
  { href: '/ui/admin', label: 'Operator pages', what: 'queues, tenants and webhook deliveries (sign in with the admin token)' },
  { href: '/documentation', label: 'API documentation', what: 'the tenant API for point masters and Engage clients (OpenAPI 3.1 at /documentation/json)' },
  { href: '/ready', label: 'Readiness', what: 'whether Postgres and Redis answer' },
];

/** The root: a small page that says where everything is, for whoever opens the bare address. */
export const homeRoutes: FastifyPluginAsync = async (app) => {
  uiSecurityHeaders(app, PAGE_CSP);
  app.get('/', { schema: { hide: true } }, async (_request, reply) =>
    reply.html(
      page(
        { title: 'Engage point follower', narrow: true },
        html`<h1>Engage point follower</h1>
          <ul class="home-links">
            ${LINKS.map((link) => html`<li><a href="${link.href}">${link.label}</a> <span class="muted">${link.what}</span></li>`)}
          </ul>`,
      ),
    ),
  );
};
