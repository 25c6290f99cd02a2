import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ApiBackend } from './backend.js';
import type { CreatedTokenDto, OkDto, TokenDto, TokenScope } from '../contract/index.js';
import { maxPasswordLength, minPasswordLength, passwordProblem } from '../contract/index.js';
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
    /** A `read` API token may call it (status, events, metrics, history); others need `admin`. */
    readScope?: boolean;
  }
}

function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (header === undefined) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1] ?? '';
}

/** Methods that change state: with a cookie, they must come from our own pages (CSRF). */
const unsafeMethods: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** The scheme://host[:port] of a URL, normalised (default port dropped); undefined when unparsable. */
function originOf(url: string): string | undefined {
  try {
    const { origin } = new URL(url);
    return origin === 'null' ? undefined : origin;
  } catch {
    return undefined;
  }
}

/**
 * Where a request says it comes from: its Origin header, or failing that its Referer's origin;
 * `'opaque'` for an Origin of `null` (sandboxed frame, privacy redirect) or an unparsable one.
 */
function claimedOrigin(request: FastifyRequest): string | undefined {
  const { origin, referer } = request.headers;
  if (origin !== undefined) return originOf(origin) ?? 'opaque';
  if (referer !== undefined) return originOf(referer) ?? 'opaque';
  return undefined;
}

/**
 * CSRF defence. A state-changing request must not come from another site's page. Any unsafe request
 * that names an origin (Origin, else Referer) must name ours: scheme and Host as this server sees them,
 * behind a trusted proxy its X-Forwarded-* ones. One that names none is let through unless it is a
 * browser's that says it is not same-origin (Sec-Fetch-Site, which pages cannot set): browsers send
 * Origin on every cross-origin POST, PUT and DELETE, and Sec-Fetch-Site on every request, so a request
 * with neither is a script's (curl with a cookie jar) and no page can have forged it. Bearer-token
 * requests are exempt: a page cannot attach our token. The SameSite=Strict cookie already stops
 * cross-site requests in current browsers; this also covers same-site sibling hosts.
 */
function crossOriginFailure(request: FastifyRequest): ApiError | undefined {
  if (!unsafeMethods.has(request.method)) return undefined;
  const claimed = claimedOrigin(request);
  const fetchSite = request.headers['sec-fetch-site'];
  const refused = new ApiError('FORBIDDEN', 'cross-origin request refused');
  if (claimed === undefined)
    return fetchSite === undefined || fetchSite === 'same-origin' ? undefined : refused;
  const own = originOf(`${request.protocol}://${request.host}`);
  if (own !== undefined && claimed === own) return undefined;
  return refused;
}

/**
 * Every route under /api/ needs a session cookie or a bearer token unless its config says `public`.
 * Routes are judged by their registered pattern, so an unknown /api/ path is a 401 too (nothing about
 * which routes exist leaks to a caller without credentials). State-changing requests also pass the
 * same-origin check above (403).
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
  const token = bearerToken(request);
  // Only a well-formed bearer token exempts from the origin check (on /api/ routes it is checked too).
  const hasBearer = token !== undefined && token !== '';
  const session = request.cookies[sessionCookie];
  const hasSessionCookie = !hasBearer && session !== undefined && session !== '';
  const pattern = request.routeOptions.url ?? request.url.split('?', 1)[0] ?? '';
  const config = request.routeOptions.config;
  if (pattern.startsWith('/api/') && config.public !== true) {
    if (token !== undefined) {
      // A bad bearer token is a 401 even with a good cookie: a script should learn its token is dead.
      const scope = token === '' ? undefined : backend.auth.checkToken(token);
      if (scope === undefined) return new ApiError('UNAUTHORIZED', 'invalid API token');
      return scopeFailure(scope, config.readScope === true);
    }
    if (!hasSessionCookie || !backend.auth.checkSession(session)) {
      return new ApiError('UNAUTHORIZED', 'log in or send an API token');
    }
  }
  return hasBearer ? undefined : crossOriginFailure(request);
}

/** A `read` token on a route that needs `admin`: 403 saying so. */
function scopeFailure(scope: TokenScope, readable: boolean): ApiError | undefined {
  if (scope === 'admin' || readable) return undefined;
  return new ApiError(
    'FORBIDDEN',
    'this API token has the read scope (status, events, metrics, history); this needs an admin token',
  );
}

/** Login attempts: limited per client address and over all addresses together. */
export interface LoginLimiters {
  /** Per client address (behind a trusted proxy, the address it forwards). */
  perAddress: RateLimiter;
  /** All addresses together: a guess spread over many addresses still backs off. */
  global: RateLimiter;
}

