import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ApiBackend } from './backend.js';
import { sessionCookie } from './auth-routes.js';
import { ApiError } from './http-errors.js';

/** Options of the metrics route. */
export interface MetricsRoutesOptions {
  /** Serve `/metrics` without credentials (`METRICS_PUBLIC=1`). Default false. */
  public?: boolean;
}

/** Why a scrape may not proceed, or undefined when it may: a bearer API token, or a login session. */
function scrapeFailure(request: FastifyRequest, backend: ApiBackend): ApiError | undefined {
  const header = request.headers.authorization;
  if (header !== undefined) {
    const token = /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1];
    // Any scope: metrics are what a `read` token is for.
    if (token !== undefined && backend.auth.checkToken(token) !== undefined) return undefined;
    return new ApiError('UNAUTHORIZED', 'invalid API token');
  }
  const session = request.cookies[sessionCookie];
  if (session !== undefined && session !== '' && backend.auth.checkSession(session)) return undefined;
  return new ApiError('UNAUTHORIZED', 'send an API token: Authorization: Bearer <token>');
}

/**
 * `GET /metrics`: the Prometheus text exposition. Outside /api/, so it checks credentials itself (a
 * Prometheus `authorization: {credentials: <API token>}` scrape config), unless configured public.
 */
export function registerMetricsRoutes(
  app: FastifyInstance,
  backend: ApiBackend,
  options: MetricsRoutesOptions = {},
): void {
  const isPublic = options.public ?? false;
  app.get(
    '/metrics',
    // `public` here only tells a global auth hook to leave the route alone: it is judged below.
    { config: { public: true, readScope: true } },
    async (request: FastifyRequest, reply: FastifyReply): Promise<string> => {
      if (!isPublic) {
        const failure = scrapeFailure(request, backend);
        if (failure) {
          void reply.header('www-authenticate', 'Bearer realm="restream metrics"');
          throw failure;
        }
      }
      const { contentType, body } = await backend.metrics.render();
      void reply.type(contentType).header('cache-control', 'no-store');
      return body;
    },
  );
}
