import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ApiBackend } from './backend.js';
import type { CreatedTokenDto, OkDto, TokenDto } from './dto.js';
import { ApiError } from './http-errors.js';
import type { RateLimiter } from './rate-limiter.js';
import {
  createTokenBody,
  createdTokenResponse,
  idParams,
  loginBody,
  okResponse,
  tokenResponse,
} from './schemas.js';

/** Name of the session cookie. */
export const sessionCookie = 'restream_session';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Answer without credentials (login, logout, health). */
    public?: boolean;
  }
}

function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (header === undefined) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1] ?? '';
}

/**
 * Every route under /api/ needs a session cookie or a bearer token unless its config says `public`.
 * Routes are judged by their registered pattern, so an unknown /api/ path is a 401 too (nothing about
 * which routes exist leaks to a caller without credentials).
 */
export function registerAuthHook(app: FastifyInstance, backend: ApiBackend): void {
  app.addHook('onRequest', (request, _reply, done) => {
    let failure: Error | undefined;
    try {
      failure = authFailure(request, backend);
    } catch (err) {
      failure = err instanceof Error ? err : new Error(String(err));
    }
    done(failure);
  });
}

/** Why a request may not proceed, or undefined when it may. */
function authFailure(request: FastifyRequest, backend: ApiBackend): ApiError | undefined {
  const pattern = request.routeOptions.url ?? request.url.split('?', 1)[0] ?? '';
  if (!pattern.startsWith('/api/') || request.routeOptions.config.public === true) return undefined;
  const token = bearerToken(request);
  if (token !== undefined) {
    // A bad bearer token is a 401 even with a good cookie: a script should learn its token is dead.
    if (token !== '' && backend.auth.checkToken(token)) return undefined;
    return new ApiError('UNAUTHORIZED', 'invalid API token');
  }
  const session = request.cookies[sessionCookie];
  if (session !== undefined && session !== '' && backend.auth.checkSession(session)) return undefined;
  return new ApiError('UNAUTHORIZED', 'log in or send an API token');
}

/** Login, logout and API tokens. */
export function registerAuthRoutes(
  app: FastifyInstance,
  backend: ApiBackend,
  loginLimiter: RateLimiter,
): void {
  app.post<{ Body: { password: string } }>(
    '/api/auth/login',
    { config: { public: true }, schema: { body: loginBody, response: { 200: okResponse } } },
    async (request, reply): Promise<OkDto> => {
      const limit = loginLimiter.hit(request.ip);
      if (!limit.allowed) {
        void reply.header('retry-after', String(limit.retryAfterSeconds));
        throw new ApiError('RATE_LIMITED', `too many login attempts; retry in ${limit.retryAfterSeconds} s`);
      }
      if (!(await backend.auth.verifyPassword(request.body.password))) {
        throw new ApiError('UNAUTHORIZED', 'wrong password', 'password');
      }
      loginLimiter.reset(request.ip);
      const session = backend.auth.createSession();
      void reply.setCookie(sessionCookie, session.id, {
        httpOnly: true,
        sameSite: 'strict',
        path: '/',
        // Secure only over TLS, or a plain-HTTP LAN install could never log in.
        secure: request.protocol === 'https',
        maxAge: session.maxAgeSeconds,
      });
      return { ok: true };
    },
  );

  app.post(
    '/api/auth/logout',
    { config: { public: true }, schema: { response: { 200: okResponse } } },
    (request, reply): OkDto => {
      const session = request.cookies[sessionCookie];
      if (session !== undefined && session !== '') backend.auth.endSession(session);
      void reply.clearCookie(sessionCookie, { path: '/' });
      return { ok: true };
    },
  );

  app.get(
    '/api/tokens',
    { schema: { response: { 200: { type: 'array', items: tokenResponse } } } },
    (): TokenDto[] => backend.auth.listTokens(),
  );

  app.post<{ Body: { name: string } }>(
    '/api/tokens',
    { schema: { body: createTokenBody, response: { 201: createdTokenResponse } } },
    (request, reply): CreatedTokenDto => {
      void reply.code(201);
      return backend.auth.createToken(request.body.name);
    },
  );

  app.delete<{ Params: { id: string } }>(
    '/api/tokens/:id',
    { schema: { params: idParams, response: { 200: okResponse } } },
    (request): OkDto => {
      backend.auth.revokeToken(request.params.id);
      return { ok: true };
    },
  );
}
