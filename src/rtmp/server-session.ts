import type { Duplex } from 'node:stream';
import { TypedEmitter } from '../shared/events.js';
import type { MediaPacket } from '../media/packet.js';
import { MessageType, UserControlEvent, setPeerBandwidthMessage, userControlMessage } from './control.js';
import { commandMessage, statusMessage, type Command } from './commands.js';
import { RtmpConnection, type CloseInfo, type ConnectionOptions } from './connection.js';
import { Csid } from './chunk-writer.js';
import { MediaMessageReader } from './timestamp-unwrapper.js';
import { RtmpError } from './errors.js';
import type { RtmpMessage } from './chunk-reader.js';
import { encodeMedia, type MediaSink } from './media-wire.js';

/** What a client asked to publish or play. */
export interface StreamRequest {
  /** The application from `connect` (e.g. `live`). */
  app: string;
  /** The stream name without its query string: the stream key. */
  name: string;
  /** The query string after the name, if any (without `?`). */
  query: string;
  /** `tcUrl` from `connect`. */
  tcUrl: string;
}

/** The answer of the owner to a publish or play request. */
export type StreamDecision =
  { ok: true } | { ok: false; code: 'BadName' | 'Rejected' | 'Denied'; description: string };

/** Events of a server-side session. */
export interface ServerSessionEvents {
  /** A publisher started: media follows. */
  publish: [request: StreamRequest];
  /** A player started: the owner now writes media with `sendMedia`. */
  play: [request: StreamRequest];
  /** The publisher said it stops (FCUnpublish / deleteStream / closeStream): a deliberate stop. */
  unpublish: [];
  /** The session ended. `clean` when the publisher said it stops before the connection went away. */
  close: [info: CloseInfo & { clean: boolean }];
}

/** Options of a server session. */
export interface ServerSessionOptions extends ConnectionOptions {
  /** Decides a publish request (stream-key check lives with the caller). */
  authorizePublish: (request: StreamRequest) => StreamDecision | Promise<StreamDecision>;
  /** Decides a play request. */
  authorizePlay: (request: StreamRequest) => StreamDecision | Promise<StreamDecision>;
  /** Window acknowledgement size we ask the client to ack at. */
  windowAckSize?: number;
}

/**
 * Bytes a peer may make us hold before it has published or played: its unfinished messages, and our
 * answers it leaves unread. OBS's and ffmpeg's commands before `publish` are a few hundred bytes each.
 */
export const defaultUntrustedBufferBytes = 8 * 1024;

const publishStreamId = 1;
/**
 * The server side of one RTMP session, as OBS and ffmpeg drive it: connect, releaseStream, FCPublish,
 * createStream, publish (or play), media, then FCUnpublish/deleteStream on a deliberate stop.
 */
export class ServerSession extends TypedEmitter<ServerSessionEvents> {
  readonly connection: RtmpConnection;
  readonly #options: ServerSessionOptions;
  #app = '';
  #tcUrl = '';
  #mode: 'idle' | 'authorizing' | 'publishing' | 'playing' = 'idle';
  #unpublished = false;
  readonly #media = new MediaMessageReader();
  #mediaSink: MediaSink | undefined;

