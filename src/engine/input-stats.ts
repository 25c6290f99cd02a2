import type { MediaPacket } from '../media/packet.js';
import { videoConfigOf } from '../media/video-tag.js';
import { audioConfigOf } from '../media/audio-tag.js';
import { parseMetadata } from '../media/metadata.js';
import type { InputStatus } from '../contract/index.js';

/**
 * Watches the live input's packets: codec parameters from its sequence headers, frame rate from its
 * video timestamps, bitrate from payload bytes over one-second windows. Parsing happens only on headers,
 * never per frame.
 */
export class InputStats {
  readonly #since = new Date().toISOString();
  #video: { codec: string; width: number; height: number } | undefined;
  #audio: { codec: string; sampleRate: number; channels: number } | undefined;
  #metadataFps: number | undefined;
  #windowStart = 0;
  #windowBytes = 0;
  #windowFrames = 0;
  #bitrateKbps = 0;
  #measuredFps: number | undefined;

  /** Counts one packet; `nowMs` from a monotonic clock. */
  observe(packet: MediaPacket, nowMs: number): void {
    if (packet.header) this.#onHeader(packet);
    this.#windowBytes += packet.payload.length;
    if (packet.kind === 'video' && !packet.header) this.#windowFrames++;
    const elapsed = nowMs - this.#windowStart;
    if (this.#windowStart === 0) {
      this.#windowStart = nowMs;
    } else if (elapsed >= 1000) {
      this.#bitrateKbps = Math.round((this.#windowBytes * 8) / elapsed);
      this.#measuredFps = Math.round((this.#windowFrames * 1000 * 10) / elapsed) / 10;
      this.#windowStart = nowMs;
      this.#windowBytes = 0;
      this.#windowFrames = 0;
    }
  }

  /** The video codec family of the input (for codec gating and renditions). */
  get videoCodec(): string | undefined {
    return this.#video?.codec;
  }

  snapshot(): InputStatus {
    return {
      codec: this.#video?.codec ?? null,
      width: this.#video?.width ?? null,
      height: this.#video?.height ?? null,
      fps: this.#metadataFps ?? this.#measuredFps ?? null,
      bitrateKbps: this.#bitrateKbps,
      audioCodec: this.#audio?.codec ?? null,
      sampleRate: this.#audio?.sampleRate ?? null,
      channels: this.#audio?.channels ?? null,
      since: this.#since,
    };
  }

  /** The latest sequence headers of the input (for fallback renditions that must match them). */
  readonly headers: { video?: MediaPacket; audio?: MediaPacket } = {};

  #onHeader(packet: MediaPacket): void {
    if (packet.kind !== 'data') this.headers[packet.kind] = packet;
    try {
      if (packet.kind === 'video') {
        const config = videoConfigOf(packet.payload);
        this.#video = { codec: config.codec, width: config.width, height: config.height };
      } else if (packet.kind === 'audio') {
        const config = audioConfigOf(packet.payload);
        this.#audio = { codec: config.codec, sampleRate: config.sampleRate, channels: config.channels };
      } else {
        const fps = parseMetadata(packet.payload)?.framerate;
        if (typeof fps === 'number' && fps > 0) this.#metadataFps = fps;
      }
    } catch {
      // A header we cannot parse still relays; the status just shows less.
    }
  }
}
