import net from 'node:net';
import tls from 'node:tls';
import type { Duplex } from 'node:stream';
import { TypedEmitter } from '../shared/events.js';
import { silentLogger, type Logger } from '../shared/logger.js';
import { RtmpError, ServerSession, type StreamDecision, type StreamRequest } from '../rtmp/index.js';
import type { MediaPacket } from '../media/packet.js';
import { Publisher, liveSessionOf } from './publisher.js';
import { pullLiveSession } from './puller.js';
import { RefusalLog } from './refusal-log.js';

/** How ingest learns which channel a key belongs to (the store lives elsewhere). */
export interface StreamKeys {
  /** The channel a publish key opens, or undefined. Must compare in constant time. */
  channelForPublishKey(key: string): string | undefined;
  /** The channel whose program a play key may watch, or undefined. */
  channelForPlayKey(key: string): string | undefined;
}

/** A client watching a channel's program (ffplay, VLC, a test). */
export interface Player {
  readonly channelId: string;
  /** Sends a program packet (dts already on the program timeline). */
  send(packet: MediaPacket): boolean;
  /** True while the socket buffer is full. */
  readonly congested: boolean;
  close(reason: string): void;
  onClose(listener: () => void): void;
}

/** Events of the ingest server. */
export interface IngestEvents {
  /** A publisher was authenticated and took its channel (any previous one has been replaced). */
  publisher: [publisher: Publisher];
  /** A player was authenticated. */
  player: [player: Player];
}

/** Ingest settings. */
export interface IngestOptions {
  keys: StreamKeys;
  logger?: Logger;
  /** The RTMP application OBS publishes to (default `live`). */
  app?: string;
  /** A connection that neither publishes nor plays within this time is closed (default 15 s). */
  setupTimeoutMs?: number;
  /** Most connections that have not published or played yet; a new one drops the idlest (default 64). */
  maxPending?: number;
  /** The same, per remote address (default 8). */
  maxPendingPerAddress?: number;
  /** One refusal line per address and reason per this window (default 60 s). */
  refusalLogWindowMs?: number;
}

/** Defaults of the pending-connection limits (README: Configuration). */
export const pendingDefaults = { maxPending: 64, maxPendingPerAddress: 8, setupTimeoutMs: 15_000 } as const;

/** A connection that has not published or played yet. */
interface Pending {
  readonly remote: string;
  readonly session: ServerSession;
  /** When its last bytes arrived (ms, monotonic): a peer mid-setup is never the idlest for long. */
  lastDataAt: number;
}

/**
 * The RTMP(S) listeners and their sessions: authenticates publishers and players by stream key, binds
 * publishers to channels, and lets a new publisher with the right key take over at once from a
 * half-open old one (OBS reconnecting after a drop: Node-Media-Server #381, nginx-rtmp #1152).
 */
export class IngestServer extends TypedEmitter<IngestEvents> {
  readonly #options: IngestOptions;
  readonly #log: Logger;
  readonly #publishers = new Map<string, Publisher>();
  /** The URL each pull publisher plays (weak: a pull is forgotten with its publisher). */
  readonly #pullUrls = new WeakMap<Publisher, string>();
  readonly #servers: net.Server[] = [];
  readonly #sockets = new Set<Duplex>();
  /** Players by the key they were let in with, so a rotated key can end them. */
  readonly #players = new Map<Player, string>();
  /** Pending connections, oldest first (insertion order). */
  readonly #pending = new Set<Pending>();
  readonly #pendingByAddress = new Map<string, number>();
  readonly #refusals: RefusalLog;

