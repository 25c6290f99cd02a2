import type { MediaPacket } from '../media/packet.js';
import { parseMetadata } from '../media/metadata.js';
import { audioParamsOf, defaultParams, renditionKey, videoParamsOf, type RenditionParams } from './params.js';

/** Frame rates encoders use; a measured rate within {@link SNAP_TOLERANCE} of one is taken as it. */
const STANDARD_FPS = [
  10, 12, 15, 20, 23.976, 24, 25, 29.97, 30, 47.952, 48, 50, 59.94, 60, 72, 90, 100, 119.88, 120, 144, 240,
];
const SNAP_TOLERANCE = 0.006;
/** A first estimate needs this much video (ms timestamps: ±1 ms over 400 ms is ±0.25 %). */
const MIN_SPAN_MS = 400;
const MIN_FRAMES = 8;
const REFINE_SPAN_MS = 2000;
/** The window the rate is measured over: long enough to tell 29.97 from 30, short enough to follow a change. */
const WINDOW_FRAMES = 128;
/**
 * Once measured over REFINE_SPAN_MS, the rate moves only by more than this (relative). A variable-rate
 * encoder (a phone, a VFR capture) wobbles by a few percent, and each new rate is a new rendition: a
 * conform of the whole clip. A fallback within a tenth of the live rate looks the same to a platform.
 */
const RATE_CHANGE = 0.1;
/** A step this large, or backwards, is a clock jump or a pause, not a frame interval: measure anew. */
const MAX_STEP_MS = 1000;
/** With one track only, wait this long (stream time) for the other's header before going without it. */
const LONE_TRACK_MS = 2000;

/**
 * Learns a live stream's fallback parameters from the stream itself: codec, size, profile, level and
 * colour from the video sequence header (SPS), the frame rate measured from video timestamps (with or
 * without onMetaData; its `framerate` stands in until measured), and the audio format from the
 * AudioSpecificConfig. One per publisher; feed it every packet. A stream with one track gets the
 * fallback's default for the other (audio-only live plays the slate's picture; video-only live is
 * given silence in the fallback's audio format).
 */
export class LiveParams {
  #video: ReturnType<typeof videoParamsOf>;
  #audio: ReturnType<typeof audioParamsOf>;
  #sawVideoHeader = false;
  #sawAudioHeader = false;
  #metadataFps: number | undefined;
  #measuredFps: number | undefined;
  /** The rate was measured over REFINE_SPAN_MS in this run of timestamps: only a real change moves it. */
  #settled = false;
  readonly #dts: number[] = [];
  #firstDts: number | undefined;
  #lastDts = 0;
  /** One track has been alone for LONE_TRACK_MS (as of the last packet). */
  #lone = false;
  /** Something current() reads changed since it was last compared with what was emitted. */
  #stale = false;
  #emittedKey: string | undefined;

  /**
   * Takes one packet; returns the params when they become known or change (so the caller can have a
   * rendition made at once), undefined otherwise. Cheap per frame: headers are parsed only when they
   * come, and the params are built only when something they are made of changed (no allocation per frame).
   */
  observe(packet: MediaPacket): RenditionParams | undefined {
    this.#firstDts ??= packet.dts;
    this.#lastDts = Math.max(this.#lastDts, packet.dts);
    if (packet.header) {
      this.#stale = true;
      if (packet.kind === 'video') {
        this.#sawVideoHeader = true;
        this.#video = videoParamsOf(packet);
      } else if (packet.kind === 'audio') {
        this.#sawAudioHeader = true;
        this.#audio = audioParamsOf(packet);
      } else {
        const fps = safeMetadataFps(packet);
        if (fps !== undefined) this.#metadataFps = fps;
      }
    } else if (packet.kind === 'video' && this.#measure(packet.dts)) {
      this.#stale = true;
    }
    const lone = this.#lastDts - this.#firstDts >= LONE_TRACK_MS;
    if (lone !== this.#lone) {
      this.#lone = lone;
      this.#stale = true;
    }
    if (!this.#stale) return undefined;
    this.#stale = false;
    const params = this.current();
    if (params === undefined) return undefined;
    const key = renditionKey(params);
    if (key === this.#emittedKey) return undefined;
    this.#emittedKey = key;
    return params;
  }

  /** The params as far as known now; undefined until both tracks are known (or one is known to be absent). */
  current(): RenditionParams | undefined {
    const elapsed = this.#lastDts - (this.#firstDts ?? this.#lastDts);
    // Metadata's framerate (when an encoder sends one) gives the params at once, so an upload made in the
    // stream's first second is already conformed to them; the measurement (half a second of video) wins.
    const fps = this.#measuredFps ?? this.#metadataFps;
    const video = this.#video;
    const lone = elapsed >= LONE_TRACK_MS;
    if (video !== undefined && fps !== undefined) {
      if (this.#audio !== undefined) return { ...video, fps, ...this.#audio };
      // One track alone, long enough that the other is not just late: the fallback's default for the other.
      if (!this.#sawAudioHeader && lone) {
        return { ...video, fps, sampleRate: defaultParams.sampleRate, channels: defaultParams.channels };
      }
    }
    if (this.#audio !== undefined && !this.#sawVideoHeader && lone)
      return { ...defaultParams, ...this.#audio };
    return undefined;
  }

  /** Takes one video frame's dts; true when the measured rate changed. */
  #measure(dts: number): boolean {
    const last = this.#dts.at(-1);
    if (last !== undefined && (dts <= last - MAX_STEP_MS || dts > last + MAX_STEP_MS)) {
      this.#dts.length = 0;
      this.#settled = false;
    }
    if (last !== undefined && dts === last) return false; // two frames on one ms: nothing to learn from the step
    this.#dts.push(dts);
    if (this.#dts.length > WINDOW_FRAMES) this.#dts.shift();
    const first = this.#dts[0];
    const span = first === undefined ? 0 : dts - first;
    if (this.#dts.length < MIN_FRAMES || span < MIN_SPAN_MS) return false;
    // After a first estimate, only a longer window may change it: no flapping between 29.97 and 30.
    if (this.#measuredFps !== undefined && span < REFINE_SPAN_MS) return false;
    const fps = snapFps(((this.#dts.length - 1) * 1000) / span);
    const current = this.#measuredFps;
    const settled = this.#settled;
    if (span >= REFINE_SPAN_MS) this.#settled = true;
    if (fps === current) return false;
    if (settled && current !== undefined) {
      if (Math.abs(fps - current) <= current * RATE_CHANGE) return false;
      // The rate really changed: measure it anew from here, not over a window that mixes both rates.
      this.#dts.splice(0, this.#dts.length - 1);
      this.#settled = false;
      return false;
    }
    this.#measuredFps = fps;
    return true;
  }
}

/** A measured rate as the encoder's nominal one: 29.968 → 29.97, 59.9 → 59.94, 27.3 → 27.3. */
export function snapFps(fps: number): number {
  let best = fps;
  let bestError = SNAP_TOLERANCE;
  for (const standard of STANDARD_FPS) {
    const error = Math.abs(fps - standard) / standard;
    if (error < bestError) {
      best = standard;
      bestError = error;
    }
  }
  return best === fps ? Math.round(fps * 100) / 100 : best;
}

function safeMetadataFps(packet: MediaPacket): number | undefined {
  try {
    const fps = parseMetadata(packet.payload)?.framerate;
    return typeof fps === 'number' && fps >= 1 && fps <= 240 ? snapFps(fps) : undefined;
  } catch {
    return undefined;
  }
}
