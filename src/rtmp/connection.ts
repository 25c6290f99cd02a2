import type { Duplex } from 'node:stream';
import { TypedEmitter } from '../shared/events.js';
import { errorMessage } from '../shared/errors.js';
import { ChunkReader, defaultMaxMessageBytes, type RtmpMessage } from './chunk-reader.js';
import { encodeChunks, Csid } from './chunk-writer.js';
import { ClientHandshake, ServerHandshake } from './handshake.js';
import {
  MessageType,
  UserControlEvent,
  acknowledgementMessage,
  parseUserControl,
  readUint32,
  setChunkSizeMessage,
  splitAggregate,
  userControlMessage,
  windowAckSizeMessage,
} from './control.js';
import { parseCommand, type Command } from './commands.js';
import { RtmpError } from './errors.js';

/** Why a connection ended, as reported to its owner. */
export interface CloseInfo {
  /** Human-readable reason, safe to log (no stream keys). */
  reason: string;
  /** The error that ended it, if any. */
  error?: Error;
}

/** Events of every RTMP connection. */
export interface ConnectionEvents {
  /** A command message (connect, publish, _result, onStatus…). */
  command: [command: Command];
  /** An audio, video or data message, timestamps as on the wire (32-bit). */
  message: [message: RtmpMessage];
  /** The handshake finished. */
  ready: [];
  /** The connection is gone; emitted exactly once. */
  close: [info: CloseInfo];
}

/** Options of a connection. */
export interface ConnectionOptions {
  /** Our outgoing chunk size, announced right after the handshake (OBS uses 4096). */
  chunkSize?: number;
  /** Largest message the peer may declare (default 8 MiB). */
  maxMessageBytes?: number;
  /**
   * How long media sent with `sendEncoded` may wait, so that everything sent meanwhile leaves in one
   * vectored write (default 0: at the end of the tick). Commands and control messages never wait: they
   * take whatever is waiting with them.
   */
  flushIntervalMs?: number;
  /**
   * Until `trust()`: bytes the peer's unfinished messages may hold, and bytes of our answers it may leave
   * unread (default: no limit beyond the message cap). A server gives unauthenticated peers a few kB.
   */
  untrustedBufferBytes?: number;
}

/** All an unauthenticated peer may send, handshake included, before it publishes or plays. */
const UNTRUSTED_READ_BYTES = 64 * 1024;

/** Closes that answer the peer (a final onStatus it should read). */
const refusals: ReadonlySet<string> = new Set(['PUBLISH_REJECTED', 'PLAY_REJECTED']);

/** What unfinished messages may hold once trusted, beyond the message cap: the audio chunks interleaved with it. */
const TRUSTED_SLACK_BYTES = 64 * 1024;

/**
 * One RTMP connection over any Duplex (plain socket, TLS socket, or an in-memory pair in tests): the
 * handshake, chunking, and the protocol control messages that every session needs (chunk size,
 * acknowledgements at the peer's window, ping replies). Sessions build on it and only see commands and
 * media. Nothing here throws into the stream's event handlers: every error closes this one connection.
 */
export class RtmpConnection extends TypedEmitter<ConnectionEvents> {
  readonly stream: Duplex;
  readonly #reader: ChunkReader;
  readonly #maxMessageBytes: number;
  /** The write-queue limit while untrusted; undefined once trusted (or when never limited). */
  #untrustedWriteBytes: number | undefined;
  /** Bytes read while untrusted (handshake included). */
  #untrustedReadBytes = 0;
  #handshake: ServerHandshake | ClientHandshake | undefined;
  #outChunkSize = 128;
  readonly #wantedChunkSize: number;
  /** Window the peer asked us to acknowledge at (WindowAckSize it sent). */
  #peerWindow = 0;
  /** Window we asked the peer to use (our WindowAckSize): ours too until the peer names one. */
  #ownWindow = 0;
  #lastAckAt = 0;
  #closed = false;
  /** Writes are held in user space (the stream is corked) until the next flush. */
  #corked = false;
  /** A flush at the end of this tick is scheduled. */
  #flushThisTick = false;
  /** Bytes written since the stream was corked. */
  #corkedBytes = 0;
  readonly #flushIntervalMs: number;
  /** The coalescing timer, made once and re-armed with refresh() (no allocation per flush). */
  #flushTimer: NodeJS.Timeout | undefined;
  #flushTimerArmed = false;
  /** Bytes written to the stream, for output stats. */
  bytesWritten = 0;

