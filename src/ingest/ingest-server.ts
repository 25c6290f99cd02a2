import net from 'node:net';
import tls from 'node:tls';
import type { Duplex } from 'node:stream';
import { TypedEmitter } from '../shared/events.js';
import { silentLogger, type Logger } from '../shared/logger.js';
import { ServerSession, type StreamDecision, type StreamRequest } from '../rtmp/index.js';
import type { MediaPacket } from '../media/packet.js';
import { Publisher, liveSessionOf } from './publisher.js';
import { pullLiveSession } from './puller.js';

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
  readonly #servers: net.Server[] = [];
  readonly #sockets = new Set<Duplex>();
  /** Players by the key they were let in with, so a rotated key can end them. */
  readonly #players = new Map<Player, string>();

  constructor(options: IngestOptions) {
    super();
    this.#options = options;
    this.#log = (options.logger ?? silentLogger).child({ module: 'ingest' });
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
    const session = new ServerSession(stream, {
      authorizePublish: (request) => this.#authorize(request, 'publish'),
      authorizePlay: (request) => this.#authorize(request, 'play'),
    });
    const log = this.#log.child({ remote });
    const setupTimer = setTimeout(() => {
      session.close('no publish or play in time');
    }, this.#options.setupTimeoutMs ?? 15_000);
    setupTimer.unref();
    session.on('publish', () => {
      clearTimeout(setupTimer);
    });
    session.on('play', (request) => {
      clearTimeout(setupTimer);
      const channelId = this.#options.keys.channelForPlayKey(request.name);
      if (channelId === undefined) return;
      const player = playerOf(channelId, session);
      this.#players.set(player, request.name);
      session.on('close', () => this.#players.delete(player));
      this.safeEmit('player', player);
    });
    session.on('close', (info) => {
      clearTimeout(setupTimer);
      log.info({ reason: info.reason, clean: info.clean }, 'rtmp session closed');
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
    const publisher = new Publisher(channelId, 'pull', `pull ${url.host}`, pullLiveSession(url), key);
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

  #authorize(request: StreamRequest, action: 'publish' | 'play'): StreamDecision {
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
      this.#log.warn({ action, app: request.app }, 'refused: unknown stream key');
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
