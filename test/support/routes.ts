import type { FastifyInstance } from 'fastify';

export interface RouteInfo {
  method: string;
  /** The route's pattern, as registered: `/api/v2/point-accounts/:id`. */
  url: string;
}

const LINE = /^((?:│ {3}| {4})*)(?:├── |└── )(.+?)(?: \(([A-Z, ]+)\))?$/;

/**
 * Every route the app registers, read from Fastify's own route tree, so tests
 * that must cover every endpoint pick up new ones without being edited. HEAD
 * is left out: Fastify answers it from the GET handler.
 */
export function listRoutes(app: FastifyInstance): RouteInfo[] {
  const routes: RouteInfo[] = [];
  const stack: string[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const match = LINE.exec(line);
    if (!match) continue;
    const depth = match[1]!.length / 4;
    stack.length = depth;
    stack.push(match[2]!);
    const url = stack.join('');
    for (const method of (match[3] ?? '').split(',').map((m) => m.trim())) {
      if (method && method !== 'HEAD') routes.push({ method, url });
    }
  }
  return routes;
}

/** The names of a route pattern's path parameters (`:id`, and `*` for a wildcard). */
export function routeParams(url: string): string[] {
  return [...url.matchAll(/:([A-Za-z0-9_]+)|\*/g)].map((m) => m[1] ?? '*');
}

/** The route pattern with each parameter replaced by `values[name]`, encoded unless `raw`. */
export function fillRoute(url: string, values: Record<string, string>, raw = false): string {
  return url.replace(/:([A-Za-z0-9_]+)|\*/g, (_, name: string | undefined) => {
    const value = values[name ?? '*'] ?? '';
    // A lone surrogate cannot be percent-encoded; a client would send U+FFFD in its place.
    return raw ? value : encodeURIComponent(value.replace(/\p{Cs}/gu, '\ufffd'));
  });
}

/** Fastify's `:param` to OpenAPI's `{param}`, to find a route's operation in the generated document. */
export const openApiPath = (url: string) => url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
