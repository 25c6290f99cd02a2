import { MediaError } from './errors.js';
import { messageTypeOf, type MediaKind } from './packet.js';

/** One FLV tag: a media message with its 32-bit timestamp. */
export interface FlvTag {
  /** Audio (8), video (9) or script data (18). */
  kind: MediaKind;
  /** Milliseconds; written modulo 2^32. */
  timestamp: number;
  /** The tag body, which is exactly the RTMP message payload. */
  payload: Buffer;
}

/**
 * FLV file (FLV spec v10.1 annex E.2, E.3):
 *
 *  header (9 bytes)   'F' 'L' 'V' | version = 1 | 00000 audio:1 0 video:1 | DataOffset UI32 (= 9)
 *  body               PreviousTagSize0 UI32 (= 0), then per tag:
 *    tag header (11)  reserved:2 filter:1 TagType:5 | DataSize UI24 | Timestamp UI24 |
 *                     TimestampExtended UI8 (bits 31-24) | StreamID UI24 (= 0)
 *    tag data         DataSize bytes
 *    PreviousTagSize  UI32 = 11 + DataSize
 */
const HEADER_SIZE = 9;
const TAG_HEADER_SIZE = 11;
const MAX_DATA_SIZE = 0xffffff;
const FLAG_AUDIO = 0x04;
const FLAG_VIDEO = 0x01;

const KIND_OF_TYPE: Partial<Record<number, MediaKind>> = { 8: 'audio', 9: 'video', 18: 'data' };

/**
 * Reads a whole FLV file: header check, then every tag (24-bit timestamp + 8-bit extension), skipping
 * PreviousTagSize. Throws MediaError FLV_MALFORMED on a bad signature or header. A truncated last tag is
 * dropped and reported with `truncated`; tags of other types (encrypted, unknown) are skipped.
 */
export function readFlv(buf: Buffer): {
  hasAudio: boolean;
  hasVideo: boolean;
  tags: FlvTag[];
  truncated: boolean;
} {
  if (buf.length < HEADER_SIZE || buf.toString('latin1', 0, 3) !== 'FLV') {
    throw new MediaError('FLV_MALFORMED', 'not an FLV file (no FLV signature)');
  }
  const flags = buf.readUInt8(4);
  const dataOffset = buf.readUInt32BE(5);
  if (dataOffset < HEADER_SIZE || dataOffset > buf.length) {
    throw new MediaError('FLV_MALFORMED', `FLV header DataOffset ${dataOffset} is out of range`);
  }
  const tags: FlvTag[] = [];
  let pos = dataOffset + 4; // PreviousTagSize0
  let truncated = pos > buf.length;
  while (pos < buf.length) {
    if (pos + TAG_HEADER_SIZE > buf.length) {
      truncated = true;
      break;
    }
    const type = buf.readUInt8(pos) & 0x1f;
    const filtered = (buf.readUInt8(pos) & 0x20) !== 0;
    const size = buf.readUIntBE(pos + 1, 3);
    const timestamp = (buf.readUInt8(pos + 7) * 0x1000000 + buf.readUIntBE(pos + 4, 3)) >>> 0;
    const start = pos + TAG_HEADER_SIZE;
    if (start + size > buf.length) {
      truncated = true;
      break;
    }
    const kind = KIND_OF_TYPE[type];
    if (kind !== undefined && !filtered)
      tags.push({ kind, timestamp, payload: buf.subarray(start, start + size) });
    pos = start + size + 4;
    if (pos > buf.length) truncated = true; // the last tag is whole; only its PreviousTagSize is missing
  }
  return { hasAudio: (flags & FLAG_AUDIO) !== 0, hasVideo: (flags & FLAG_VIDEO) !== 0, tags, truncated };
}

/** The 9-byte FLV header followed by PreviousTagSize0: write once, before the first tag. */
export function flvHeader(hasAudio: boolean, hasVideo: boolean): Buffer {
  const out = Buffer.alloc(HEADER_SIZE + 4);
  out.write('FLV', 0, 'latin1');
  out.writeUInt8(1, 3);
  out.writeUInt8((hasAudio ? FLAG_AUDIO : 0) | (hasVideo ? FLAG_VIDEO : 0), 4);
  out.writeUInt32BE(HEADER_SIZE, 5);
  return out;
}

/** One tag: 11-byte tag header, the payload, then its PreviousTagSize. */
export function flvTag(tag: FlvTag): Buffer {
  const size = tag.payload.length;
  if (size > MAX_DATA_SIZE) throw new MediaError('FLV_MALFORMED', `FLV tag of ${size} bytes exceeds 16 MiB`);
  const timestamp = Math.floor(tag.timestamp) >>> 0; // FLV timestamps are 32-bit: reduce, as RTMP does
  const out = Buffer.allocUnsafe(TAG_HEADER_SIZE + size + 4);
  out.writeUInt8(messageTypeOf[tag.kind], 0);
  out.writeUIntBE(size, 1, 3);
  out.writeUIntBE(timestamp & 0xffffff, 4, 3);
  out.writeUInt8(timestamp >>> 24, 7);
  out.writeUIntBE(0, 8, 3);
  tag.payload.copy(out, TAG_HEADER_SIZE);
  out.writeUInt32BE(TAG_HEADER_SIZE + size, TAG_HEADER_SIZE + size);
  return out;
}
