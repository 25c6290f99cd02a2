/** What routes a Fastify instance answers, for tests that must cover every one of them. */
import type { FastifyInstance } from 'fastify';

/** One registered route: method and URL pattern (`/api/platforms/:id`). */
export interface RegisteredRoute {
  method: string;
  url: string;
}

/**
 * Every method and path the instance answers (after `ready()`), read from Fastify's route tree, so
 * routes added anywhere (any plugin scope, any file) are included.
 */
export function registeredRoutes(app: FastifyInstance): RegisteredRoute[] {
  const routes: RegisteredRoute[] = [];
  const parents: string[] = [];
  // Lines look like "│   └── /:id (GET, HEAD, PUT)": four characters of indent per level, the
  // segment relative to the parent line, then the methods.
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const match = /^((?:│ {3}| {4})*)[├└]── (\S+)(?: \(([^)]*)\))?/.exec(line);
    if (!match) continue;
    const depth = (match[1] ?? '').length / 4;
    const url = (depth === 0 ? '' : (parents[depth - 1] ?? '')) + (match[2] ?? '');
    parents[depth] = url;
    parents.length = depth + 1;
    for (const method of (match[3] ?? '').split(',').map((m) => m.trim())) {
      if (method !== '') routes.push({ method, url });
    }
  }
  return routes;
}
