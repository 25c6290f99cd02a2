import { inspectAudioTag, type AudioCodec } from '../media/audio-tag.js';
import { parseMetadata } from '../media/metadata.js';
import type { MediaPacket } from '../media/packet.js';

/** SoundFormat values whose codec is named by a sequence header: AAC, and E-RTMP's FourCC header. */
const soundFormatAac = 10;
const soundFormatExHeader = 9;

/** Metadata `audiocodecid`, legacy number or E-RTMP FourCC, as a codec. */
const metadataCodecs: ReadonlyMap<number | string, AudioCodec> = new Map<number | string, AudioCodec>([
  [10, 'aac'],
  [2, 'mp3'],
  [14, 'mp3'],
  ['mp4a', 'aac'],
  ['.mp3', 'mp3'],
  ['Opus', 'opus'],
  ['fLaC', 'flac'],
  ['ac-3', 'ac3'],
  ['ec-3', 'eac3'],
]);

/**
 * Which audio codec the program carries, for audio codec gating. AAC and E-RTMP audio say it in their
 * sequence header; MP3 and the other legacy formats have none, so their frames' SoundFormat says it;
 * before any frame, the metadata's `audiocodecid` does (so a platform that would refuse MP3 is not even
 * dialled). The frames are watched cheaply: one byte each, and a look only when the format changes.
 */
export class ProgramAudioCodec {
  #frameFormat = -1;
  #frameCodec: AudioCodec | undefined;

  /** An audio frame of the program; true when its SoundFormat differs from the previous frame's. */
  observe(packet: MediaPacket): boolean {
    if (packet.payload.length === 0) return false;
    const format = packet.payload.readUInt8(0) >>> 4;
    if (format === this.#frameFormat) return false;
    this.#frameFormat = format;
    try {
      this.#frameCodec = inspectAudioTag(packet.payload).codec;
    } catch {
      this.#frameCodec = 'other';
    }
    return true;
  }

  /** The codec now: the frames' for a headerless format, else the header's, else the metadata's. */
  codec(headers: {
    audio?: MediaPacket | undefined;
    metadata?: MediaPacket | undefined;
  }): AudioCodec | undefined {
    const headerless = this.#frameFormat !== soundFormatAac && this.#frameFormat !== soundFormatExHeader;
    if (this.#frameCodec !== undefined && headerless) return this.#frameCodec;
    if (headers.audio) {
      try {
        return inspectAudioTag(headers.audio.payload).codec;
      } catch {
        return 'other';
      }
    }
    if (this.#frameCodec !== undefined) return this.#frameCodec;
    const id = headers.metadata ? parseMetadata(headers.metadata.payload)?.audiocodecid : undefined;
    return id === undefined ? undefined : (metadataCodecs.get(id) ?? 'other');
  }

  /** Forgets the frames seen (the output stopped watching). */
  reset(): void {
    this.#frameFormat = -1;
    this.#frameCodec = undefined;
  }
}
