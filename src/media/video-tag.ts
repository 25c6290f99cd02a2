import { MediaError } from './errors.js';
import type { VideoCodec, VideoConfig } from './codec-config.js';
import { parseAvcDecoderConfig } from './avc.js';
import { parseHevcDecoderConfig } from './hevc.js';
import { parseAv1CodecConfig } from './av1.js';

export type { VideoCodec, VideoConfig } from './codec-config.js';

/** What a video tag header says, read without touching the codec payload. */
export interface VideoTagInfo {
  /** Codec from the legacy CodecID (7 = AVC, 12 = the non-standard HEVC id) or the FourCC. */
  codec: VideoCodec;
  /** The FourCC of an Enhanced RTMP header ('avc1', 'hvc1', 'av01', 'vp09', 'vp08'); absent for legacy. */
  fourCc?: string;
  /** A coded key frame (FrameType 1). False for sequence start/end, metadata and command frames. */
  keyframe: boolean;
  /** sequence header / SequenceStart */
  sequenceHeader: boolean;
  /** AVC end of sequence / SequenceEnd. */
  sequenceEnd: boolean;
  /** composition time offset ms (0 when absent) */
  compositionTimeMs: number;
  /** byte offset where the codec payload (decoder config record or NAL units/OBUs) starts */
  dataOffset: number;
  /** Enhanced RTMP v2 multitrack message; `dataOffset` points at the first track's payload. */
  multitrack: boolean;
}

// FourCCs as big-endian uint32, so the hot path compares numbers and allocates no strings.
const FOURCC_AVC1 = 0x61766331;
const FOURCC_HVC1 = 0x68766331;
/** Known FourCCs: uint32 → [codec, name]. */
const FOURCCS = new Map<number, readonly [VideoCodec, string]>(
  (
    [
      ['avc1', 'avc'],
      ['hvc1', 'hevc'],
      ['av01', 'av1'],
      ['vp09', 'vp9'],
      ['vp08', 'vp8'],
    ] as const
  ).map(([name, codec]) => [Buffer.from(name, 'latin1').readUInt32BE(0), [codec, name]]),
);

const FRAME_KEY = 1;
const FRAME_COMMAND = 5;
const LEGACY_AVC = 7;
const LEGACY_HEVC = 12; // not in any spec, but what SRS, Chinese CDNs and OBS forks used before E-RTMP

const PACKET = {
  sequenceStart: 0,
  codedFrames: 1,
  sequenceEnd: 2,
  codedFramesX: 3,
  metadata: 4,
  mpeg2TsSequenceStart: 5,
  multitrack: 6,
  modEx: 7,
} as const;
const ONE_TRACK = 0;

/**
 * Reads the video tag header: legacy FLV VideoTagHeader (FLV spec v10.1 E.4.3.1) or the Enhanced RTMP
 * ExVideoTagHeader (veovera/enhanced-rtmp v1 and v2). On the per-packet path: no parsing beyond the header.
 *
 * Legacy:                                     Enhanced (IsExHeader = 1):
 *  byte 0  FrameType:4 CodecID:4              byte 0  1:1 FrameType:3 PacketType:4
 *  if CodecID 7 (AVC) / 12 (HEVC):            [ModEx: size UI8(+1) (UI16(+1) if 256) data, ModExType:4 PacketType:4]*
 *   byte 1    AVCPacketType (0 hdr 1 NALU 2 end)  if PacketType 6 (Multitrack): MultitrackType:4 PacketType:4
 *   bytes 2-4 CompositionTime SI24                    FourCC UI32 unless ManyTracksManyCodecs
 *  then data                                    else FourCC UI32
 *                                              multitrack: [FourCC if ManyCodecs] TrackId UI8 [Size UI24 unless OneTrack]
 *                                              CodedFrames of avc1/hvc1: CompositionTime SI24; then data
 */
export function inspectVideoTag(payload: Buffer): VideoTagInfo {
  const h = scratch;
  try {
    readHeader(payload, h);
  } catch (err) {
    throw asTagError(err);
  }
  const info: VideoTagInfo = {
    codec: h.codec,
    keyframe: (h.flags & VIDEO_KEYFRAME) !== 0,
    sequenceHeader: (h.flags & VIDEO_SEQUENCE_HEADER) !== 0,
    sequenceEnd: (h.flags & VIDEO_SEQUENCE_END) !== 0,
    compositionTimeMs: h.compositionTimeMs,
    dataOffset: h.dataOffset,
    multitrack: (h.flags & MULTITRACK) !== 0,
  };
  if (h.fourCc !== 0) info.fourCc = FOURCCS.get(h.fourCc)?.[1] ?? fourCcToString(h.fourCc);
  return info;
}

