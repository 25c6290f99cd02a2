/**
 * AMF0 (Adobe "Action Message Format" version 0, amf0-file-format-specification.pdf): the encoding of RTMP
 * command/data messages and of FLV script tags. Decoding is defensive — every length is checked against the
 * end of the buffer and nesting is bounded — because the bytes come straight from the network.
 *
 * Every value starts with a one-byte type marker (AMF0 spec 2.1):
 *
 *   0x00 number        | marker | float64 BE (8) |
 *   0x01 boolean       | marker | u8 (0 = false) |
 *   0x02 string        | marker | u16 BE length | UTF-8 bytes |
 *   0x03 object        | marker | property* | 0x00 0x00 0x09 |     property = | u16 key length | key | value |
 *   0x05 null, 0x06 undefined, 0x0D unsupported: the marker alone
 *   0x07 reference     | marker | u16 index |                     (decoded as undefined)
 *   0x08 ECMA array    | marker | u32 count (a hint) | property* | 0x00 0x00 0x09 |
 *   0x0A strict array  | marker | u32 count | value * count |
 *   0x0B date          | marker | float64 ms since epoch | s16 time zone (unused, written as 0) |
 *   0x0C long string   | marker | u32 BE length | UTF-8 bytes |
 *   0x0F XML document  | marker | u32 BE length | UTF-8 bytes |     (decoded as a string)
 *   0x10 typed object  | marker | u16 class-name length | class name | property* | 0x00 0x00 0x09 |
 *   0x11 AVM+ switch   (the rest is AMF3: not supported)
 */
import { RestreamError } from '../shared/errors.js';

/** Any value AMF0 can carry, as JavaScript sees it. */
export type AmfValue =
  number | boolean | string | null | undefined | Date | AmfValue[] | AmfObject | AmfEcmaArray;

/** An anonymous AMF0 object (type 0x03), or the properties of an ECMA array / typed object. */
export interface AmfObject {
  [key: string]: AmfValue;
}

/** ECMA array (type 0x08) kept distinct from an object so encode(decode(x)) round-trips. */
export class AmfEcmaArray {
  constructor(readonly entries: AmfObject) {}
}

/** Why AMF0 bytes could not be read (or a value could not be written). */
export type Amf0ErrorCode = 'AMF_MALFORMED' | 'AMF3_UNSUPPORTED';

/** The only error the AMF0 codec throws. */
export class Amf0Error extends RestreamError<Amf0ErrorCode> {
  constructor(code: Amf0ErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'Amf0Error';
  }
}

/** Deeper nesting than any real command or metadata; stops stack exhaustion by hostile input. */
const MAX_DEPTH = 64;
const OBJECT_END = 0x09;

class Amf0Decoder {
  readonly #buf: Buffer;
  /** Offset of the next unread byte. */
  pos = 0;

  constructor(buf: Buffer) {
    this.#buf = buf;
  }

  get remaining(): number {
    return this.#buf.length - this.pos;
  }

  #need(n: number): void {
    if (n > this.remaining) {
      throw new Amf0Error('AMF_MALFORMED', `AMF0 truncated: need ${n} bytes at offset ${this.pos}`);
    }
  }

  #u8(): number {
    this.#need(1);
    const v = this.#buf.readUInt8(this.pos);
    this.pos += 1;
    return v;
  }

  #u16(): number {
    this.#need(2);
    const v = this.#buf.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  #u32(): number {
    this.#need(4);
    const v = this.#buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  #f64(): number {
    this.#need(8);
    const v = this.#buf.readDoubleBE(this.pos);
    this.pos += 8;
    return v;
  }

  #utf8(length: number): string {
    this.#need(length);
    const s = this.#buf.toString('utf8', this.pos, this.pos + length);
    this.pos += length;
    return s;
  }

  value(depth: number): AmfValue {
    if (depth > MAX_DEPTH) throw new Amf0Error('AMF_MALFORMED', `AMF0 nesting deeper than ${MAX_DEPTH}`);
    const at = this.pos;
    const marker = this.#u8();
    switch (marker) {
      case 0x00:
        return this.#f64();
      case 0x01:
        return this.#u8() !== 0;
      case 0x02:
        return this.#utf8(this.#u16());
      case 0x03:
        return this.#properties(depth);
      case 0x05:
        return null;
      case 0x06:
      case 0x0d:
        return undefined;
      case 0x07:
        this.#u16();
        return undefined;
      case 0x08:
        this.#u32(); // the count is only a hint; the end marker terminates
        return new AmfEcmaArray(this.#properties(depth));
      case 0x0a: {
        const count = this.#u32();
        // Each element takes at least one byte, so a larger count is a lie: refuse before allocating.
        if (count > this.remaining) {
          throw new Amf0Error('AMF_MALFORMED', `AMF0 strict array of ${count} at offset ${at} overruns`);
        }
        const items: AmfValue[] = [];
        for (let i = 0; i < count; i++) items.push(this.value(depth + 1));
        return items;
      }
      case 0x0b: {
        const ms = this.#f64();
        this.#u16(); // time zone: reserved, should be 0
        return new Date(ms);
      }
      case 0x0c:
      case 0x0f:
        return this.#utf8(this.#u32());
      case 0x10:
        this.#utf8(this.#u16()); // class name: dropped, the properties are what callers read
        return this.#properties(depth);
      case 0x11:
        throw new Amf0Error('AMF3_UNSUPPORTED', `AMF3 value (AVM+ switch) at offset ${at}`);
      default:
        throw new Amf0Error(
          'AMF_MALFORMED',
          `AMF0 unknown or misplaced marker 0x${marker.toString(16)} at ${at}`,
        );
    }
  }

  /** property* then the empty key + 0x09 end marker (shared by object, ECMA array and typed object). */
  #properties(depth: number): AmfObject {
    const obj: AmfObject = {};
    for (;;) {
      const key = this.#utf8(this.#u16());
      this.#need(1);
      if (key === '' && this.#buf.readUInt8(this.pos) === OBJECT_END) {
        this.pos += 1;
        return obj;
      }
      const value = this.value(depth + 1);
      // Assigning "__proto__" would set the prototype instead of a property.
      if (key === '__proto__') {
        Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
      } else {
        obj[key] = value;
      }
    }
  }
}

