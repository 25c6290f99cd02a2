import type { Duplex } from 'node:stream';
import { TypedEmitter } from '../shared/events.js';
import type { MediaPacket } from '../media/packet.js';
import type { AmfValue } from '../media/amf0.js';
import { MessageType, UserControlEvent, userControlMessage } from './control.js';
import { MediaMessageReader } from './timestamp-unwrapper.js';
import type { RtmpMessage } from './chunk-reader.js';
import { commandMessage, infoCode, type Command } from './commands.js';
import { RtmpConnection, type CloseInfo, type ConnectionOptions } from './connection.js';
import { Csid } from './chunk-writer.js';
import { RtmpError } from './errors.js';
import { encodeMedia, type MediaSink } from './media-wire.js';
import { maskSecret } from '../shared/logger.js';

/** Where to publish: the pieces of `rtmp[s]://host[:port]/app[/inst]/key[?query]`. */
export interface PublishTarget {
  /** The application path (everything between host and key, e.g. `app` or `live2`). */
  app: string;
  /** The stream name to publish, query string included (as OBS sends it). */
  streamName: string;
  /** `tcUrl`: the URL up to and including the app. */
  tcUrl: string;
}

/** Events of a client session. */
export interface ClientSessionEvents {
  /** `NetStream.Publish.Start` arrived: media may flow. */
  publishing: [];
  /** Play mode: `NetStream.Play.Start` arrived. */
  playing: [];
  /** Play mode: the server said the stream ended (`Play.UnpublishNotify`, `Play.Stop`, StreamEOF). */
  ended: [];
  /** The session ended; `error.code` tells fatal (`PUBLISH_REJECTED`, `CONNECT_REJECTED`) from transient. */
  close: [info: CloseInfo];
}

/** The most of a peer's status text kept (a description is free text of any length). */
const maxPeerTextChars = 200;

/** Codes in an error `onStatus` that mean "retrying will not help". */
const fatalStatusCodes = new Set([
  'NetStream.Publish.BadName',
  'NetStream.Publish.Rejected',
  'NetStream.Publish.Denied',
  'NetConnection.Connect.Rejected',
]);

/**
 * The client side of an RTMP publish, sending the same sequence OBS does (connect, releaseStream,
 * FCPublish, createStream, publish), so that every platform treats us as they treat OBS.
 */
export class ClientSession extends TypedEmitter<ClientSessionEvents> {
  readonly connection: RtmpConnection;
  readonly #target: PublishTarget;
  #streamId = 0;
  #nextTransaction = 1;
  readonly #pending = new Map<number, string>();
  #publishing = false;
  #publishSent = false;

  readonly #play: boolean;
  readonly #media = new MediaMessageReader();
  #mediaSink: MediaSink | undefined;