/** Bit flags of `videoPacketFlags`. */
export const VIDEO_KEYFRAME = 1;
export const VIDEO_SEQUENCE_HEADER = 2;
/** AVC end of sequence, or E-RTMP SequenceEnd: the encoder stopped. */
export const VIDEO_SEQUENCE_END = 4;
const MULTITRACK = 8;

/**
 * The packet-path classifier: VIDEO_KEYFRAME | VIDEO_SEQUENCE_HEADER bits of a video payload, 0 when the
 * header does not parse. Allocates nothing on well-formed input.
 */
export function videoPacketFlags(payload: Buffer): number {
  try {
    readHeader(payload, scratch);
  } catch {
    return 0;
  }
  return scratch.flags & (VIDEO_KEYFRAME | VIDEO_SEQUENCE_HEADER | VIDEO_SEQUENCE_END);
}

/** The composition time offset (pts - dts, ms) of a video payload; 0 when absent or unparseable. Allocates nothing. */
export function videoCompositionTimeMs(payload: Buffer): number {
  try {
    readHeader(payload, scratch);
  } catch {
    return 0;
  }
  return scratch.compositionTimeMs;
}

function asTagError(err: unknown): MediaError {
  if (err instanceof MediaError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new MediaError('TAG_MALFORMED', `video tag header: ${message}`, { cause: err });
}

/** The header as numbers and bit flags: one module-level instance, so the packet path allocates nothing. */
interface Header {
  codec: VideoCodec;
  /** FourCC as uint32; 0 for a legacy header. */
  fourCc: number;
  /** VIDEO_KEYFRAME | VIDEO_SEQUENCE_HEADER | VIDEO_SEQUENCE_END | MULTITRACK */
  flags: number;
  compositionTimeMs: number;
  dataOffset: number;
}

const scratch: Header = { codec: 'other', fourCc: 0, flags: 0, compositionTimeMs: 0, dataOffset: 0 };

function set(h: Header, codec: VideoCodec, fourCc: number, flags: number, cts: number, offset: number): void {
  h.codec = codec;
  h.fourCc = fourCc;
  h.flags = flags;
  h.compositionTimeMs = cts;
  h.dataOffset = offset;
}

/** Throws RangeError (read past the end) or MediaError on a garbled header. */
function readHeader(p: Buffer, h: Header): void {
  const b0 = p.readUInt8(0);
  if ((b0 & 0x80) === 0) {
    readLegacy(p, b0, h);
    return;
  }
  const frameType = (b0 >>> 4) & 7;
  let packetType = b0 & 0x0f;
  let pos = 1;
  while (packetType === PACKET.modEx) {
    let size = p.readUInt8(pos++) + 1;
    if (size === 256) {
      size = p.readUInt16BE(pos) + 1;
      pos += 2;
    }
    pos += size;
    packetType = p.readUInt8(pos++) & 0x0f;
  }
  if (frameType === FRAME_COMMAND && packetType !== PACKET.metadata) {
    p.readUInt8(pos); // VideoCommand; a command frame carries no video
    set(h, 'other', 0, 0, 0, p.length);
    return;
  }
  let multitrack = 0;
  let multitrackType = ONE_TRACK;
  if (packetType === PACKET.multitrack) {
    multitrack = MULTITRACK;
    const b = p.readUInt8(pos++);
    multitrackType = b >>> 4;
    packetType = b & 0x0f;
  }
  // One codec for all tracks: the FourCC is here. Many codecs: the first track's body opens with its
  // FourCC, so it sits at the same offset either way.
  const fourCc = p.readUInt32BE(pos);
  pos += 4;
  if (multitrack !== 0) {
    p.readUInt8(pos++); // TrackId
    if (multitrackType !== ONE_TRACK) {
      p.readUIntBE(pos, 3); // sizeOfVideoTrack
      pos += 3;
    }
  }
  const codec = FOURCCS.get(fourCc)?.[0] ?? 'other';
  const key = frameType === FRAME_KEY ? VIDEO_KEYFRAME : 0;
  switch (packetType) {
    case PACKET.sequenceStart:
    case PACKET.mpeg2TsSequenceStart:
      set(h, codec, fourCc, VIDEO_SEQUENCE_HEADER | multitrack, 0, end(p, pos));
      return;
    case PACKET.codedFrames: {
      let cts = 0;
      if (fourCc === FOURCC_AVC1 || fourCc === FOURCC_HVC1) {
        cts = p.readIntBE(pos, 3);
        pos += 3;
      }
      set(h, codec, fourCc, key | multitrack, cts, end(p, pos));
      return;
    }
    case PACKET.codedFramesX:
      set(h, codec, fourCc, key | multitrack, 0, end(p, pos));
      return;
    case PACKET.sequenceEnd:
      set(h, codec, fourCc, VIDEO_SEQUENCE_END | multitrack, 0, end(p, pos));
      return;
    case PACKET.metadata:
      set(h, codec, fourCc, multitrack, 0, end(p, pos));
      return;
    default:
      throw new MediaError('TAG_MALFORMED', `video tag: unknown packet type ${packetType}`);
  }
}

function readLegacy(p: Buffer, b0: number, h: Header): void {
  const frameType = b0 >>> 4;
  const codecId = b0 & 0x0f;
  const codec = codecId === LEGACY_AVC ? 'avc' : codecId === LEGACY_HEVC ? 'hevc' : 'other';
  if (frameType === FRAME_COMMAND) {
    p.readUInt8(1); // VideoCommand
    set(h, codec, 0, 0, 0, p.length);
    return;
  }
  if (codecId !== LEGACY_AVC && codecId !== LEGACY_HEVC) {
    set(h, codec, 0, frameType === FRAME_KEY ? VIDEO_KEYFRAME : 0, 0, 1);
    return;
  }
  const packetType = p.readUInt8(1);
  const cts = p.readIntBE(2, 3);
  if (packetType > 2) throw new MediaError('TAG_MALFORMED', `video tag: unknown AVCPacketType ${packetType}`);
  if (packetType === 0) set(h, codec, 0, VIDEO_SEQUENCE_HEADER, 0, 5);
  else if (packetType === 2) set(h, codec, 0, VIDEO_SEQUENCE_END, 0, 5);
  else set(h, codec, 0, frameType === FRAME_KEY ? VIDEO_KEYFRAME : 0, cts, 5);
}

function end(p: Buffer, pos: number): number {
  if (pos > p.length) throw new MediaError('TAG_MALFORMED', 'video tag header runs past the payload');
  return pos;
}

/** A uint32 FourCC as its four characters ('hvc1'). */
export function fourCcToString(fourCc: number): string {
  return String.fromCharCode(
    (fourCc >>> 24) & 0xff,
    (fourCc >>> 16) & 0xff,
    (fourCc >>> 8) & 0xff,
    fourCc & 0xff,
  );
}

/**
 * Parses a video sequence-header payload (legacy AVC/HEVC or E-RTMP SequenceStart) into its config.
 * Throws MediaError: TAG_MALFORMED / CONFIG_MALFORMED, or CODEC_UNSUPPORTED for VP8/VP9 and others.
 */
export function videoConfigOf(payload: Buffer): VideoConfig {
  const info = inspectVideoTag(payload);
  if (!info.sequenceHeader)
    throw new MediaError('CONFIG_MALFORMED', 'video payload is not a sequence header');
  const record = payload.subarray(info.dataOffset);
  switch (info.codec) {
    case 'avc':
      if (info.fourCc !== undefined) return parseAvcDecoderConfig(record);
      return legacyAvcOrHevc(record);
    case 'hevc':
      return parseHevcDecoderConfig(record);
    case 'av1':
      return parseAv1CodecConfig(record);
    case 'vp9':
    case 'vp8':
    case 'other':
      throw new MediaError(
        'CODEC_UNSUPPORTED',
        `no config parser for video codec ${info.fourCc ?? info.codec}`,
      );
  }
}

/** OBS before 29.1 sent HEVC under the AVC CodecID 7: if the record is not avcC, try hvcC. */
function legacyAvcOrHevc(record: Buffer): VideoConfig {
  try {
    return parseAvcDecoderConfig(record);
  } catch (avcErr) {
    try {
      return parseHevcDecoderConfig(record);
    } catch {
      throw avcErr;
    }
  }
}
