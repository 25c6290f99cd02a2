import type { Clock } from '../shared/clock.js';
import { TypedEmitter } from '../shared/events.js';
import { encodeMetadata, parseMetadata } from '../media/metadata.js';
import { withInbandParameterSets } from '../media/inband-parameter-sets.js';
import { videoCompositionTimeMs } from '../media/video-tag.js';
import type { MediaPacket } from '../media/packet.js';
import type { Program, ProgramHeaders } from './program.js';
import type { SourceName } from '../contract/index.js';

/** What a source has said about itself since it (re)started: its headers, before they reach the program. */
interface SourceState {
  headers: ProgramHeaders;
  /** Added to the source's dts to place it on the program timeline; set when the source goes on air. */
  offset: number | undefined;
}

/** Fallback frame duration when the video frame rate is not known yet. */
const defaultFrameMs = 33;

/**
 * Chooses which source feeds the program and keeps the program timeline continuous (docs/architecture.md rules 1
 * and 2). A source goes on air only at its first video keyframe after its sequence headers; until then
 * the previous source keeps playing. On air, the source is re-based with one offset for all its tracks,
 * so its first packet lands one frame after the last program packet, or later if wall-clock time has
 * passed (a stall leaves a gap in time, not a backlog). Headers reach the program only when their bytes
 * changed.
 */
/** Events of the switcher. */
export interface SwitcherEvents {
  /** `to` took the air at its keyframe (the moment platforms start getting it). */
  switch: [from: SourceName | undefined, to: SourceName];
}

export class Switcher extends TypedEmitter<SwitcherEvents> {
  readonly #program: Program;
  readonly #clock: Clock;
  readonly #sources = new Map<SourceName, SourceState>();
  #onAir: SourceName | undefined;
  #wanted: SourceName | undefined;
  #lastWriteAt = 0;
  #frameMs = defaultFrameMs;
  #lastVideoDts: number | undefined;
  /** Latest presentation time of a video frame on the program (B-frames present after later dts). */
  #maxVideoPts = -Infinity;

  constructor(program: Program, clock: Clock) {
    super();
    this.#program = program;
    this.#clock = clock;
  }

  /** The source currently feeding the program. */
  get onAir(): SourceName | undefined {
    return this.#onAir;
  }

  /** The source that should be on air (it takes over at its next keyframe). */
  get wanted(): SourceName | undefined {
    return this.#wanted;
  }

  /**
   * Asks for `source` to go on air at its next keyframe; `undefined` takes the program off air now.
   */
  select(source: SourceName | undefined): void {
    this.#wanted = source;
    if (source === undefined) {
      this.#onAir = undefined;
      this.#maxVideoPts = -Infinity;
    }
  }

  /** A source restarted (a new publisher, a fallback loop restart): forget what it said before. */
  resetSource(source: SourceName): void {
    this.#sources.set(source, { headers: {}, offset: undefined });
    if (this.#onAir === source) this.#onAir = undefined;
  }

  /** A packet from a source, on the source's own timeline. */
  push(source: SourceName, packet: MediaPacket): void {
    // An encoder's end of sequence (OBS and ffmpeg send one on Stop Streaming) would stop a platform's
    // decoder; the program goes on with another source, or ends with FCUnpublish (RTMP-NOTES.md).
    if (packet.sequenceEnd) return;
    let state = this.#sources.get(source);
    if (!state) {
      state = { headers: {}, offset: undefined };
      this.#sources.set(source, state);
    }
    const normalised = packet.kind === 'data' && packet.header ? canonicalMetadata(packet) : packet;
    if (normalised.header) {
      this.#rememberHeader(state, normalised);
      if (this.#onAir === source && state.offset !== undefined)
        this.#writeHeaderIfChanged(normalised, state.offset, source);
      return;
    }
    if (this.#onAir !== source) {
      if (this.#wanted !== source || !isGateOpen(state, normalised)) return;
      const first = this.#takeAir(source, state, normalised);
      this.#write(first, state.offset ?? 0);
      return;
    }
    if (state.offset === undefined) return;
    this.#write(normalised, state.offset);
  }

  /** Puts `source` on air; returns its first keyframe as it must be sent. */
  #takeAir(source: SourceName, state: SourceState, keyframe: MediaPacket): MediaPacket {
    const head = this.#program.headDts;
    let target = 0;
    if (head !== -Infinity) {
      const elapsedMs = this.#clock.now() - this.#lastWriteAt;
      target = Math.round(head + Math.max(this.#frameMs, elapsedMs));
      // The old source's last reordered (B) frames present after its last dts: the new keyframe must
      // present after all of them, or a player shows frames out of order at the splice.
      const minimumForPts = this.#maxVideoPts + this.#frameMs - videoCompositionTimeMs(keyframe.payload);
      target = Math.max(target, Math.round(minimumForPts));
    }
    state.offset = target - keyframe.dts;
    const from = this.#onAir;
    this.#onAir = source;
    this.#lastVideoDts = undefined;
    const videoHeaderBefore = this.#program.headers().video;
    for (const header of [state.headers.metadata, state.headers.video, state.headers.audio]) {
      if (header) this.#writeHeaderIfChanged({ ...header, dts: keyframe.dts }, state.offset, source);
    }
    this.safeEmit('switch', from, source);
    // New decoder configuration mid-stream: repeat it in-band so every decoder switches at this frame.
    const videoHeader = state.headers.video;
    if (!videoHeaderBefore || !videoHeader || videoHeaderBefore.payload.equals(videoHeader.payload))
      return keyframe;
    const payload = withInbandParameterSets(keyframe.payload, videoHeader.payload);
    return payload ? { ...keyframe, payload } : keyframe;
  }

  #rememberHeader(state: SourceState, packet: MediaPacket): void {
    if (packet.kind === 'data') state.headers.metadata = packet;
    else state.headers[packet.kind] = packet;
  }

  #writeHeaderIfChanged(packet: MediaPacket, offset: number, source: SourceName): void {
    const current = this.#program.headers();
    const cached = packet.kind === 'data' ? current.metadata : current[packet.kind];
    if (cached?.payload.equals(packet.payload)) return;
    // Platforms keep the metadata of the streamer's encoder; the fallback's own says nothing they need.
    if (packet.kind === 'data' && source === 'fallback' && cached) return;
    this.#write(packet, offset);
  }

  #write(packet: MediaPacket, offset: number): void {
    const dts = Math.max(0, packet.dts + offset);
    if (this.#program.write(dts === packet.dts ? packet : { ...packet, dts })) {
      this.#lastWriteAt = this.#clock.now();
      if (packet.kind === 'video' && !packet.header) {
        this.#learnFrameDuration(dts);
        this.#maxVideoPts = Math.max(this.#maxVideoPts, dts + videoCompositionTimeMs(packet.payload));
      }
    }
  }

  #learnFrameDuration(dts: number): void {
    const previous = this.#lastVideoDts;
    this.#lastVideoDts = dts;
    if (previous === undefined) return;
    const step = dts - previous;
    if (step > 0 && step <= 200) this.#frameMs = step;
  }
}

/** A source may go on air at a video keyframe once its video sequence header has been seen. */
function isGateOpen(state: SourceState, packet: MediaPacket): boolean {
  return packet.kind === 'video' && packet.keyframe && state.headers.video !== undefined;
}

/** Metadata as platforms get it: `onMetaData` + ECMA array, whichever form the source sent. */
function canonicalMetadata(packet: MediaPacket): MediaPacket {
  const meta = parseMetadata(packet.payload);
  return meta ? { ...packet, payload: encodeMetadata(meta) } : packet;
}
