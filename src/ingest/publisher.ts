import { TypedEmitter } from '../shared/events.js';
import type { MediaPacket } from '../media/packet.js';
import type { ServerSession } from '../rtmp/server-session.js';

/**
 * How a publisher went away. `clean`: OBS said it stops (FCUnpublish/deleteStream) before closing;
 * `dropped`: the connection died without that (network loss, crash, protocol error); `replaced`: a new
 * publisher with the same key took over (OBS reconnecting while its old session was half-open);
 * `revoked`: the key it published with was rotated away.
 */
export type PublisherEnd = 'clean' | 'dropped' | 'replaced' | 'revoked';

/** Events of a publisher. */
export interface PublisherEvents {
  media: [packet: MediaPacket];
  end: [how: PublisherEnd, reason: string];
}

/**
 * Where a live source's media comes from: an OBS session publishing to us, or a stream we pull from an
 * external SRS/nginx-rtmp. `onEnd` reports whether the far end said it stopped (`clean`).
 */
export interface LiveSession {
  onMedia(listener: (packet: MediaPacket) => void): void;
  onEnd(listener: (clean: boolean, reason: string) => void): void;
  close(reason: string): void;
  readonly bytesRead: number;
}

/** A publishing OBS session as a live session. */
export function liveSessionOf(session: ServerSession): LiveSession {
  return {
    onMedia: (listener) => session.on('media', listener),
    onEnd: (listener) =>
      session.on('close', (info) => {
        listener(info.clean, info.reason);
      }),
    close: (reason) => {
      session.close(reason);
    },
    get bytesRead() {
      return session.connection.bytesRead;
    },
  };
}

/** One live source bound to a channel. */
export class Publisher extends TypedEmitter<PublisherEvents> {
  readonly channelId: string;
  /** Where it comes from, for logs (the client's address, or the pulled server). */
  readonly remote: string;
  /** The stream key it was let in with (never logged), checked again when keys change. */
  readonly key: string;
  readonly #session: LiveSession;
  #ended = false;
  #replaced = false;

  constructor(channelId: string, remote: string, session: LiveSession, key: string) {
    super();
    this.channelId = channelId;
    this.remote = remote;
    this.key = key;
    this.#session = session;
    session.onMedia((packet) => {
      this.safeEmit('media', packet);
    });
    session.onEnd((clean, reason) => {
      this.#end(this.#replaced ? 'replaced' : clean ? 'clean' : 'dropped', reason);
    });
  }

  /** Bytes received from the source. */
  get bytesRead(): number {
    return this.#session.bytesRead;
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** Closes the session because another publisher took the channel. */
  replace(): void {
    this.#replaced = true;
    this.#session.close('replaced by a new publisher with the same key');
  }

  /** Closes the session because the key it published with no longer opens the channel. */
  revoke(reason: string): void {
    this.#end('revoked', reason);
    this.#session.close(reason);
  }

  /** Closes the session (shutdown, channel deleted); reported as a drop unless `clean`. */
  kick(reason: string, clean = false): void {
    if (clean) this.#end('clean', reason);
    this.#session.close(reason);
  }

  #end(how: PublisherEnd, reason: string): void {
    if (this.#ended) return;
    this.#ended = true;
    this.safeEmit('end', how, reason);
    this.removeAllListeners();
  }
}
