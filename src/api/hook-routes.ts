import { timingSafeEqual, createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { PublishNotification } from '../contract/index.js';
import { RateLimiter } from './rate-limiter.js';

/**
 * A publish or unpublish notification from an external RTMP server, in either server's terms:
 * SRS posts JSON (`action`, `client_id`, `ip`, `vhost`, `app`, `stream`, `param`, `tcUrl`);
 * nginx-rtmp posts a form (`call`, `app`, `name`, `addr`, `tcurl`, `clientid`).
 */
export interface HookNotification extends PublishNotification {
  /** Which server sent it: decides how we answer. */
  server: 'srs' | 'nginx';
}

/** What the hook routes need from the server. */
export interface HookBackend {
  /** Authenticates the stream name and, if it is a channel's key, starts pulling it; false denies. */
  publish(notification: HookNotification): boolean;
  /** The external publisher stopped. */
  unpublish(notification: HookNotification): void;
  /** The shared secret hook URLs must carry as `?secret=`; undefined: only loopback callers. */
  secret: string | undefined;
}

/** Hooks are public (an RTMP server has no session) but limited per caller, like login. */
const hookLimit = { max: 120, windowMs: 60_000 };

/**
 * `POST /api/on_publish` and `POST /api/on_unpublish` (nginx-rtmp's `on_publish_done` may point at the
 * latter): lets an existing SRS or nginx-rtmp front the streamer, with us authenticating its publishers
 * by channel key and restreaming what they send. Callers prove themselves with the shared secret in the
 * hook URL, or by calling from this machine.
 */
export function registerHookRoutes(app: FastifyInstance, hooks: HookBackend): void {
  const limiter = new RateLimiter(hookLimit);
  void app.register((scope, _options, done) => {
    // nginx-rtmp posts application/x-www-form-urlencoded; only these routes read it.
    scope.addContentTypeParser(
      'application/x-www-form-urlencoded',
      { parseAs: 'string' },
      (_request, body, parsed) => {
        parsed(null, Object.fromEntries(new URLSearchParams(String(body))));
      },
    );
    const handle = (kind: 'publish' | 'unpublish') => (request: FastifyRequest, reply: FastifyReply) => {
      const refusal = refuse(request, hooks, limiter);
      if (refusal)
        return reply
          .code(refusal.status)
          .send({ code: refusal.status, error: refusal.error, message: refusal.message });
      const notification = notificationOf(request.body);
      if (!notification)
        return reply.code(400).send({
          code: 400,
          error: 'VALIDATION',
          message: 'not an SRS or nginx-rtmp hook body',
          field: 'stream',
        });
      if (kind === 'unpublish') {
        hooks.unpublish(notification);
        return allow(reply, notification);
      }
      if (hooks.publish(notification)) return allow(reply, notification);
      // SRS denies on any non-200 or non-zero code; nginx-rtmp on a 4xx.
      return reply.code(403).send({ code: 403, error: 'FORBIDDEN', message: 'unknown stream key' });
    };
    scope.post('/api/on_publish', { config: { public: true } }, handle('publish'));
    scope.post('/api/on_unpublish', { config: { public: true } }, handle('unpublish'));
    done();
  });
}

/** SRS wants HTTP 200 with code 0; nginx-rtmp any 2xx. */
function allow(reply: FastifyReply, notification: HookNotification): FastifyReply {
  return notification.server === 'srs'
    ? reply.code(200).send({ code: 0 })
    : reply.code(200).send({ ok: true });
}

function refuse(
  request: FastifyRequest,
  hooks: HookBackend,
  limiter: RateLimiter,
): { status: number; error: string; message: string } | undefined {
  // The client's address: behind a trusted reverse proxy the one it forwards, so a hook call from the
  // internet through a proxy on this machine does not pass for a local one.
  const address = request.ip;
  const limited = limiter.hit(address);
  if (!limited.allowed) return { status: 429, error: 'RATE_LIMITED', message: 'too many hook calls' };
  const query = request.query as Record<string, unknown>;
  const presented = typeof query.secret === 'string' ? query.secret : undefined;
  if (hooks.secret !== undefined && presented !== undefined && sameSecret(presented, hooks.secret))
    return undefined;
  if (isLoopback(address)) return undefined;
  return {
    status: 403,
    error: 'FORBIDDEN',
    message: 'hook calls need ?secret= or must come from this machine',
  };
}

function notificationOf(body: unknown): HookNotification | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const fields = body as Record<string, unknown>;
  const text = (key: string): string | undefined =>
    typeof fields[key] === 'string' ? fields[key] : undefined;
  const isSrs = text('action') !== undefined;
  const app = text('app');
  const name = isSrs ? text('stream') : text('name');
  if (app === undefined || name === undefined || name === '') return undefined;
  return {
    server: isSrs ? 'srs' : 'nginx',
    app,
    stream: name.split('?', 1)[0] ?? name,
    tcUrl: isSrs ? text('tcUrl') : text('tcurl'),
    clientIp: isSrs ? text('ip') : text('addr'),
  };
}

function sameSecret(a: string, b: string): boolean {
  const digest = (s: string): Buffer => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(a), digest(b));
}

function isLoopback(address: string): boolean {
  return address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.');
}
