/**
 * Splits one RTMP message into chunks (RTMP spec 5.3): a fmt-0 chunk, then fmt-3 continuation chunks.
 *
 *   first:         | basic header (fmt 0) | timestamp u24 | length u24 | type u8 | stream id u32 LE | ext ts? | data |
 *   continuation:  | basic header (fmt 3) | ext ts? | data |
 *
 * Always fmt 0 (never deltas) keeps the function stateless, so fan-out can serialise a message once and
 * write the same bytes to every connection with the same chunk size, stream id and csid. Continuations are
 * fmt 3 only (Twitch rejects anything else). A timestamp >= 0xFFFFFF puts 0xFFFFFF in the field and the
 * value in a 4-byte extended timestamp, repeated on every continuation chunk as ffmpeg, FMLE and current
 * librtmp do (readers that follow SRS accept it either way).
 */
import type { RtmpMessage } from './chunk-reader.js';

/**
 * Chunk stream ids we send on. 2 is reserved for protocol control by the spec (5.4); commands, audio,
 * data (metadata) and video each get their own csid, matching what ffmpeg and OBS use for audio (4) and
 * video (6), so a big video message never delays audio in a peer that reads csids independently.
 */
export const Csid = { control: 2, command: 3, audio: 4, data: 5, video: 6 } as const;

const EXTENDED = 0xffffff;

function basicHeaderBytes(csid: number): number {
  return csid < 64 ? 1 : csid < 320 ? 2 : 3;
}

/*
 * Basic header (5.3.1.1):  | fmt:2 csid:6 |  or  | fmt:2 0 | csid-64 |  or  | fmt:2 1 | (csid-64) & 0xFF | (csid-64) >> 8 |
 */
function writeBasicHeader(out: Buffer, pos: number, fmt: number, csid: number): number {
  if (csid < 64) return out.writeUInt8((fmt << 6) | csid, pos);
  if (csid < 320) {
    out.writeUInt8(fmt << 6, pos);
    return out.writeUInt8(csid - 64, pos + 1);
  }
  out.writeUInt8((fmt << 6) | 1, pos);
  return out.writeUInt16LE(csid - 64, pos + 1);
}

/**
 * Encodes one message as a fmt-0 chunk followed by fmt-3 continuation chunks (stateless, so the bytes can
 * be shared among connections that use the same chunk size / stream id / csid). Timestamps >= 0xFFFFFF use
 * the extended field, repeated on every fmt-3 continuation chunk (as ffmpeg/FMLE/new librtmp do).
 * timestamp is reduced mod 2^32 here. One allocation per message. Bad arguments are a RangeError.
 */
export function encodeChunks(message: RtmpMessage, csid: number, chunkSize: number): Buffer {
  if (!Number.isInteger(csid) || csid < 2 || csid > 65599) throw new RangeError(`chunk stream id ${csid}`);
  if (!Number.isInteger(chunkSize) || chunkSize < 1) throw new RangeError(`chunk size ${chunkSize}`);
  const { payload } = message;
  const length = payload.length;
  if (length > 0xffffff) throw new RangeError(`message of ${length} bytes exceeds the 24-bit length field`);

  const timestamp = message.timestamp >>> 0;
  const extended = timestamp >= EXTENDED;
  const extBytes = extended ? 4 : 0;
  const basic = basicHeaderBytes(csid);
  const chunks = Math.max(1, Math.ceil(length / chunkSize));
  const out = Buffer.allocUnsafe(length + chunks * (basic + extBytes) + 11);

  let pos = writeBasicHeader(out, 0, 0, csid);
  pos = out.writeUIntBE(extended ? EXTENDED : timestamp, pos, 3);
  pos = out.writeUIntBE(length, pos, 3);
  pos = out.writeUInt8(message.typeId, pos);
  pos = out.writeUInt32LE(message.streamId >>> 0, pos);
  if (extended) pos = out.writeUInt32BE(timestamp, pos);

  let sent = 0;
  for (;;) {
    const n = Math.min(chunkSize, length - sent);
    pos += payload.copy(out, pos, sent, sent + n);
    sent += n;
    if (sent >= length) break;
    pos = writeBasicHeader(out, pos, 3, csid);
    if (extended) pos = out.writeUInt32BE(timestamp, pos);
  }
  return out;
}