  constructor(stream: Duplex, options: ServerSessionOptions) {
    super();
    this.#options = options;
    this.connection = new RtmpConnection(stream, 'server', {
      ...options,
      untrustedBufferBytes: options.untrustedBufferBytes ?? defaultUntrustedBufferBytes,
    });
    this.connection.on('command', (command) => {
      this.#onCommand(command);
    });
    this.connection.on('message', (message) => {
      this.#onMessage(message);
    });
    this.connection.on('close', (info) => {
      this.safeEmit('close', { ...info, clean: this.#unpublished });
      this.removeAllListeners();
    });
  }

  /** `publishing`, `playing`, or not yet either. */
  get mode(): 'idle' | 'authorizing' | 'publishing' | 'playing' {
    return this.#mode;
  }

  /** Closes the session with a reason for the log (and the error that made us close it, if any). */
  close(reason: string, error?: Error): void {
    this.connection.close(reason, error);
  }

  /** Where each media packet from the publisher goes (dts unwrapped), with no event in between. */
  setMediaSink(sink: MediaSink | undefined): void {
    this.#mediaSink = sink;
  }

  /** A packet chunked for this (playing) session, shared with every session alike. */
  encode(packet: MediaPacket): Buffer {
    return encodeMedia(packet, this.connection.chunkSize, publishStreamId);
  }

  /** Writes bytes from {@link encode}; false when they wait behind a full socket buffer. */
  write(bytes: Buffer): boolean {
    return this.connection.sendEncoded(bytes);
  }

  /** True while earlier writes wait for the peer to read. */
  get congested(): boolean {
    return this.connection.congested;
  }

  /** Bytes read from the peer. */
  get bytesRead(): number {
    return this.connection.bytesRead;
  }

  /** Sends a media packet to a playing client, with the given 32-bit-reducible timestamp. */
  sendMedia(packet: MediaPacket, dts: number = packet.dts): boolean {
    const typeId =
      packet.kind === 'audio'
        ? MessageType.audio
        : packet.kind === 'video'
          ? MessageType.video
          : MessageType.dataAmf0;
    return this.connection.send({
      typeId,
      streamId: publishStreamId,
      timestamp: dts,
      payload: packet.payload,
    });
  }

  #onCommand(command: Command): void {
    switch (command.name) {
      case 'connect':
        this.#onConnect(command);
        return;
      case 'releaseStream':
      case 'FCPublish':
        this.#result(command, [null]);
        return;
      case 'createStream':
        this.#result(command, [publishStreamId]);
        return;
      case 'publish':
      case 'play':
        void this.#onStreamRequest(command);
        return;
      case 'FCUnpublish':
      case 'deleteStream':
      case 'closeStream':
        if (this.#mode === 'publishing' && !this.#unpublished) {
          this.#unpublished = true;
          this.safeEmit('unpublish');
        }
        return;
      default:
        return;
    }
  }

  #onConnect(command: Command): void {
    const props = command.commandObject ?? {};
    this.#app = typeof props.app === 'string' ? props.app.replace(/\/+$/, '') : '';
    this.#tcUrl = typeof props.tcUrl === 'string' ? props.tcUrl : '';
    const window = this.#options.windowAckSize ?? 2_500_000;
    this.connection.announceWindow(window);
    this.connection.send(setPeerBandwidthMessage(window, 2), Csid.control);
    this.connection.send(
      commandMessage(
        '_result',
        command.transactionId,
        { fmsVer: 'FMS/3,5,7,7009', capabilities: 31, mode: 1 },
        [
          {
            level: 'status',
            code: 'NetConnection.Connect.Success',
            description: 'Connection succeeded.',
            objectEncoding: 0,
          },
        ],
      ),
    );
  }

  async #onStreamRequest(command: Command): Promise<void> {
    if (this.#mode !== 'idle') return;
    const rawName = typeof command.args[0] === 'string' ? command.args[0] : '';
    const queryAt = rawName.indexOf('?');
    const request: StreamRequest = {
      app: this.#app,
      name: queryAt === -1 ? rawName : rawName.slice(0, queryAt),
      query: queryAt === -1 ? '' : rawName.slice(queryAt + 1),
      tcUrl: this.#tcUrl,
    };
    const isPublish = command.name === 'publish';
    this.#mode = 'authorizing';
    let decision: StreamDecision;
    try {
      decision = await (isPublish
        ? this.#options.authorizePublish(request)
        : this.#options.authorizePlay(request));
    } catch {
      decision = { ok: false, code: 'Rejected', description: 'Internal error' };
    }
    if (this.connection.closed) return;
    const streamId = command.streamId || publishStreamId;
    if (!decision.ok) {
      const code = `NetStream.${isPublish ? 'Publish' : 'Play'}.${decision.code}`;
      this.connection.send(statusMessage(streamId, 'error', code, decision.description));
      const reason = `${isPublish ? 'publish' : 'play'} refused: ${code}`;
      this.close(reason, new RtmpError(isPublish ? 'PUBLISH_REJECTED' : 'PLAY_REJECTED', reason));
      return;
    }
    this.connection.trust();
    if (isPublish) {
      this.#mode = 'publishing';
      this.connection.send(userControlMessage(UserControlEvent.streamBegin, streamId), Csid.control);
      this.connection.send(statusMessage(streamId, 'status', 'NetStream.Publish.Start', 'Start publishing'));
      this.safeEmit('publish', request);
    } else {
      this.#mode = 'playing';
      this.connection.send(userControlMessage(UserControlEvent.streamBegin, streamId), Csid.control);
      this.connection.send(
        statusMessage(streamId, 'status', 'NetStream.Play.Reset', 'Playing and resetting'),
      );
      this.connection.send(statusMessage(streamId, 'status', 'NetStream.Play.Start', 'Started playing'));
      this.connection.send({
        typeId: MessageType.dataAmf0,
        streamId,
        timestamp: 0,
        payload: Buffer.from([0x02, 0x00, 0x11, ...Buffer.from('|RtmpSampleAccess'), 0x01, 0x01, 0x01, 0x01]),
      });
      this.safeEmit('play', request);
    }
  }

  #onMessage(message: RtmpMessage): void {
    if (this.#mode !== 'publishing') return;
    const packet = this.#media.packetOf(message);
    if (packet) this.#mediaSink?.(packet);
  }

  #result(command: Command, args: (null | number)[]): void {
    if (command.transactionId === 0) return;
    this.connection.send(commandMessage('_result', command.transactionId, null, args));
  }
}