  constructor(options: IngestOptions) {
    super();
    this.#options = options;
    this.#log = (options.logger ?? silentLogger).child({ module: 'ingest' });
    this.#refusals = new RefusalLog(
      this.#log,
      options.refusalLogWindowMs === undefined ? {} : { windowMs: options.refusalLogWindowMs },
    );
  }

  /** Connections that have not published or played yet. */
  get pendingCount(): number {
    return this.#pending.size;
  }

  /** The publisher holding a channel now, if any. */
  publisherOf(channelId: string): Publisher | undefined {
    return this.#publishers.get(channelId);
  }

  /** Listens for plain RTMP; resolves with the bound port. */
  listen(port: number, host = '0.0.0.0'): Promise<number> {
    return this.#listen(
      net.createServer((socket) => {
        this.accept(socket, socket.remoteAddress ?? '?');
      }),
      port,
      host,
    );
  }

  /** Listens for RTMPS with the given certificate and key (PEM). */
  listenTls(
    port: number,
    host: string,
    credentials: { cert: string | Buffer; key: string | Buffer },
  ): Promise<number> {
    const server = tls.createServer(credentials, (socket) => {
      this.accept(socket, socket.remoteAddress ?? '?');
    });
    return this.#listen(server, port, host);
  }

  /** Serves one connection (a socket from a listener, or any Duplex in tests). */
  accept(stream: Duplex, remote: string): void {
    if (stream instanceof net.Socket) {
      stream.setNoDelay(true);
      stream.setKeepAlive(true, 10_000);
    }
    this.#sockets.add(stream);
    stream.once('close', () => this.#sockets.delete(stream));
    this.#makeRoom(remote);
    const session = new ServerSession(stream, {
      authorizePublish: (request) => this.#authorize(request, 'publish', remote),
      authorizePlay: (request) => this.#authorize(request, 'play', remote),
    });
    const pending: Pending = { remote, session, lastDataAt: performance.now() };
    this.#addPending(pending);
    const onData = (): void => {
      pending.lastDataAt = performance.now();
    };
    stream.on('data', onData);
    const log = this.#log.child({ remote });
    const setupTimeoutMs = this.#options.setupTimeoutMs ?? pendingDefaults.setupTimeoutMs;
    const setupTimer = setTimeout(() => {
      session.close(
        'no publish or play in time',
        new RtmpError('TIMEOUT', `no publish or play within ${setupTimeoutMs} ms`),
      );
    }, setupTimeoutMs);
    setupTimer.unref();
    let trusted = false;
    const proven = (): void => {
      trusted = true;
      stream.off('data', onData);
      clearTimeout(setupTimer);
      this.#removePending(pending);
    };
    session.on('publish', proven);
    session.on('play', (request) => {
      proven();
      const channelId = this.#options.keys.channelForPlayKey(request.name);
      if (channelId === undefined) return;
      const player = playerOf(channelId, session);
      this.#players.set(player, request.name);
      session.on('close', () => this.#players.delete(player));
      this.safeEmit('player', player);
    });
    session.on('close', (info) => {
      clearTimeout(setupTimer);
      this.#removePending(pending);
      if (trusted) {
        log.info({ reason: info.reason, clean: info.clean }, 'rtmp session closed');
        return;
      }
      // Before a key was proven every close is a refusal (or a scan): logged once per address and reason.
      const { error } = info;
      const code = error instanceof RtmpError ? error.code : error === undefined ? 'CLOSED' : 'SOCKET_ERROR';
      this.#refusals.refused(remote, code, { reason: info.reason }, 'rtmp session closed');
    });
    session.on('publish', (request) => {
      const channelId = this.#options.keys.channelForPublishKey(request.name);
      if (channelId === undefined) return;
      this.#bind(
        channelId,
        new Publisher(channelId, 'publish', remote, liveSessionOf(session), request.name),
        log,
      );
    });
  }

  /**
   * Makes a stream on an external server (SRS, nginx-rtmp) the channel's live source, as a publisher
   * that takes over like any other. `url` is `rtmp[s]://server/app/stream`; `key` is the channel key
   * the external publisher was let in with.
   */
  pull(channelId: string, url: URL, key: string): Publisher {
    // The upstream publisher restarted while our pull of it still plays (nginx-rtmp keeps players
    // through a publisher's restart): the new stream arrives on that pull, its clock back at 0, which
    // the channel re-anchors at its keyframe. A second pull would only cut it and wait for a keyframe.
    const current = this.#publishers.get(channelId);
    if (current && !current.ended && current.key === key && this.#pullUrls.get(current) === url.href) {
      this.#log.info(
        { channel: channelId, pull: url.host },
        'upstream publisher restarted; the pull goes on',
      );
      return current;
    }
    const publisher = new Publisher(channelId, 'pull', `pull ${url.host}`, pullLiveSession(url), key);
    this.#pullUrls.set(publisher, url.href);
    this.#bind(channelId, publisher, this.#log.child({ pull: url.host }));
    return publisher;
  }

  /** The external server said its publisher stopped: end the pull as a deliberate stop. */
  endPull(channelId: string, reason: string): boolean {
    const publisher = this.#publishers.get(channelId);
    if (publisher?.kind !== 'pull') return false;
    publisher.kick(reason, true);
    return true;
  }

  /**
   * A channel's keys changed: ends at once its publisher or pull, and its players, whose key no longer
   * opens it (a rotated ingest key). Those on a key that still works (a preview key) go on. Answers
   * how many of each were ended.
   */
  revokeStaleKeys(channelId: string, reason: string): { publishers: number; players: number } {
    const keys = this.#options.keys;
    let publishers = 0;
    const publisher = this.#publishers.get(channelId);
    if (publisher && keys.channelForPublishKey(publisher.key) !== channelId) {
      this.#publishers.delete(channelId);
      publisher.revoke(reason);
      publishers++;
    }
    let players = 0;
    for (const [player, key] of [...this.#players]) {
      if (player.channelId !== channelId || keys.channelForPlayKey(key) === channelId) continue;
      this.#players.delete(player);
      player.close(reason);
      players++;
    }
    if (publishers + players > 0)
      this.#log.warn({ channel: channelId, publishers, players, reason }, 'sessions on a revoked key ended');
    return { publishers, players };
  }

  /** Stops listening and closes every session. */
  async close(): Promise<void> {
    for (const publisher of this.#publishers.values()) publisher.kick('server shutting down');
    for (const socket of this.#sockets) socket.destroy();
    await Promise.all(
      this.#servers.map(
        (server) =>
          new Promise<void>((resolve) =>
            server.close(() => {
              resolve();
            }),
          ),
      ),
    );
    this.#servers.length = 0;
  }

  #bind(channelId: string, publisher: Publisher, log: Logger): void {
    const previous = this.#publishers.get(channelId);
    this.#publishers.set(channelId, publisher);
    publisher.on('end', (how, reason) => {
      if (this.#publishers.get(channelId) === publisher) this.#publishers.delete(channelId);
      log.info({ channel: channelId, how, reason }, 'publisher ended');
    });
    if (previous) {
      log.warn({ channel: channelId, previous: previous.remote }, 'new publisher takes over the channel');
      previous.replace();
    }
    log.info({ channel: channelId }, 'publisher started');
    this.safeEmit('publisher', publisher);
  }

  /**
   * Drops pending connections when a new one from `remote` would exceed a limit: the one that has sent
   * nothing for longest (the oldest, among idle ones). A real OBS mid-setup sends every round trip, so
   * attackers that reconnect as fast as they are dropped still cannot push it out.
   */
  #makeRoom(remote: string): void {
    const perAddress = this.#options.maxPendingPerAddress ?? pendingDefaults.maxPendingPerAddress;
    if ((this.#pendingByAddress.get(remote) ?? 0) >= perAddress) {
      const idlest = this.#idlest((pending) => pending.remote === remote);
      if (idlest) this.#evict(idlest, `more than ${perAddress} pending connections from this address`);
    }
    const max = this.#options.maxPending ?? pendingDefaults.maxPending;
    while (this.#pending.size >= max) {
      const idlest = this.#idlest(() => true);
      if (!idlest) break;
      this.#evict(idlest, `more than ${max} pending connections`);
    }
  }

  #idlest(which: (pending: Pending) => boolean): Pending | undefined {
    let idlest: Pending | undefined;
    for (const pending of this.#pending) {
      if (which(pending) && (idlest === undefined || pending.lastDataAt < idlest.lastDataAt))
        idlest = pending;
    }
    return idlest;
  }

  #evict(pending: Pending, why: string): void {
    this.#removePending(pending);
    pending.session.close(
      'dropped: the pending-connection pool is full',
      new RtmpError('PENDING_LIMIT', `${why}; dropped the one idle longest`),
    );
  }

  #addPending(pending: Pending): void {
    this.#pending.add(pending);
    this.#pendingByAddress.set(pending.remote, (this.#pendingByAddress.get(pending.remote) ?? 0) + 1);
  }

  #removePending(pending: Pending): void {
    if (!this.#pending.delete(pending)) return;
    const left = (this.#pendingByAddress.get(pending.remote) ?? 1) - 1;
    if (left > 0) this.#pendingByAddress.set(pending.remote, left);
    else this.#pendingByAddress.delete(pending.remote);
  }

  #authorize(request: StreamRequest, action: 'publish' | 'play', remote: string): StreamDecision {
    const wantedApp = this.#options.app ?? 'live';
    if (request.app !== wantedApp) {
      return {
        ok: false,
        code: 'BadName',
        description: `Unknown application '${request.app}'; use '${wantedApp}'.`,
      };
    }
    const keys = this.#options.keys;
    const channelId =
      action === 'publish' ? keys.channelForPublishKey(request.name) : keys.channelForPlayKey(request.name);
    if (channelId === undefined) {
      this.#refusals.refused(
        remote,
        'UNKNOWN_KEY',
        { action, app: request.app },
        'refused: unknown stream key',
      );
      return { ok: false, code: 'BadName', description: 'Unknown stream key.' };
    }
    return { ok: true };
  }

  #listen(server: net.Server, port: number, host: string): Promise<number> {
    this.#servers.push(server);
    server.on('error', (err) => {
      this.#log.error({ err: err.message }, 'listener error');
    });
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        const address = server.address();
        resolve(typeof address === 'object' && address ? address.port : port);
      });
    });
  }
}

function playerOf(channelId: string, session: ServerSession): Player {
  return {
    channelId,
    send: (packet) => session.sendMedia(packet),
    get congested() {
      return session.connection.congested;
    },
    close: (reason) => {
      session.close(reason);
    },
    onClose: (listener) => {
      session.on('close', listener);
    },
  };
}
