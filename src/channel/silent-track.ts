import type { MediaPacket } from '../media/packet.js';
import { sameAudioConfig } from '../media/same-audio-config.js';
import { aacFrameSamples, aacSequenceHeaderTag, silentAacTag } from '../media/silent-aac.js';
import type { Program } from './program.js';

/** The audio format platforms already get (the fallback's: it is conformed to the live stream's). */
export interface AudioFormat {
  sampleRate: number;
  channels: number;
}

/**
 * Silent AAC on the program while the source on air has no audio (a video-only encoder), so every
 * platform always gets both tracks: Facebook requires audio, and players break when a track comes and
 * goes at each switch. The frames follow the video on the program timeline (written up to each video
 * frame's dts), so there is one timeline and no timer; in the fallback's format, so a switch between
 * the fallback and such a live stream re-sends no audio header.
 */
export class SilentTrack {
  readonly #program: Program;
  readonly #format: () => AudioFormat;
  #active = false;
  /** Next frame's dts, unrounded (a frame is 1024 samples: 21.33 ms at 48 kHz). */
  #nextDts = 0;
  #frameMs = 0;
  #payload: Buffer = Buffer.alloc(0);
  /** Started, but waiting for the video to pass `until` before writing from `dts`. */
  #pending: { dts: number; until: number } | undefined;

  /** @param format read at each start: the fallback's audio format then. */
  constructor(program: Program, format: () => AudioFormat) {
    this.#program = program;
    this.#format = format;
  }

  get active(): boolean {
    return this.#active;
  }

  /**
   * Starts filling from `dts` (the program time the source took the air), after the program's last
   * audio frame; the header goes out first unless the program's says the same. With `graceMs`, nothing
   * is written until the video is that far past `dts` (a source whose audio has no header, MP3, shows
   * it has audio only by sending it: `stop()` then comes first).
   */
  start(dts: number, graceMs = 0): void {
    this.#active = true;
    this.#pending = { dts, until: dts + graceMs };
  }

  /** Writes the header if needed and sets where the frames start; false when it cannot. */
  #begin(dts: number): boolean {
    this.#pending = undefined;
    const { sampleRate, channels } = this.#format();
    let header: Buffer;
    try {
      header = aacSequenceHeaderTag(sampleRate, channels);
      this.#payload = silentAacTag(channels);
    } catch {
      this.#active = false; // a layout AAC cannot carry: no silent track rather than a broken one
      return false;
    }
    this.#frameMs = (aacFrameSamples * 1000) / sampleRate;
    const last = this.#program.lastDts('audio');
    this.#nextDts = last === -Infinity ? dts : Math.max(dts, last + this.#frameMs);
    const current = this.#program.headers().audio;
    if (!current || !sameAudioConfig(current.payload, header)) {
      const start = Math.max(dts, last);
      this.#program.write({ kind: 'audio', dts: start, payload: header, keyframe: false, header: true });
    }
    return true;
  }

  stop(): void {
    this.#active = false;
    this.#pending = undefined;
  }

  /** Writes the silent frames due up to `videoDts` (called after each video frame on the program). */
  fillTo(videoDts: number): void {
    if (!this.#active) return;
    if (this.#pending) {
      if (videoDts < this.#pending.until) return;
      if (!this.#begin(this.#pending.dts)) return;
    }
    while (this.#nextDts <= videoDts) {
      const frame: MediaPacket = {
        kind: 'audio',
        dts: Math.round(this.#nextDts),
        payload: this.#payload,
        keyframe: false,
        header: false,
      };
      this.#program.write(frame);
      this.#nextDts += this.#frameMs;
    }
  }
}