  constructor(stream: Duplex, role: 'server' | 'client', options: ConnectionOptions = {}) {
    super();
    this.stream = stream;
    this.#wantedChunkSize = options.chunkSize ?? 4096;
    this.#flushIntervalMs = options.flushIntervalMs ?? 0;
    this.#maxMessageBytes = options.maxMessageBytes ?? defaultMaxMessageBytes;
    this.#untrustedWriteBytes = options.untrustedBufferBytes;
    this.#reader = new ChunkReader({
      maxMessageBytes: this.#maxMessageBytes,
      maxBufferedBytes: options.untrustedBufferBytes ?? this.#maxMessageBytes + TRUSTED_SLACK_BYTES,
    });
    this.#handshake = role === 'server' ? new ServerHandshake() : new ClientHandshake();
    stream.on('data', (chunk: Buffer) => {
      this.#onData(chunk);
    });
    stream.on('error', (err) => {
      this.close(`socket error: ${err.message}`, err);
    });
    stream.on('close', () => {
      this.close('connection closed by peer');
    });
    stream.on('end', () => {
      this.close('connection closed by peer');
    });
    if (this.#handshake instanceof ClientHandshake) this.#writeRaw(this.#handshake.start());
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Our outgoing chunk size (what shared pre-encoded bytes must have been encoded with). */
  get chunkSize(): number {
    return this.#outChunkSize;
  }

  /** Bytes of the chunk stream received (after the handshake). */
  get bytesRead(): number {
    return this.#reader.bytesRead;
  }

  /**
   * True when earlier writes are still waiting for the kernel (the peer is not reading fast enough):
   * callers stop writing until `drain`. Corked writes do not count; they leave together at the next flush.
   */
  get congested(): boolean {
    return this.stream.writableLength - this.#corkedBytes >= this.stream.writableHighWaterMark;
  }

  /** Bytes queued in user space behind the socket. */
  get pendingBytes(): number {
    return this.stream.writableLength;
  }

  /** The peer proved a key (it publishes or plays): lift the untrusted limits to the message cap. */
  trust(): void {
    this.#untrustedWriteBytes = undefined;
    this.#reader.setBufferBudget(this.#maxMessageBytes + TRUSTED_SLACK_BYTES);
  }

  /** Sends one message, chunked at our chunk size. */
  send(message: RtmpMessage, csid: number = csidFor(message.typeId)): boolean {
    return this.#writeRaw(encodeChunks(message, csid, this.#outChunkSize));
  }

  /**
   * Sends bytes that were already chunked with this connection's chunk size (shared fan-out bytes). They
   * may wait up to `flushIntervalMs` for the writes that follow them.
   */
  sendEncoded(bytes: Buffer): boolean {
    return this.#writeRaw(bytes, this.#flushIntervalMs > 0);
  }

  /** Ends the connection once; later calls do nothing. */
  close(reason: string, error?: Error): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#handshake = undefined;
    if (this.#flushTimer) clearTimeout(this.#flushTimer);
    this.#flush();
    if (!this.stream.destroyed) {
      // end() lets queued bytes (a final onStatus, deleteStream) go out; destroy() after a grace period.
      this.stream.end();
      // A peer that never proved a key gets no grace: whatever it keeps sending would cost us a buffer
      // per read (4 floods: +15 MB of RSS). One that broke the protocol goes at once; a refused publish
      // or play once our onStatus is out, so OBS reads why.
      if (this.#untrustedWriteBytes !== undefined) {
        if (error instanceof RtmpError && !refusals.has(error.code)) this.stream.destroy();
        else this.stream.once('finish', () => this.stream.destroy());
      }
      const timer = setTimeout(() => this.stream.destroy(), 2000);
      timer.unref();
    }
    this.safeEmit('close', error === undefined ? { reason } : { reason, error });
    this.removeAllListeners();
  }

  /**
   * Writes through the cork: everything written until the flush (the end of this tick, or the coalescing
   * interval for media) leaves as one writev, so a destination costs one syscall per flush rather than
   * one per message.
   */
  #writeRaw(bytes: Buffer, mayWait = false): boolean {
    if (this.#closed || this.stream.destroyed) return false;
    this.bytesWritten += bytes.length;
    if (!this.#corked) {
      this.#corked = true;
      this.stream.cork();
    }
    if (!mayWait && !this.#flushThisTick) {
      this.#flushThisTick = true;
      process.nextTick(this.#flush);
    } else if (mayWait && !this.#flushThisTick && !this.#flushTimerArmed) {
      this.#flushTimerArmed = true;
      if (this.#flushTimer) this.#flushTimer.refresh();
      else this.#flushTimer = setTimeout(this.#onFlushTimer, this.#flushIntervalMs).unref();
    }
    this.#corkedBytes += bytes.length;
    this.stream.write(bytes);
    // An unauthenticated peer that sends commands (or pings) and never reads our answers would otherwise
    // grow our write queue without bound.
    // (Corked bytes leave together at the next flush; what is still queued from earlier flushes counts.)
    const unread = this.stream.writableLength - this.#corkedBytes;
    if (this.#untrustedWriteBytes !== undefined && unread > this.#untrustedWriteBytes) {
      const limit = this.#untrustedWriteBytes;
      queueMicrotask(() => {
        this.close(
          'peer leaves our answers unread',
          new RtmpError('BUFFER_LIMIT', `over ${limit} bytes of answers unread before authentication`),
        );
      });
    }
    return !this.congested;
  }

  readonly #onFlushTimer = (): void => {
    this.#flushTimerArmed = false;
    this.#flush();
  };

  readonly #flush = (): void => {
    this.#flushThisTick = false;
    if (!this.#corked) return;
    this.#corked = false;
    this.#corkedBytes = 0;
    this.stream.uncork();
  };

  #onData(chunk: Buffer): void {
    if (this.#closed) return;
    try {
      this.#untrustedReadBytes += chunk.length;
      let data = chunk;
      if (this.#handshake) {
        const step = this.#handshake.push(chunk);
        for (const out of step.send) this.#writeRaw(out);
        if (!step.done) return;
        this.#handshake = undefined;
        this.#setOutChunkSize(this.#wantedChunkSize);
        this.safeEmit('ready');
        data = step.rest;
        if (data.length === 0) return;
      }
      for (const message of this.#reader.push(data)) {
        // A handler may have closed the connection on the previous message.
        // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition
        if (this.#closed) return;
        this.#onMessage(message);
      }
      // OBS and ffmpeg send a few hundred bytes of commands before `publish`, and no media before
      // Publish.Start: past this, an unauthenticated peer is only making us read. (Checked after the bytes
      // were parsed, so a more precise refusal in them wins.)
      if (this.#untrustedWriteBytes !== undefined && this.#untrustedReadBytes > UNTRUSTED_READ_BYTES) {
        throw new RtmpError('BUFFER_LIMIT', `over ${UNTRUSTED_READ_BYTES} bytes sent before authentication`);
      }
      this.#maybeAcknowledge();
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      this.close(`protocol error: ${errorMessage(err)}`, error);
    }
  }

  #setOutChunkSize(size: number): void {
    this.send(setChunkSizeMessage(size), Csid.control);
    this.#outChunkSize = size;
  }

  #onMessage(message: RtmpMessage): void {
    switch (message.typeId) {
      case MessageType.setChunkSize:
      case MessageType.abort:
      case MessageType.acknowledgement:
      case MessageType.setPeerBandwidth:
        // The reader applies chunk size and abort itself; acks and bandwidth hints need nothing from us:
        // we never wait for acks (HPRTMP #16).
        return;
      case MessageType.windowAckSize:
        this.#peerWindow = readUint32(message.payload, 'window acknowledgement size');
        return;
      case MessageType.userControl: {
        const { event, value } = parseUserControl(message.payload);
        // nginx-rtmp drops sessions that don't answer pings.
        if (event === UserControlEvent.pingRequest) {
          this.send(userControlMessage(UserControlEvent.pingResponse, value), Csid.control);
        }
        return;
      }
      case MessageType.commandAmf0:
      case MessageType.commandAmf3:
        this.#onCommand(message);
        return;
      case MessageType.aggregate:
        for (const sub of splitAggregate(message)) this.#onMessage(sub);
        return;
      case MessageType.audio:
      case MessageType.video:
      case MessageType.dataAmf0:
      case MessageType.dataAmf3:
        this.safeEmit('message', message);
        return;
      default:
        // Unknown message types (shared objects, …) are ignored, as every server does.
        return;
    }
  }

  #onCommand(message: RtmpMessage): void {
    let command: Command;
    try {
      command = parseCommand(message);
    } catch (err) {
      // An AMF3 command we cannot read is skipped; a garbled AMF0 one ends the session.
      if (message.typeId === MessageType.commandAmf3) return;
      throw err;
    }
    this.safeEmit('command', command);
  }

  /**
   * Sends our WindowAckSize. Until the peer names a window of its own, we acknowledge its bytes at this one:
   * OBS and ffmpeg never send one when they publish, and some encoders drop after ~10 s without acks (SRS
   * #795); nginx-rtmp does the same.
   */
  announceWindow(bytes: number): void {
    this.send(windowAckSizeMessage(bytes), Csid.control);
    this.#ownWindow = bytes;
  }

  /** Acknowledge at the window the peer set, or else at the one we announced. */
  #maybeAcknowledge(): void {
    const window = this.#peerWindow > 0 ? this.#peerWindow : this.#ownWindow;
    if (window <= 0) return;
    const read = this.#reader.bytesRead;
    if (read - this.#lastAckAt >= window) {
      this.#lastAckAt = read;
      this.send(acknowledgementMessage(read % 2 ** 32), Csid.control);
    }
  }
}

/** The chunk stream we send each message type on. */
export function csidFor(typeId: number): number {
  switch (typeId) {
    case MessageType.audio:
      return Csid.audio;
    case MessageType.video:
      return Csid.video;
    case MessageType.dataAmf0:
      return Csid.data;
    case MessageType.commandAmf0:
      return Csid.command;
    default:
      return Csid.control;
  }
}

export { RtmpError };