/** Counts an attempt against both limits; 429 with Retry-After when either is spent. */
function checkLoginLimit(limiters: LoginLimiters, request: FastifyRequest, reply: FastifyReply): void {
  const local = limiters.perAddress.hit(request.ip);
  // An address already refused does not use up everyone's allowance.
  const verdict = local.allowed ? limiters.global.hit('') : local;
  if (verdict.allowed) return;
  void reply.header('retry-after', String(verdict.retryAfterSeconds));
  throw new ApiError('RATE_LIMITED', `too many login attempts; retry in ${verdict.retryAfterSeconds} s`);
}

/** Body of `POST /api/auth/password`. */
const changePasswordBody = {
  type: 'object',
  required: ['currentPassword', 'newPassword'],
  additionalProperties: false,
  properties: {
    currentPassword: { type: 'string', minLength: 1, maxLength: 1024 },
    newPassword: { type: 'string', minLength: minPasswordLength, maxLength: maxPasswordLength },
  },
} as const;

/**
 * Body cap of the auth routes, which anyone may call: two passwords of the longest allowed fit, and a
 * flood of large bodies is refused before a byte is parsed. Every other route has the API's 64 KiB.
 */
const authBodyLimitBytes = 4 * maxPasswordLength + 1024;

/** Login, logout and API tokens. */
export function registerAuthRoutes(app: FastifyInstance, backend: ApiBackend, limiters: LoginLimiters): void {
  app.post<{ Body: { password: string } }>(
    '/api/auth/login',
    {
      config: { public: true },
      bodyLimit: authBodyLimitBytes,
      schema: { body: loginBody, response: { 200: okResponse } },
    },
    async (request, reply): Promise<OkDto> => {
      checkLoginLimit(limiters, request, reply);
      if (!(await backend.auth.verifyPassword(request.body.password))) {
        throw new ApiError('UNAUTHORIZED', 'wrong password', 'password');
      }
      limiters.perAddress.reset(request.ip);
      const session = backend.auth.createSession();
      void reply.setCookie(sessionCookie, session.id, {
        httpOnly: true,
        sameSite: 'strict',
        path: '/',
        // Secure only over TLS (ours, or a trusted proxy's), or a plain-HTTP LAN install could never log in.
        secure: request.protocol === 'https',
        maxAge: session.maxAgeSeconds,
      });
      return { ok: true };
    },
  );

  app.post(
    '/api/auth/logout',
    { config: { public: true }, bodyLimit: authBodyLimitBytes, schema: { response: { 200: okResponse } } },
    (request, reply): OkDto => {
      const session = request.cookies[sessionCookie];
      if (session !== undefined && session !== '') backend.auth.endSession(session);
      void reply.clearCookie(sessionCookie, { path: '/' });
      return { ok: true };
    },
  );

  /*
   * POST /api/auth/password {currentPassword, newPassword}: changes the admin password and ends every
   * other session (the caller's cookie stays valid; API tokens stay). Wrong guesses at the current
   * password count against the login limit, so a stolen session cannot brute-force it.
   */
  app.post<{ Body: { currentPassword: string; newPassword: string } }>(
    '/api/auth/password',
    { bodyLimit: authBodyLimitBytes, schema: { body: changePasswordBody, response: { 200: okResponse } } },
    async (request, reply): Promise<OkDto> => {
      const { currentPassword, newPassword } = request.body;
      checkLoginLimit(limiters, request, reply);
      if (!(await backend.auth.verifyPassword(currentPassword))) {
        throw new ApiError('FORBIDDEN', 'currentPassword is wrong', 'currentPassword');
      }
      const weak = passwordProblem(newPassword);
      if (weak !== undefined) throw new ApiError('VALIDATION', `newPassword ${weak}`, 'newPassword');
      if (newPassword === currentPassword) {
        throw new ApiError('VALIDATION', 'newPassword must differ from currentPassword', 'newPassword');
      }
      limiters.perAddress.reset(request.ip);
      const session = bearerToken(request) === undefined ? request.cookies[sessionCookie] : undefined;
      await backend.auth.changePassword(newPassword, session === '' ? undefined : session);
      return { ok: true };
    },
  );

  app.get(
    '/api/tokens',
    { schema: { response: { 200: { type: 'array', items: tokenResponse } } } },
    (): TokenDto[] => backend.auth.listTokens(),
  );

  app.post<{ Body: { name: string; scope?: TokenScope } }>(
    '/api/tokens',
    { schema: { body: createTokenBody, response: { 201: createdTokenResponse } } },
    (request, reply): CreatedTokenDto => {
      void reply.code(201);
      // `admin` by default: what a token could do before scopes existed, and what scripts ask for.
      return backend.auth.createToken(request.body.name, request.body.scope ?? 'admin');
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
