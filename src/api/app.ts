import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import cookie from '@fastify/cookie';
import fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance } from 'fastify';
import type { Logger } from '../shared/logger.js';
import { registerAuthHook, registerAuthRoutes, type LoginLimiters } from './auth-routes.js';
import type { ApiBackend } from './backend.js';
import { registerChannelRoutes } from './channel-routes.js';
import { registerEventRoutes } from './events-routes.js';
import { registerFallbackRoutes } from './fallback-routes.js';
import { registerHistoryRoutes } from './history-routes.js';
import { registerHookRoutes, type HookBackend } from './hook-routes.js';
import { toHttpError, validationError, type HttpError } from './http-errors.js';
import {
  addressMatcher,
  applyHttpLimits,
  defaultHttpLimits,
  nodeServerOptionsFor,
  type HttpLimits,
} from './http-limits.js';
import { registerOpenApi } from './openapi.js';
import { registerMetricsRoutes } from './metrics-routes.js';
import { registerPlatformRoutes } from './platform-routes.js';
import { registerPresetRoutes } from './preset-routes.js';
import { RateLimiter } from './rate-limiter.js';
import { registerSecurityHeaders } from './security-headers.js';
import { registerStaticRoutes } from './static-routes.js';
import { registerWebhookRoutes } from './webhook-routes.js';

/** How long `close()` lets requests in flight finish before cutting their connections. */
const closeGraceMs = 2000;

/** What `createApi` is built from. */
export interface ApiDeps {
  /** The server behind the API (the control plane). */
  backend: ApiBackend;
  /** Request and error logs. */
  logger: Logger;
  /** Login attempts allowed per client address and window (default 10 per minute). */
  loginRateLimit?: { max: number; windowMs: number };
  /** Login attempts allowed from all addresses together (default 60 per minute). */
  globalLoginRateLimit?: { max: number; windowMs: number };
  /**
   * Reverse proxies whose X-Forwarded-Proto/Host/For are believed (for the Secure cookie, the
   * same-origin check, the client address in logs and the login limit): `loopback`, addresses, CIDRs.
   * Absent: those headers are ignored.
   */
  trustProxy?: string[] | string;
  /** Serve over HTTPS with this PEM certificate and key (absent: plain HTTP). */
  https?: { cert: Buffer | string; key: Buffer | string };
  /** Timeouts and caps (defaults: {@link defaultHttpLimits}). */
  limits?: Partial<HttpLimits>;
  /** SRS / nginx-rtmp publish hooks (absent: no hook routes). */
  hooks?: HookBackend;
  /** Wall clock for the rate limiter (tests inject a fake). */
  now?: () => number;
  /** Serve `/metrics` without credentials (config `METRICS_PUBLIC`). Default false. */
  metricsPublic?: boolean;
}

/**
 * Builds the HTTP API as a Fastify instance; the caller listens (and closes). Routes are registered
 * here, before `ready()`, so the caller may still add its own (the dashboard's static files).
 */
export function createApi(deps: ApiDeps): FastifyInstance {
  // Typed as Fastify's base logger so the instance is a plain FastifyInstance for route modules. Its own
  // `req` serializer takes precedence over Fastify's.
  const loggerInstance: FastifyBaseLogger = deps.logger.child({}, { serializers: { req: requestForLog } });
  const limits: HttpLimits = { ...defaultHttpLimits, ...deps.limits };
  const tls = deps.https;
  const app = fastify({
    loggerInstance,
    trustProxy: deps.trustProxy ?? false,
    // Our own factory: Fastify's would not pass Node's creation-time options to an HTTPS server, and the
    // instance stays typed as HTTP/1 for the route modules (an https.Server answers the same API).
    serverFactory: (handler) => {
      const server = tls
        ? (createHttpsServer({ ...nodeServerOptionsFor(limits), ...tls }, handler) as unknown as Server)
        : createHttpServer(nodeServerOptionsFor(limits), handler);
      server.keepAliveTimeout = limits.keepAliveTimeoutMs;
      // Node's requestTimeout counts the whole request, uploads included, so it stays off: bodies are
      // watched per request instead (applyHttpLimits), with a rate floor for uploads.
      server.requestTimeout = 0;
      server.setTimeout(limits.idleTimeoutMs);
      return server;
    },
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

  const trusted = deps.trustProxy === undefined ? [] : [deps.trustProxy].flat();
  applyHttpLimits(app, limits, addressMatcher(trusted));
  registerSecurityHeaders(app);
  void app.register(cookie);
  // Before the routes: the OpenAPI generator collects them as they are added.
  registerOpenApi(app);

  // On close (SIGTERM), requests in flight get a moment to finish, then every connection is cut: an open
  // event stream or a stalled upload must not hold the shutdown up.
  app.addHook('preClose', (done) => {
    const timer = setTimeout(() => {
      app.server.closeAllConnections();
    }, closeGraceMs);
    timer.unref();
    app.server.once('close', () => {
      clearTimeout(timer);
    });
    done();
  });

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

  const withClock = (limit: { max: number; windowMs: number }) =>
    new RateLimiter(deps.now ? { ...limit, now: deps.now } : limit);
  const limiters: LoginLimiters = {
    perAddress: withClock(deps.loginRateLimit ?? { max: 10, windowMs: 60_000 }),
    global: withClock(deps.globalLoginRateLimit ?? { max: 60, windowMs: 60_000 }),
  };

  registerAuthHook(app, deps.backend);
  registerStaticRoutes(app);
  // The routes go in a plugin scope so that they register after the OpenAPI generator has loaded (it
  // sees only routes added after it); the root's hooks and handlers above cover them all the same.
  void app.register((scope, _options, done) => {
    registerRoutes(scope, deps, limiters, limits);
    done();
  });
  return app;
}

/** Every route of the API (in the scope `createApi` gives them). */
function registerRoutes(
  app: FastifyInstance,
  deps: ApiDeps,
  limiters: LoginLimiters,
  limits: HttpLimits,
): void {
  app.get('/healthz', { config: { public: true } }, () => ({ ok: true }));
  registerAuthRoutes(app, deps.backend, limiters);
  registerPlatformRoutes(app, deps.backend);
  registerChannelRoutes(app, deps.backend);
  registerPresetRoutes(app, deps.backend);
  registerFallbackRoutes(app, deps.backend, limits);
  if (deps.hooks) registerHookRoutes(app, deps.hooks);
  registerEventRoutes(app, deps.backend);
  registerMetricsRoutes(app, deps.backend, { public: deps.metricsPublic ?? false });
  registerHistoryRoutes(app, deps.backend);
  registerWebhookRoutes(app, deps.backend);
}

/**
 * A request as its log lines show it: the path without the query string, since publish-hook URLs carry
 * their secret there (`?secret=`).
 */
function requestForLog(request: {
  method: string;
  url: string;
  host?: string;
  ip?: string;
  socket?: { remotePort?: number };
}): Record<string, unknown> {
  return {
    method: request.method,
    url: request.url.split('?', 1)[0],
    host: request.host,
    remoteAddress: request.ip,
    remotePort: request.socket?.remotePort,
  };
}
