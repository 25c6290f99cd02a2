import type { IncomingMessage, Server } from 'node:http';
import { BlockList, Socket, isIPv4 } from 'node:net';
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
  /** Connections served at once from one address (trusted proxies excepted). */
  maxConnectionsPerAddress: number;
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
  // A browser opens 6 per host, and the event stream one more: room for a few tabs and a script.
  maxConnectionsPerAddress: 32,
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
  /** Where this server's cut-offs are said. */
  complaints: Complaints;
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
      cut(request, watch.complaints, 'upload slower than the rate floor');
      return;
    }
    lastBytes = bytes;
    watch.timer = setTimeout(check, limits.uploadWindowMs).unref();
  };
  watch.timer = setTimeout(check, limits.uploadWindowMs).unref();
}

/** Closes the connection of a request whose body is too slow; logged once per address per minute. */
function cut(request: FastifyRequest, complaints: Complaints, why: string): void {
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
    log.warn({ remoteAddress: address, why }, 'HTTP client cut off');
  }
}

/** proxy-addr's named ranges (what TRUST_PROXY accepts besides addresses and CIDRs). */
const namedRanges: Readonly<Record<string, readonly string[]>> = {
  loopback: ['127.0.0.0/8', '::1/128'],
  linklocal: ['169.254.0.0/16', 'fe80::/10'],
  uniquelocal: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7'],
};

/** An IPv4-mapped IPv6 address (`::ffff:1.2.3.4`, what a dual-stack listener reports) as plain IPv4. */
function plainAddress(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  return mapped ?? address;
}

/** Whether an address is one of `entries` (TRUST_PROXY's: named ranges, addresses, CIDRs). */
export function addressMatcher(entries: readonly string[]): (address: string) => boolean {
  const list = new BlockList();
  for (const entry of entries.flatMap((e) => namedRanges[e] ?? [e])) {
    const [address = '', prefix] = entry.split('/');
    const family = isIPv4(address) ? 'ipv4' : 'ipv6';
    if (prefix === undefined) list.addAddress(address, family);
    else list.addSubnet(address, Number(prefix), family);
  }
  return (address) => {
    const plain = plainAddress(address);
    return list.check(plain, isIPv4(plain) ? 'ipv4' : 'ipv6');
  };
}

/**
 * Applies the limits to a Fastify instance before its routes: Node's timers and connection cap on the
 * server, and a body deadline on every request. A request whose body has not fully arrived
 * `bodyTimeoutMs` after its headers loses its connection. That holds after an early answer too (a 401
 * before the body was read), since Node keeps reading such a body to reuse the connection.
 */
export function applyHttpLimits(
  app: FastifyInstance,
  limits: HttpLimits,
  isTrustedProxy: (address: string) => boolean = () => false,
): void {
  const server: Server = app.server;
  const complaints = new Complaints();
  server.headersTimeout = limits.headersTimeoutMs;
  server.maxConnections = limits.maxConnections;
  // Per address, so that one client cannot hold every connection; a trusted proxy carries everyone's.
  const perAddress = new Map<string, number>();
  server.on('connection', (socket: Socket) => {
    const address = plainAddress(socket.remoteAddress ?? '');
    if (isTrustedProxy(address)) return;
    const count = (perAddress.get(address) ?? 0) + 1;
    if (count > limits.maxConnectionsPerAddress) {
      socket.destroy();
      complaints.say(app.log, address, 'too many connections from one address');
      return;
    }
    perAddress.set(address, count);
    socket.once('close', () => {
      const left = (perAddress.get(address) ?? 1) - 1;
      if (left <= 0) perAddress.delete(address);
      else perAddress.set(address, left);
    });
  });
  let dropsLogged = 0;
  server.on('drop', (data?: { remoteAddress?: string }) => {
    // One line per burst is enough to see the cap was reached.
    if (dropsLogged++ % 100 === 0)
      app.log.warn(
        { remoteAddress: data?.remoteAddress, dropped: dropsLogged },
        'HTTP connection cap reached',
      );
  });

  app.addHook('onRequest', (request, _reply, done) => {
    const raw = request.raw;
    // Injected requests (tests, light-my-request) have no socket to cut.
    if (!raw.complete && raw.socket instanceof Socket) {
      const watch: BodyWatch = { timer: undefined, complaints };
      watches.set(raw, watch);
      watch.timer = setTimeout(() => {
        if (!raw.complete && !raw.socket.destroyed) cut(request, complaints, 'request body too slow');
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
