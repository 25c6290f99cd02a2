import { TypedEmitter } from '../shared/events.js';
import type { MediaSink, ServerSession } from '../rtmp/index.js';

/**
 * How a publisher went away. `clean`: OBS said it stops (FCUnpublish/deleteStream) before closing;
 * `dropped`: the connection died without that (network loss, crash, protocol error); `replaced`: a new
 * publisher with the same key took over (OBS reconnecting while its old session was half-open);
 * `revoked`: the key it published with was rotated away.
 */
export type PublisherEnd = 'clean' | 'dropped' | 'replaced' | 'revoked';

/** Events of a publisher. Media does not go through an event: see {@link Publisher.setMediaSink}. */
export interface PublisherEvents {
  end: [how: PublisherEnd, reason: string];
}

/** Where a live source comes from: OBS (or any client) publishing to us, or a pull from an external server. */
export type PublisherKind = 'publish' | 'pull';

/**
 * Where a live source's media comes from: an OBS session publishing to us, or a stream we pull from an
 * external SRS/nginx-rtmp. `onEnd` reports whether the far end said it stopped (`clean`).
 */
export interface LiveSession {
  /** Where each media packet goes, straight from the RTMP session that parsed it; none: dropped. */
  setMediaSink(sink: MediaSink | undefined): void;
  onEnd(listener: (clean: boolean, reason: string) => void): void;
  close(reason: string): void;
  readonly bytesRead: number;
}

/** A publishing OBS session as a live session. */
export function liveSessionOf(session: ServerSession): LiveSession {
  return {
    setMediaSink: (sink) => {
      session.setMediaSink(sink);
    },
    onEnd: (listener) =>
      session.on('close', (info) => {
        listener(info.clean, info.reason);
      }),
    close: (reason) => {
      session.close(reason);
    },
    get bytesRead() {
      return session.bytesRead;
    },
  };
}

/** One live source bound to a channel. */
export class Publisher extends TypedEmitter<PublisherEvents> {
  readonly channelId: string;
  /** Publishing to us, or pulled from an external server. */
  readonly kind: PublisherKind;
  /** Where it comes from, for logs (the client's address, or the pulled server). */
  readonly remote: string;
  /** The stream key it was let in with (never logged), checked again when keys change. */
  readonly key: string;
  readonly #session: LiveSession;
  #ended = false;
  #replaced = false;

  constructor(channelId: string, kind: PublisherKind, remote: string, session: LiveSession, key: string) {
    super();
    this.channelId = channelId;
    this.kind = kind;
    this.remote = remote;
    this.key = key;
    this.#session = session;
    session.onEnd((clean, reason) => {
      this.#end(this.#replaced ? 'replaced' : clean ? 'clean' : 'dropped', reason);
    });
  }

  /**
   * Hands every media packet of the source to `sink`, called by the RTMP session that parsed it (no
   * event in between: this is the hot path). Nothing is delivered after the publisher ended.
   */
  setMediaSink(sink: MediaSink): void {
    if (!this.#ended) this.#session.setMediaSink(sink);
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
    this.#session.setMediaSink(undefined);
    this.safeEmit('end', how, reason);
    this.removeAllListeners();
  }
}
