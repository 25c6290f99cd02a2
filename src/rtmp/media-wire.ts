/**
 * Media packets on the wire: one packet chunked once per (payload form, chunk size, stream id) and the
 * same bytes written to every session that agrees on all three (docs/architecture.md rule 5). The bytes
 * are memoised against the packet object itself (a WeakMap), so the channel's packets carry no relay
 * state and the memo goes when the packet does.
 */
import type { MediaPacket } from '../media/packet.js';
import { encodeChunks } from './chunk-writer.js';
import { csidFor } from './connection.js';
import { MessageType } from './control.js';

/** Where a session hands each media packet it receives (dts unwrapped): set by its owner. */
export type MediaSink = (packet: MediaPacket) => void;

/**
 * A receiver's own form of a packet's payload (a platform's `@setDataFrame` metadata, one track of a
 * multitrack message): `payload` answers the bytes to send, or null for nothing. The form object is
 * the cache key, so declare each form once (a constant) and every session that uses it shares bytes.
 */
export interface PayloadForm {
  payload(packet: MediaPacket): Buffer | null;
}

/** The memo key of the packet's own payload (no form). */
const asIs = {};
/** What a form that sends nothing encodes to. */
const nothing = Buffer.alloc(0);

/**
 * A packet's encodings. Nearly always every session asks for the same one, so the first is held inline
 * (one small object per packet) and only a packet also sent in other forms or chunk sizes gets maps.
 */
interface WireMemo {
  readonly form: object;
  readonly key: number;
  readonly bytes: Buffer;
  others?: Map<object, Map<number, Buffer>>;
}

const wireBytes = new WeakMap<MediaPacket, WireMemo>();

/** RTMP message type of a media packet. */
export function messageTypeOfPacket(packet: MediaPacket): number {
  return packet.kind === 'audio'
    ? MessageType.audio
    : packet.kind === 'video'
      ? MessageType.video
      : MessageType.dataAmf0;
}

/**
 * The packet as chunks for a session with this chunk size and stream id (timestamp: the packet's
 * dts), in `form` when given; shared with every other session that asks for the same three. An empty
 * buffer when the form sends nothing for this packet.
 */
export function encodeMedia(
  packet: MediaPacket,
  chunkSize: number,
  streamId: number,
  form?: PayloadForm,
): Buffer {
  // Chunk sizes are at most 0xFFFFFF (RTMP 5.4.1), so the pair fits one safe integer.
  const key = streamId * 0x1000000 + chunkSize;
  const formKey = form ?? asIs;
  const memo = wireBytes.get(packet);
  if (memo?.form === formKey && memo.key === key) return memo.bytes;
  const cached = memo?.others?.get(formKey)?.get(key);
  if (cached) return cached;
  const payload = form ? form.payload(packet) : packet.payload;
  let bytes: Buffer = nothing;
  if (payload !== null) {
    const typeId = messageTypeOfPacket(packet);
    bytes = encodeChunks({ typeId, streamId, timestamp: packet.dts, payload }, csidFor(typeId), chunkSize);
  }
  if (!memo) {
    wireBytes.set(packet, { form: formKey, key, bytes });
  } else {
    memo.others ??= new Map<object, Map<number, Buffer>>();
    let byKey = memo.others.get(formKey);
    if (!byKey) memo.others.set(formKey, (byKey = new Map<number, Buffer>()));
    byKey.set(key, bytes);
  }
  return bytes;
}
