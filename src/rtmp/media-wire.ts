/**
 * Media packets on the wire: one packet chunked once per (chunk size, stream id) and the same bytes
 * written to every session that agrees on both (docs/architecture.md rule 5). The bytes are memoised
 * against the packet object itself (a WeakMap), so the channel's packets carry no relay state and the
 * memo goes when the packet does.
 */
import type { MediaPacket } from '../media/packet.js';
import { encodeChunks } from './chunk-writer.js';
import { csidFor } from './connection.js';
import { MessageType } from './control.js';

/** Where a session hands each media packet it receives (dts unwrapped): set by its owner. */
export type MediaSink = (packet: MediaPacket) => void;

const wireBytes = new WeakMap<MediaPacket, Map<number, Buffer>>();

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
 * dts), shared with every other session that asks for the same pair.
 */
export function encodeMedia(packet: MediaPacket, chunkSize: number, streamId: number): Buffer {
  // Chunk sizes are at most 0xFFFFFF (RTMP 5.4.1), so the pair fits one safe integer.
  const key = streamId * 0x1000000 + chunkSize;
  let byKey = wireBytes.get(packet);
  const cached = byKey?.get(key);
  if (cached) return cached;
  const typeId = messageTypeOfPacket(packet);
  const bytes = encodeChunks(
    { typeId, streamId, timestamp: packet.dts, payload: packet.payload },
    csidFor(typeId),
    chunkSize,
  );
  if (!byKey) wireBytes.set(packet, (byKey = new Map<number, Buffer>()));
  byKey.set(key, bytes);
  return bytes;
}
