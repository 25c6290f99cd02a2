import type { IncomingMessage, Server } from 'node:http';
import { Socket } from 'node:net';
import type { FastifyBaseLogger, FastifyInstance, FastifyRequest } from 'fastify';

/** Timeouts and caps of the HTTP server (config `HTTP_*`). */
export interface HttpLimits {
  /** Time a client has to send its request line and headers. */
  headersTimeoutMs: number;
  /** Time a request body has to arrive after its headers (uploads follow `upload*` instead). */
  bodyTimeoutMs: number;
  /** How long an idle keep-alive connection waits for its next request. */
  keepAliveTimeoutMs: number;
  /** A connection with no bytes either way for this long is closed. */
  idleTimeoutMs: number;
  /** Connections served at once; a connection beyond is closed on arrival. */
  maxConnections: number;
  /** An upload must bring at least this many bytes in each `uploadWindowMs`, or it is cut. */
  uploadMinBytesPerWindow: number;
  /** The window of that upload rate floor. */
  uploadWindowMs: number;
}

/** Defaults: a trickling body is cut within 15 s, a trickling upload within 30 s. */
export const defaultHttpLimits: HttpLimits = {
  headersTimeoutMs: 10_000,
  bodyTimeoutMs: 15_000,
  keepAliveTimeoutMs: 5_000,
  idleTimeoutMs: 60_000,
  maxConnections: 256,
  // 64 KiB per 30 s is about 17 kbit/s: far below any real uplink, far above a trickle.
  uploadMinBytesPerWindow: 64 * 1024,
  uploadWindowMs: 30_000,
};

/** Options for `http.createServer`/`https.createServer` that must be given at creation. */
export function nodeServerOptionsFor(limits: HttpLimits): { connectionsCheckingInterval: number } {
  // How often Node checks headersTimeout: often enough that the timeout means what it says.
  return { connectionsCheckingInterval: Math.max(250, Math.min(1000, limits.headersTimeoutMs / 4)) };
}

/** Per request: the timer watching its body, and whether it may be slow (an upload under way). */
interface BodyWatch {
  timer: NodeJS.Timeout | undefined;
}

const watches = new WeakMap<IncomingMessage, BodyWatch>();

/**
 * Lets this request's body take as long as it keeps up the upload rate floor (the upload route calls
 * it once the request is authenticated). Other requests, and refused uploads, keep the short deadline.
 */
export function allowSlowBody(request: FastifyRequest, limits: HttpLimits): void {
  const raw = request.raw;
  const watch = watches.get(raw);
  if (!watch || raw.complete) return;
  clearTimeout(watch.timer);
  let lastBytes = raw.socket.bytesRead;
  const check = (): void => {
    if (raw.complete || raw.socket.destroyed) return;
    const bytes = raw.socket.bytesRead;
    if (bytes - lastBytes < limits.uploadMinBytesPerWindow) {
      cut(request, 'upload slower than the rate floor');
      return;
    }
    lastBytes = bytes;
    watch.timer = setTimeout(check, limits.uploadWindowMs).unref();
  };
  watch.timer = setTimeout(check, limits.uploadWindowMs).unref();
}

/** Closes the connection of a request whose body is too slow; logged once per address per minute. */
function cut(request: FastifyRequest, why: string): void {
  request.raw.socket.destroy();
  complaints.say(request.log, request.ip, why);
}

/** Log lines about slow clients, at most one per address per minute (a flood must not flood the log). */
class Complaints {
  readonly #lastAt = new Map<string, number>();

  say(log: FastifyBaseLogger, address: string, why: string): void {
    const now = Date.now();
    const last = this.#lastAt.get(address);
    if (last !== undefined && now - last < 60_000) return;
    if (this.#lastAt.size >= 1000) this.#lastAt.clear();
    this.#lastAt.set(address, now);
    log.warn({ remoteAddress: address, why }, 'slow HTTP client cut off');
  }
}

const complaints = new Complaints();

/**
 * Applies the limits to a Fastify instance before its routes: Node's timers and connection cap on the
 * server, and a body deadline on every request. A request whose body has not fully arrived
 * `bodyTimeoutMs` after its headers loses its connection. That holds after an early answer too (a 401
 * before the body was read), since Node keeps reading such a body to reuse the connection.
 */
export function applyHttpLimits(app: FastifyInstance, limits: HttpLimits): void {
  const server: Server = app.server;
  server.headersTimeout = limits.headersTimeoutMs;
  server.maxConnections = limits.maxConnections;
  let dropsLogged = 0;
  server.on('drop', (data?: { remoteAddress?: string }) => {
    // One line per burst is enough to see the cap was reached.
    if (dropsLogged++ % 100 === 0)
      app.log.warn({ remoteAddress: data?.remoteAddress, dropped: dropsLogged }, 'HTTP connection cap reached');
  });

  app.addHook('onRequest', (request, _reply, done) => {
    const raw = request.raw;
    // Injected requests (tests, light-my-request) have no socket to cut.
    if (!raw.complete && raw.socket instanceof Socket) {
      const watch: BodyWatch = { timer: undefined };
      watches.set(raw, watch);
      watch.timer = setTimeout(() => {
        if (!raw.complete && !raw.socket.destroyed) cut(request, 'request body too slow');
      }, limits.bodyTimeoutMs).unref();
    }
    done();
  });
  // Most bodies are in by the time the answer is sent: their timer goes then. One still arriving (an
  // early 401) keeps it.
  app.addHook('onResponse', (request, _reply, done) => {
    const raw = request.raw;
    const watch = watches.get(raw);
    if (watch && raw.complete) clearTimeout(watch.timer);
    done();
  });
}
