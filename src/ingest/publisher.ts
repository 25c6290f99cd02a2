import { TypedEmitter } from '../shared/events.js';
import type { MediaPacket } from '../media/packet.js';
import type { ServerSession } from '../rtmp/server-session.js';

/**
 * How a publisher went away. `clean`: OBS said it stops (FCUnpublish/deleteStream) before closing;
 * `dropped`: the connection died without that (network loss, crash, protocol error); `replaced`: a new
 * publisher with the same key took over (OBS reconnecting while its old session was half-open).
 */
export type PublisherEnd = 'clean' | 'dropped' | 'replaced';

/** Events of a publisher. */
export interface PublisherEvents {
  media: [packet: MediaPacket];
  end: [how: PublisherEnd, reason: string];
}

/** One live source: an authenticated publishing session bound to a channel. */
export class Publisher extends TypedEmitter<PublisherEvents> {
  readonly channelId: string;
  /** The client's address, for logs. */
  readonly remote: string;
  /** When it started publishing (ms, clock of the ingest). */
  readonly startedAt = Date.now();
  readonly #session: ServerSession;
  #ended = false;
  #replaced = false;

  constructor(channelId: string, remote: string, session: ServerSession) {
    super();
    this.channelId = channelId;
    this.remote = remote;
    this.#session = session;
    session.on('media', (packet) => {
      this.safeEmit('media', packet);
    });
    session.on('close', (info) => {
      const how: PublisherEnd = this.#replaced ? 'replaced' : info.clean ? 'clean' : 'dropped';
      this.#end(how, info.reason);
    });
  }

  /** Bytes received from the publisher. */
  get bytesRead(): number {
    return this.#session.connection.bytesRead;
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** Closes the session because another publisher took the channel. */
  replace(): void {
    this.#replaced = true;
    this.#session.close('replaced by a new publisher with the same key');
  }

  /** Closes the session (key rotated, channel deleted, shutdown). */
  kick(reason: string): void {
    this.#session.close(reason);
  }

  #end(how: PublisherEnd, reason: string): void {
    if (this.#ended) return;
    this.#ended = true;
    this.safeEmit('end', how, reason);
    this.removeAllListeners();
  }
}
