import {
  AmfEcmaArray,
  amfProps,
  decodeAmf0Prefix,
  encodeAmf0,
  type AmfObject,
  type AmfValue,
} from './amf0.js';
import { MediaError } from './errors.js';

/** Stream metadata (onMetaData, FLV spec E.5 and Enhanced RTMP "Enhancing onMetaData"); unknown keys kept. */
export interface StreamMetadata {
  /** Video width in pixels. */
  width?: number;
  /** Video height in pixels. */
  height?: number;
  /** Frames per second. */
  framerate?: number;
  /** Legacy CodecID (7 = AVC) or, for E-RTMP codecs, the FourCC as a string ('hvc1', 'av01'). */
  videocodecid?: number | string;
  /** Legacy SoundFormat (10 = AAC) or the FourCC as a string ('Opus', 'mp4a'). */
  audiocodecid?: number | string;
  /** Video bitrate in kbit/s. */
  videodatarate?: number;
  /** Audio bitrate in kbit/s. */
  audiodatarate?: number;
  /** Audio sample rate in Hz. */
  audiosamplerate?: number;
  /** Audio channel count. */
  audiochannels?: number;
  /** Encoder name, e.g. 'obs-output module (libobs version 30.0.0)'. */
  encoder?: string;
  [key: string]: unknown;
}

/** Keys StreamMetadata types as numbers: numeric strings are converted, anything else dropped. */
const NUMERIC_KEYS = new Set([
  'width',
  'height',
  'framerate',
  'videodatarate',
  'audiodatarate',
  'audiosamplerate',
  'audiochannels',
]);

/**
 * Reads a data message (AMF0 values back to back; RTMP message type 18 / FLV script tag):
 *
 *   '@setDataFrame' 'onMetaData' {ECMA array | object}     what OBS and ffmpeg publish
 *   'onMetaData' {ECMA array | object}                     FLV files, relayed streams
 *
 * Returns undefined for any other data message and for one whose metadata does not decode: a garbled
 * metadata message is dropped, never fatal.
 */
export function parseMetadata(payload: Buffer): StreamMetadata | undefined {
  if (!isMetadataMessage(payload)) return undefined;
  const { values } = decodeAmf0Prefix(payload, 3);
  const props = amfProps(values[values[0] === SET_DATA_FRAME ? 2 : 1]);
  if (props === undefined) return undefined;
  const meta: StreamMetadata = {};
  for (const [key, value] of Object.entries(props)) {
    if (key === '__proto__') continue; // from the network: never let it set the prototype
    const kept = normalise(key, value);
    if (kept !== undefined) meta[key] = kept;
  }
  return meta;
}

/** The value kept for `key`, made to fit the StreamMetadata type; undefined drops it. */
function normalise(key: string, value: AmfValue): unknown {
  if (NUMERIC_KEYS.has(key)) {
    const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : NaN;
    return Number.isFinite(n) ? n : undefined;
  }
  if (key === 'encoder') return typeof value === 'string' ? value : undefined;
  if (key === 'videocodecid' || key === 'audiocodecid') return codecId(value);
  return value;
}

/** A legacy numeric codec id stays a number; a FourCC packed in a uint32 (E-RTMP) becomes its string. */
function codecId(value: unknown): number | string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value !== 'number' || !Number.isInteger(value)) return undefined;
  if (value < 0x01000000 || value > 0xffffffff) return value;
  const chars = [value >>> 24, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff];
  return chars.every((c) => c >= 0x20 && c < 0x7f) ? String.fromCharCode(...chars) : value;
}

/**
 * The canonical payload sent to platforms: 'onMetaData' + ECMA array, without the @setDataFrame wrapper
 * (as nginx-rtmp and SRS relay it). FourCC codec ids go back on the wire as uint32 numbers, as the E-RTMP
 * spec defines them; undefined values and non-AMF values (functions, bigints) are left out.
 */
export function encodeMetadata(meta: StreamMetadata): Buffer {
  const entries: AmfObject = {};
  for (const [key, value] of Object.entries(meta)) {
    if (
      (key === 'videocodecid' || key === 'audiocodecid') &&
      typeof value === 'string' &&
      value.length === 4
    ) {
      entries[key] = value.split('').reduce((n, c) => n * 256 + (c.charCodeAt(0) & 0xff), 0);
    } else if (isAmfValue(value) && value !== undefined) {
      entries[key] = value;
    }
  }
  try {
    return encodeAmf0(ON_METADATA, new AmfEcmaArray(entries));
  } catch (err) {
    throw new MediaError('METADATA_MALFORMED', 'metadata cannot be encoded as AMF0', { cause: err });
  }
}

function isAmfValue(value: unknown): value is AmfValue {
  switch (typeof value) {
    case 'number':
    case 'boolean':
    case 'string':
    case 'undefined':
      return true;
    case 'object':
      return true; // null, Date, arrays, objects, AmfEcmaArray: the encoder checks what is inside
    case 'bigint':
    case 'function':
    case 'symbol':
      return false;
  }
}

/**
 * A data message as a publisher sends it: `@setDataFrame` before a bare `onMetaData` (what OBS and
 * ffmpeg publish, and what Wowza/Akamai-style ingests keep for viewers who join late); any other
 * payload is returned as it is. The program keeps the bare form, which is what a player is sent.
 */
export function asSetDataFrame(payload: Buffer): Buffer {
  if (!amfStringIs(payload, 0, ON_METADATA_BYTES)) return payload;
  return Buffer.concat([SET_DATA_FRAME_AMF, payload]);
}

const SET_DATA_FRAME = '@setDataFrame';
const ON_METADATA = 'onMetaData';
const SET_DATA_FRAME_BYTES = Buffer.from(SET_DATA_FRAME, 'latin1');
const ON_METADATA_BYTES = Buffer.from(ON_METADATA, 'latin1');
/** `@setDataFrame` as an AMF0 string: marker 0x02, u16 length, bytes. */
const SET_DATA_FRAME_AMF = Buffer.concat([
  Buffer.from([0x02, 0x00, SET_DATA_FRAME_BYTES.length]),
  SET_DATA_FRAME_BYTES,
]);

/**
 * True when a data payload is onMetaData, bare or wrapped in @setDataFrame: compares the leading AMF0
 * strings (marker 0x02, u16 length, bytes) in place, so the packet path allocates nothing.
 */
export function isMetadataMessage(payload: Buffer): boolean {
  if (amfStringIs(payload, 0, ON_METADATA_BYTES)) return true;
  return (
    amfStringIs(payload, 0, SET_DATA_FRAME_BYTES) &&
    amfStringIs(payload, 3 + SET_DATA_FRAME_BYTES.length, ON_METADATA_BYTES)
  );
}

function amfStringIs(payload: Buffer, pos: number, expected: Buffer): boolean {
  const end = pos + 3 + expected.length;
  if (payload.length < end) return false;
  if (payload.readUInt8(pos) !== 0x02 || payload.readUInt16BE(pos + 1) !== expected.length) return false;
  // Indexing is safe (the length is checked above) and much cheaper than readUInt8 per byte on this path.
  for (let i = 0; i < expected.length; i++) if (payload[pos + 3 + i] !== expected[i]) return false;
  return true;
}
