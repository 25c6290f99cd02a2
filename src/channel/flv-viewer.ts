import type { ProgramViewerEnd } from '../contract/index.js';
import { flvHeader, flvTag } from '../media/flv-file.js';
import type { MediaPacket } from '../media/packet.js';
import type { ByteSink } from '../shared/byte-sink.js';
import type { Clock } from '../shared/clock.js';
import type { Program, ProgramHeaders, ProgramPacket, ProgramReader } from './program.js';

export type { ByteSink } from '../shared/byte-sink.js';

/** Options of a viewer. */
export interface FlvViewerOptions {
  /** Bytes buffered at the sink beyond which frames are dropped until the next keyframe (default 4 MiB). */
  maxBufferedBytes?: number;
  /** A viewer over that limit for this long is dropped (default 30 s; 0: never). */
  stallTimeoutMs?: number;
  /** Monotonic time (tests inject a fake). */
  clock: Pick<Clock, 'now'>;
  /**
   * The keyframe gate every receiver shares (rtmp's `keyframeStart`, given by the engine since
   * channel/ does not import rtmp/): undefined when a packet cannot start the stream, else the current
   * headers to send before it, restamped at its dts.
   */
  keyframeStart: (packet: MediaPacket, headers: Readonly<ProgramHeaders>) => MediaPacket[] | undefined;
  /** Called once, when the viewer stops (closed, program ended, or dropped for stalling). */
  onClose?: (why: FlvViewerEnd) => void;
}

/** Why a viewer stopped (the contract's list: the API and the recorder hear it too). */
export type FlvViewerEnd = ProgramViewerEnd;

/**
 * The FLV tag bytes of each program packet, made by the first viewer and written by all of them.
 * Memoised against the packet object (as rtmp/media-wire.ts does for chunks), so the program's packets
 * carry no reader state and the memo goes when the packet does.
 */
const flvTags = new WeakMap<ProgramPacket, Buffer>();
/** `@setDataFrame` as an AMF0 string (marker, u16 length, bytes): RTMP's wrapper, not part of an FLV file. */
const SET_DATA_FRAME = Buffer.from([0x02, 0x00, 0x0d, ...Buffer.from('@setDataFrame', 'latin1')]);

/**
 * The program as an FLV byte stream (HTTP-FLV, as SRS and Node-Media-Server serve it): exactly what
 * the platforms get, fallback included. It starts at a keyframe after the current metadata and
 * sequence headers (docs/architecture.md rule 2), and a viewer that falls behind drops whole GOPs and
 * catches up at the next keyframe (rule 5): nothing waits on a viewer, and what is buffered for it
 * stays bounded.
 * Timestamps are the program's own, so the tag bytes are the same for every viewer and made once.
 */
export class FlvViewer implements ProgramReader {
  readonly #program: Program;
  readonly #sink: ByteSink;
  readonly #maxBufferedBytes: number;
  readonly #stallTimeoutMs: number;
  readonly #options: FlvViewerOptions;
  readonly #unsubscribe: () => void;
  #gateOpen = false;
  /** The first keyframe went out: frames skipped from now on are drops, not a late start. */
  #started = false;
  #overSince: number | undefined;
  #closed = false;
  #droppedFrames = 0;

  constructor(program: Program, sink: ByteSink, options: FlvViewerOptions) {
    this.#program = program;
    this.#sink = sink;
    this.#options = options;
    this.#maxBufferedBytes = options.maxBufferedBytes ?? 4 * 1024 * 1024;
    this.#stallTimeoutMs = options.stallTimeoutMs ?? 30_000;
    sink.write(flvHeader(true, true));
    // Start at once from the latest keyframe rather than wait up to a GOP for the next one.
    for (const packet of program.recentGop()) this.onPacket(packet);
    this.#unsubscribe = program.subscribe(this);
  }

  /** Audio and video frames skipped because this viewer fell behind (after its first keyframe). */
  get droppedFrames(): number {
    return this.#droppedFrames;
  }

  onPacket(item: ProgramPacket): void {
    if (this.#closed) return;
    const { packet } = item;
    const frame = !packet.header && packet.kind !== 'data';
    if (this.#congested()) {
      if (frame) {
        if (this.#started) this.#droppedFrames++;
        this.#gateOpen = false;
      }
      return;
    }
    if (!this.#gateOpen) {
      // Headers are written from the program's current set when the gate opens, never stale ones.
      const start = this.#options.keyframeStart(packet, this.#program.headers());
      if (!start) {
        if (frame && this.#started) this.#droppedFrames++;
        return;
      }
      for (const header of start) this.#sink.write(tagOf(header));
      this.#gateOpen = true;
      this.#started = true;
    }
    this.#sink.write(sharedTag(item));
  }

  /** The program was reset (off air): this stream is over; a player reconnects for the next one. */
  onReset(): void {
    this.#stop('program-ended');
    this.#sink.end();
  }

  /** Stops reading the program (the viewer went away). */
  close(): void {
    this.#stop('closed');
  }

  /** Over the buffer limit: true while frames must be dropped; drops a viewer stalled too long. */
  #congested(): boolean {
    if (this.#sink.writableLength <= this.#maxBufferedBytes) {
      this.#overSince = undefined;
      return false;
    }
    const now = this.#options.clock.now();
    this.#overSince ??= now;
    if (this.#stallTimeoutMs > 0 && now - this.#overSince >= this.#stallTimeoutMs) {
      this.#stop('stalled');
      this.#sink.destroy();
    }
    return true;
  }

  #stop(why: FlvViewerEnd): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#unsubscribe();
    this.#options.onClose?.(why);
  }
}

/** The FLV tag of a program packet, made by the first viewer and shared by the rest. */
function sharedTag(item: ProgramPacket): Buffer {
  let bytes = flvTags.get(item);
  if (bytes === undefined) {
    bytes = tagOf(item.packet);
    flvTags.set(item, bytes);
  }
  return bytes;
}

function tagOf(packet: MediaPacket): Buffer {
  let payload = packet.payload;
  // FLV files carry onMetaData bare; players (ffmpeg's flv demuxer, mpegts.js) ignore the RTMP wrapper.
  if (packet.kind === 'data' && payload.subarray(0, SET_DATA_FRAME.length).equals(SET_DATA_FRAME)) {
    payload = payload.subarray(SET_DATA_FRAME.length);
  }
  return flvTag({ kind: packet.kind, timestamp: packet.dts, payload });
}