function asAmf0Error(err: unknown): Amf0Error {
  if (err instanceof Amf0Error) return err;
  return new Amf0Error('AMF_MALFORMED', 'AMF0 decode failed', { cause: err });
}

/** Decodes every value until the end of `buf`; throws Amf0Error on anything malformed or truncated. */
export function decodeAmf0(buf: Buffer): AmfValue[] {
  const decoder = new Amf0Decoder(buf);
  const values: AmfValue[] = [];
  try {
    while (decoder.remaining > 0) values.push(decoder.value(0));
  } catch (err) {
    throw asAmf0Error(err);
  }
  return values;
}

/**
 * Lenient: decodes at most `maxValues` values and stops early, without throwing, at the end of the buffer
 * or at the first value that does not decode. `bytesRead` counts the bytes of the values returned.
 */
export function decodeAmf0Prefix(buf: Buffer, maxValues: number): { values: AmfValue[]; bytesRead: number } {
  const decoder = new Amf0Decoder(buf);
  const values: AmfValue[] = [];
  let bytesRead = 0;
  while (values.length < maxValues && decoder.remaining > 0) {
    try {
      values.push(decoder.value(0));
    } catch {
      break;
    }
    bytesRead = decoder.pos;
  }
  return { values, bytesRead };
}

class Amf0Encoder {
  #buf = Buffer.allocUnsafe(256);
  #pos = 0;

  #reserve(n: number): void {
    if (this.#pos + n <= this.#buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.#buf.length * 2, this.#pos + n));
    this.#buf.copy(grown, 0, 0, this.#pos);
    this.#buf = grown;
  }

  #u8(v: number): void {
    this.#reserve(1);
    this.#pos = this.#buf.writeUInt8(v, this.#pos);
  }

  #u16(v: number): void {
    this.#reserve(2);
    this.#pos = this.#buf.writeUInt16BE(v, this.#pos);
  }

  #u32(v: number): void {
    this.#reserve(4);
    this.#pos = this.#buf.writeUInt32BE(v, this.#pos);
  }

  #f64(v: number): void {
    this.#reserve(8);
    this.#pos = this.#buf.writeDoubleBE(v, this.#pos);
  }

  #bytes(s: string, length: number): void {
    this.#reserve(length);
    this.#pos += this.#buf.write(s, this.#pos, length, 'utf8');
  }

  value(v: AmfValue, depth: number): void {
    if (depth > MAX_DEPTH) throw new Amf0Error('AMF_MALFORMED', `AMF0 value nested deeper than ${MAX_DEPTH}`);
    if (v === null) {
      this.#u8(0x05);
    } else if (v === undefined) {
      this.#u8(0x06);
    } else if (typeof v === 'number') {
      this.#u8(0x00);
      this.#f64(v);
    } else if (typeof v === 'boolean') {
      this.#u8(0x01);
      this.#u8(v ? 1 : 0);
    } else if (typeof v === 'string') {
      const length = Buffer.byteLength(v, 'utf8');
      if (length > 0xffff) {
        this.#u8(0x0c);
        this.#u32(length);
      } else {
        this.#u8(0x02);
        this.#u16(length);
      }
      this.#bytes(v, length);
    } else if (v instanceof Date) {
      this.#u8(0x0b);
      this.#f64(v.getTime());
      this.#u16(0);
    } else if (Array.isArray(v)) {
      this.#u8(0x0a);
      this.#u32(v.length);
      for (const item of v) this.value(item, depth + 1);
    } else if (v instanceof AmfEcmaArray) {
      this.#u8(0x08);
      this.#u32(Object.keys(v.entries).length);
      this.#properties(v.entries, depth);
    } else {
      this.#u8(0x03);
      this.#properties(v, depth);
    }
  }

  #properties(obj: AmfObject, depth: number): void {
    for (const key of Object.keys(obj)) {
      const length = Buffer.byteLength(key, 'utf8');
      if (length > 0xffff) throw new Amf0Error('AMF_MALFORMED', 'AMF0 object key longer than 65535 bytes');
      this.#u16(length);
      this.#bytes(key, length);
      this.value(obj[key], depth + 1);
    }
    this.#u16(0);
    this.#u8(OBJECT_END);
  }

  finish(): Buffer {
    const out = Buffer.allocUnsafe(this.#pos);
    this.#buf.copy(out, 0, 0, this.#pos);
    return out;
  }
}

/** Encodes values back to back. Strings over 65535 bytes become long strings; dates carry time zone 0. */
export function encodeAmf0(...values: AmfValue[]): Buffer {
  const encoder = new Amf0Encoder();
  for (const v of values) encoder.value(v, 0);
  return encoder.finish();
}

/** Plain-object view: ECMA arrays and objects both become AmfObject (for reading metadata/command objects). */
export function amfProps(value: AmfValue): AmfObject | undefined {
  if (value instanceof AmfEcmaArray) return value.entries;
  if (typeof value === 'object' && value !== null && !(value instanceof Date) && !Array.isArray(value)) {
    return value;
  }
  return undefined;
}
