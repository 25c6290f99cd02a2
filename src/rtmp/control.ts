/**
 * Protocol control messages (RTMP spec 5.4), user control messages (spec 6.2 / 7.1.7) and aggregate
 * messages (spec 7.1.6). Control messages always travel on message stream 0 with timestamp 0.
 */
import type { RtmpMessage } from './chunk-reader.js';
import { RtmpError } from './errors.js';

/** RTMP message type ids (spec 5.4 and 7.1). */
export const MessageType = {
  setChunkSize: 1,
  abort: 2,
  acknowledgement: 3,
  userControl: 4,
  windowAckSize: 5,
  setPeerBandwidth: 6,
  audio: 8,
  video: 9,
  dataAmf3: 15,
  commandAmf3: 17,
  dataAmf0: 18,
  commandAmf0: 20,
  aggregate: 22,
} as const;

/** User control event types (spec 7.1.7). */
export const UserControlEvent = {
  streamBegin: 0,
  streamEof: 1,
  streamDry: 2,
  setBufferLength: 3,
  streamIsRecorded: 4,
  pingRequest: 6,
  pingResponse: 7,
} as const;

function control(typeId: number, payload: Buffer): RtmpMessage {
  return { typeId, streamId: 0, timestamp: 0, payload };
}

function uint32Message(typeId: number, value: number): RtmpMessage {
  const payload = Buffer.allocUnsafe(4);
  payload.writeUInt32BE(value >>> 0, 0);
  return control(typeId, payload);
}

/**
 * Set Chunk Size (spec 5.4.1): | 0 | chunk size, 31 bits |. Sizes outside 1..0x7FFFFFFF are a programming
 * error (RangeError), not peer input.
 */
export function setChunkSizeMessage(size: number): RtmpMessage {
  if (!Number.isInteger(size) || size < 1 || size > 0x7fffffff) throw new RangeError(`chunk size ${size}`);
  return uint32Message(MessageType.setChunkSize, size);
}

/** Acknowledgement (spec 5.4.3): | sequence number u32 | = bytes received so far, mod 2^32. */
export function acknowledgementMessage(sequenceNumber: number): RtmpMessage {
  return uint32Message(MessageType.acknowledgement, sequenceNumber % 2 ** 32);
}

/** Window Acknowledgement Size (spec 5.4.4): | window size u32 |. */
export function windowAckSizeMessage(size: number): RtmpMessage {
  return uint32Message(MessageType.windowAckSize, size);
}

/** Set Peer Bandwidth (spec 5.4.5): | window size u32 | limit type u8 (0 hard, 1 soft, 2 dynamic) |. */
export function setPeerBandwidthMessage(size: number, limitType: 0 | 1 | 2): RtmpMessage {
  const payload = Buffer.allocUnsafe(5);
  payload.writeUInt32BE(size >>> 0, 0);
  payload.writeUInt8(limitType, 4);
  return control(MessageType.setPeerBandwidth, payload);
}

/**
 * User Control Message (spec 6.2, 7.1.7): | event type u16 | event data: one u32 per argument |.
 * SetBufferLength takes two arguments (stream id, buffer length ms); the others take one.
 */
export function userControlMessage(event: number, ...args: number[]): RtmpMessage {
  const payload = Buffer.allocUnsafe(2 + 4 * args.length);
  payload.writeUInt16BE(event, 0);
  args.forEach((arg, i) => payload.writeUInt32BE(arg >>> 0, 2 + 4 * i));
  return control(MessageType.userControl, payload);
}

/** Reads | event type u16 | first u32 of event data | (stream id, or the ping timestamp). */
export function parseUserControl(payload: Buffer): { event: number; value: number } {
  if (payload.length < 6) {
    throw new RtmpError('PROTOCOL_VIOLATION', `user control message of ${payload.length} bytes, need 6`);
  }
  return { event: payload.readUInt16BE(0), value: payload.readUInt32BE(2) };
}

/** The u32 at the start of a control message payload; `name` says which message, for the error. */
export function readUint32(payload: Buffer, name: string): number {
  if (payload.length < 4) {
    throw new RtmpError('PROTOCOL_VIOLATION', `${name}: payload of ${payload.length} bytes, need 4`);
  }
  return payload.readUInt32BE(0);
}

/*
 * Aggregate message body (spec 7.1.6): back-to-back FLV tags, each followed by its back pointer.
 *
 *   | type u8 | data size u24 | timestamp u24 | timestamp high u8 | stream id u24 | data | back pointer u32 |
 *
 * The first sub-message's timestamp is re-based onto the aggregate's; the others keep their offset from it.
 */
const TAG_HEADER_BYTES = 11;
const BACK_POINTER_BYTES = 4;

/** Splits an aggregate message (type 22) into its FLV-tag sub-messages with timestamps rebased to the aggregate's timestamp. */
export function splitAggregate(message: RtmpMessage): RtmpMessage[] {
  const { payload } = message;
  const out: RtmpMessage[] = [];
  let first: number | undefined;
  let pos = 0;
  while (pos < payload.length) {
    if (payload.length - pos < TAG_HEADER_BYTES) {
      throw new RtmpError('PROTOCOL_VIOLATION', `aggregate message: truncated tag header at ${pos}`);
    }
    const typeId = payload.readUInt8(pos);
    const size = payload.readUIntBE(pos + 1, 3);
    const tagTimestamp = (payload.readUIntBE(pos + 4, 3) | (payload.readUInt8(pos + 7) << 24)) >>> 0;
    const start = pos + TAG_HEADER_BYTES;
    if (size > payload.length - start) {
      throw new RtmpError('PROTOCOL_VIOLATION', `aggregate message: tag of ${size} bytes at ${pos} overruns`);
    }
    first ??= tagTimestamp;
    out.push({
      typeId,
      streamId: message.streamId,
      timestamp: (message.timestamp + (tagTimestamp - first)) >>> 0,
      payload: payload.subarray(start, start + size),
    });
    // The last back pointer may be missing; anything after the data is skipped as one.
    pos = Math.min(payload.length, start + size + BACK_POINTER_BYTES);
  }
  return out;
}
