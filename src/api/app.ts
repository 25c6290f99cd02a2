import cookie from '@fastify/cookie';
import fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance } from 'fastify';
import type { Logger } from '../shared/logger.js';
import { registerAuthHook, registerAuthRoutes } from './auth-routes.js';
import type { ApiBackend } from './backend.js';
import { registerChannelRoutes } from './channel-routes.js';
import { registerFallbackRoutes } from './fallback-routes.js';
import { toHttpError, validationError, type HttpError } from './http-errors.js';
import { registerPlatformRoutes } from './platform-routes.js';
import { RateLimiter } from './rate-limiter.js';

/** What `createApi` is built from. */
export interface ApiDeps {
  /** The server behind the API (the control plane). */
  backend: ApiBackend;
  /** Request and error logs. */
  logger: Logger;
  /** Login attempts allowed per client address and window (default 10 per minute). */
  loginRateLimit?: { max: number; windowMs: number };
  /** Trust X-Forwarded-* from a reverse proxy (client address, https). Default false. */
  trustProxy?: boolean;
  /** Wall clock for the rate limiter (tests inject a fake). */
  now?: () => number;
}

/**
 * Builds the HTTP API as a Fastify instance; the caller listens (and closes). Routes are registered
 * here, before `ready()`, so the caller may still add its own (the dashboard's static files).
 */
export function createApi(deps: ApiDeps): FastifyInstance {
  // Typed as Fastify's base logger so the instance is a plain FastifyInstance for route modules.
  const loggerInstance: FastifyBaseLogger = deps.logger;
  const app = fastify({
    loggerInstance,
    trustProxy: deps.trustProxy ?? false,
    bodyLimit: 64 * 1024,
    ajv: {
      customOptions: {
        // Strict bodies: a mistyped field ("streamkey") is a 400 naming it, not silently dropped, and a
        // JSON string is never coerced into a boolean or number.
        removeAdditional: false,
        coerceTypes: false,
        allErrors: false,
      },
    },
  });

  void app.register(cookie);

  // An empty JSON body (a POST with Content-Type but nothing sent) reads as "no body", so body-less
  // routes like rotate-key accept it and routes with a body schema answer a 400 rather than a parse error.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') {
      done(null, undefined);
      return;
    }
    void parseJson(request, text, done);
  });

  app.setErrorHandler((err: unknown, request, reply) => {
    const fastifyError = err as Partial<FastifyError> | null | undefined;
    let answer: HttpError;
    if (fastifyError?.validation) {
      answer = validationError(fastifyError.validation, fastifyError.validationContext ?? 'request');
    } else {
      answer = toHttpError(err);
      if (answer.statusCode >= 500) request.log.error({ err }, 'request failed');
    }
    void reply.code(answer.statusCode).type('application/json').send(answer.body);
  });

  app.setNotFoundHandler((request, reply) => {
    void reply.code(404).send({
      error: 'NOT_FOUND',
      message: `no route ${request.method} ${request.url.split('?', 1)[0] ?? ''}`,
    });
  });

  const limit = deps.loginRateLimit ?? { max: 10, windowMs: 60_000 };
  const limiter = new RateLimiter(deps.now ? { ...limit, now: deps.now } : limit);

  registerAuthHook(app, deps.backend);
  app.get('/healthz', { config: { public: true } }, () => ({ ok: true }));
  registerAuthRoutes(app, deps.backend, limiter);
  registerPlatformRoutes(app, deps.backend);
  registerChannelRoutes(app, deps.backend);
  registerFallbackRoutes(app, deps.backend);
  return app;
}