  /** `play: true` makes it a player (pulling a stream) instead of a publisher. */
  constructor(stream: Duplex, target: PublishTarget, options: ConnectionOptions & { play?: boolean } = {}) {
    super();
    this.#target = target;
    this.#play = options.play ?? false;
    this.connection = new RtmpConnection(stream, 'client', options);
    this.connection.on('ready', () => {
      this.#call('connect', {
        app: target.app,
        type: 'nonprivate',
        flashVer: 'FMLE/3.0 (compatible; FMSc/1.0)',
        swfUrl: target.tcUrl,
        tcUrl: target.tcUrl,
      });
    });
    this.connection.on('command', (command) => {
      this.#onCommand(command);
    });
    if (this.#play) {
      this.connection.on('message', (message) => {
        this.#onMedia(message);
      });
    }
    this.connection.on('close', (info) => {
      this.safeEmit('close', this.#explain(info));
      this.removeAllListeners();
    });
  }

  /**
   * Many servers refuse a publish by just closing the connection (nginx-rtmp when on_publish denies;
   * Twitch and YouTube for an unknown key), so a close between `publish` and `Publish.Start` is
   * reported as PUBLISH_CLOSED: the output decides how often that may happen before it gives up.
   */
  #explain(info: CloseInfo): CloseInfo {
    if (!this.#publishSent || this.#publishing || info.error instanceof RtmpError) return info;
    const message =
      'the platform closed the connection in reply to publish (wrong or unauthorised stream key?)';
    return { reason: message, error: new RtmpError('PUBLISH_CLOSED', message, { cause: info.error }) };
  }

  /** The message stream id the platform gave us (0 until createStream answered). */
  get streamId(): number {
    return this.#streamId;
  }

  get publishing(): boolean {
    return this.#publishing;
  }

  /** Play mode: where each media packet from the server goes (dts unwrapped); none: dropped. */
  setMediaSink(sink: MediaSink | undefined): void {
    this.#mediaSink = sink;
  }

  /** A packet chunked for this session (its chunk size and stream id), shared with every session alike. */
  encode(packet: MediaPacket): Buffer {
    return encodeMedia(packet, this.connection.chunkSize, this.#streamId);
  }

  /** Writes bytes from {@link encode}; false when they wait behind a full socket buffer. */
  write(bytes: Buffer): boolean {
    return this.connection.sendEncoded(bytes);
  }

  /** True while earlier writes wait for the peer to read: stop writing until {@link onDrain}. */
  get congested(): boolean {
    return this.connection.congested;
  }

  /** Calls `listener` each time the socket's buffer empties after it was full. */
  onDrain(listener: () => void): void {
    this.connection.stream.on('drain', listener);
  }

  /** Bytes written to the peer. */
  get bytesWritten(): number {
    return this.connection.bytesWritten;
  }

  /** Bytes read from the peer. */
  get bytesRead(): number {
    return this.connection.bytesRead;
  }

  get closed(): boolean {
    return this.connection.closed;
  }

  /** Closes the connection at once (no FCUnpublish: see {@link finish}); `error` says why to `close`. */
  close(reason: string, error?: Error): void {
    this.connection.close(reason, error);
  }

  /** Sends one media packet with the given timestamp. */
  sendMedia(packet: MediaPacket, dts: number): boolean {
    const typeId =
      packet.kind === 'audio'
        ? MessageType.audio
        : packet.kind === 'video'
          ? MessageType.video
          : MessageType.dataAmf0;
    return this.connection.send({
      typeId,
      streamId: this.#streamId,
      timestamp: dts,
      payload: packet.payload,
    });
  }

  /** Ends the broadcast the way OBS does (FCUnpublish, deleteStream), then closes. */
  finish(reason: string): void {
    if (this.#publishing) {
      this.#call('FCUnpublish', null, this.#target.streamName);
      this.#call('deleteStream', null, this.#streamId);
    }
    this.connection.close(reason);
  }

  #call(name: string, commandObject: AmfValue, ...args: AmfValue[]): void {
    const transactionId = this.#nextTransaction++;
    this.#pending.set(transactionId, name);
    this.connection.send(commandMessage(name, transactionId, commandObject, args));
  }

  #onCommand(command: Command): void {
    switch (command.name) {
      case '_result':
        this.#onResult(command);
        return;
      case '_error':
        this.#onError(command);
        return;
      case 'onStatus':
        this.#onStatus(command);
        return;
      default:
        // onBWDone, onFCPublish, _checkbw…: informational.
        return;
    }
  }

  #onResult(command: Command): void {
    const call = this.#pending.get(command.transactionId);
    this.#pending.delete(command.transactionId);
    if (call === 'connect') {
      // Some servers wait for our window size before acking (it costs nothing to send).
      this.connection.announceWindow(2_500_000);
      if (!this.#play) {
        this.#call('releaseStream', null, this.#target.streamName);
        this.#call('FCPublish', null, this.#target.streamName);
      }
      this.#call('createStream', null);
    } else if (call === 'createStream') {
      const id = command.args[0];
      this.#streamId = typeof id === 'number' ? id : 1;
      if (this.#play) {
        this.connection.send(
          commandMessage('play', 0, null, [this.#target.streamName, -2], this.#streamId),
          Csid.command,
        );
        // A 1 s buffer, as players announce; some servers wait for it before sending media.
        this.connection.send(
          userControlMessage(UserControlEvent.setBufferLength, this.#streamId, 1000),
          Csid.control,
        );
        return;
      }
      const message = commandMessage(
        'publish',
        this.#nextTransaction++,
        null,
        [this.#target.streamName, 'live'],
        this.#streamId,
      );
      this.connection.send(message, Csid.command);
      this.#publishSent = true;
    }
  }

  #onError(command: Command): void {
    const call = this.#pending.get(command.transactionId);
    this.#pending.delete(command.transactionId);
    const { code, description } = infoCode(command);
    const said = this.#peerSaid(code || 'error', description);
    // releaseStream/FCPublish errors are routine on some servers; only connect/createStream matter.
    if (call === 'connect') {
      this.#fail('CONNECT_REJECTED', `connect refused: ${said}`);
    } else if (call === 'createStream') {
      this.#fail('PROTOCOL_VIOLATION', `createStream refused: ${said}`);
    }
  }

  #onStatus(command: Command): void {
    const { level, code, description } = infoCode(command);
    if (code === 'NetStream.Publish.Start') {
      this.#publishing = true;
      this.safeEmit('publishing');
      return;
    }
    if (code === 'NetStream.Play.Start') {
      this.safeEmit('playing');
      return;
    }
    if (code === 'NetStream.Play.UnpublishNotify' || code === 'NetStream.Play.Stop') {
      this.safeEmit('ended');
      return;
    }
    if (level !== 'error') return;
    const fatal = fatalStatusCodes.has(code);
    this.#fail(fatal ? 'PUBLISH_REJECTED' : 'PROTOCOL_VIOLATION', this.#peerSaid(code, description));
  }

  /**
   * The peer's own words, as they may be kept: they end up in status, events, history, webhooks and logs,
   * and a server may quote the stream name (the key) back in them. So the name is masked in every form the
   * peer could have echoed it, and the text is bounded.
   */
  #peerSaid(code: string, description: string): string {
    let text = `${code} ${description}`.trim();
    const name = this.#target.streamName;
    const bare = name.split('?', 1)[0] ?? name;
    for (const form of new Set([name, bare, encodeURIComponent(bare)])) {
      if (form.length > 0) text = text.split(form).join(maskSecret(bare));
    }
    return text.length > maxPeerTextChars ? `${text.slice(0, maxPeerTextChars)}…` : text;
  }

  #onMedia(message: RtmpMessage): void {
    const packet = this.#media.packetOf(message);
    if (packet) this.#mediaSink?.(packet);
  }

  #fail(code: 'CONNECT_REJECTED' | 'PUBLISH_REJECTED' | 'PROTOCOL_VIOLATION', message: string): void {
    this.connection.close(message, new RtmpError(code, message));
  }
}

/** Splits `rtmp[s]://host[:port]/app[/…]/key[?query]` (server URL + key, as OBS composes them). */
export function publishTargetOf(url: URL): PublishTarget {
  const segments = url.pathname.split('/').filter((s) => s.length > 0);
  const key = segments.pop() ?? '';
  const app = segments.join('/');
  const origin = `${url.protocol}//${url.host}`;
  return { app, streamName: `${decodeURIComponent(key)}${url.search}`, tcUrl: `${origin}/${app}` };
}
