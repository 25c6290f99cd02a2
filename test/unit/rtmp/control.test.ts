import { describe, it, expect } from 'vitest';
import type { RtmpMessage } from '../../../src/rtmp/chunk-reader.js';
import {
  MessageType,
  UserControlEvent,
  acknowledgementMessage,
  parseUserControl,
  readUint32,
  setChunkSizeMessage,
  setPeerBandwidthMessage,
  splitAggregate,
  userControlMessage,
  windowAckSizeMessage,
} from '../../../src/rtmp/control.js';
import { RtmpError } from '../../../src/rtmp/errors.js';

const hex = (m: RtmpMessage): string => m.payload.toString('hex');

function expectRtmpError(fn: () => unknown, code: string): void {
  expect(fn).toThrow(RtmpError);
  try {
    fn();
  } catch (err) {
    expect((err as RtmpError).code).toBe(code);
  }
}

describe('protocol control messages (spec 5.4): stream 0, timestamp 0', () => {
  it('encodes each message', () => {
    expect(setChunkSizeMessage(4096)).toMatchObject({ typeId: 1, streamId: 0, timestamp: 0 });
    expect(hex(setChunkSizeMessage(4096))).toBe('00001000');
    expect(hex(acknowledgementMessage(1_250_000))).toBe('001312d0');
    expect(acknowledgementMessage(0).typeId).toBe(MessageType.acknowledgement);
    expect(hex(windowAckSizeMessage(2_500_000))).toBe('002625a0');
    expect(windowAckSizeMessage(1).typeId).toBe(5);
    expect(hex(setPeerBandwidthMessage(5_000_000, 2))).toBe('004c4b4002');
    expect(setPeerBandwidthMessage(1, 0).typeId).toBe(6);
  });

  it('wraps the acknowledgement sequence number at 2^32', () => {
    expect(acknowledgementMessage(2 ** 32 + 7).payload.readUInt32BE(0)).toBe(7);
    expect(acknowledgementMessage(2 ** 40 - 1).payload.readUInt32BE(0)).toBe(0xffffffff);
  });

  it('refuses a chunk size the wire cannot carry', () => {
    expect(() => setChunkSizeMessage(0)).toThrow(RangeError);
    expect(() => setChunkSizeMessage(0x80000000)).toThrow(RangeError);
    expect(hex(setChunkSizeMessage(0x7fffffff))).toBe('7fffffff');
  });

  it('readUint32 reads a u32 or says which message was short', () => {
    expect(readUint32(Buffer.from('0000ffff00', 'hex'), 'ack')).toBe(0xffff);
    expectRtmpError(() => readUint32(Buffer.from('0000ff', 'hex'), 'ack'), 'PROTOCOL_VIOLATION');
    expect(() => readUint32(Buffer.alloc(2), 'window acknowledgement size')).toThrow(
      /window acknowledgement size/,
    );
  });
});

describe('user control messages (spec 7.1.7)', () => {
  it('encodes a u16 event and u32 arguments', () => {
    const begin = userControlMessage(UserControlEvent.streamBegin, 1);
    expect(begin).toMatchObject({ typeId: MessageType.userControl, streamId: 0, timestamp: 0 });
    expect(hex(begin)).toBe('000000000001');
    expect(hex(userControlMessage(UserControlEvent.setBufferLength, 1, 3000))).toBe('00030000000100000bb8');
    expect(hex(userControlMessage(UserControlEvent.pingResponse, 0xdeadbeef))).toBe('0007deadbeef');
  });

  it('parses the event and its first value (a ping timestamp round-trips)', () => {
    const ping = userControlMessage(UserControlEvent.pingRequest, 123456);
    expect(parseUserControl(ping.payload)).toEqual({ event: 6, value: 123456 });
    expect(parseUserControl(userControlMessage(3, 1, 3000).payload)).toEqual({ event: 3, value: 1 });
    expectRtmpError(() => parseUserControl(Buffer.from('00060000', 'hex')), 'PROTOCOL_VIOLATION');
  });
});

/** One FLV tag as an aggregate carries it: | type | size u24 | ts u24 | ts high u8 | stream u24 | data | back pointer |. */
function tag(typeId: number, timestamp: number, data: string, backPointer = true): Buffer {
  const header = Buffer.alloc(11);
  header.writeUInt8(typeId, 0);
  header.writeUIntBE(data.length, 1, 3);
  header.writeUIntBE(timestamp & 0xffffff, 4, 3);
  header.writeUInt8(timestamp >>> 24, 7);
  const back = Buffer.alloc(backPointer ? 4 : 0);
  if (backPointer) back.writeUInt32BE(11 + data.length);
  return Buffer.concat([header, Buffer.from(data), back]);
}

describe('splitAggregate (spec 7.1.6)', () => {
  const aggregate = (payload: Buffer, timestamp = 5000): RtmpMessage => ({
    typeId: MessageType.aggregate,
    streamId: 1,
    timestamp,
    payload,
  });

  it('splits FLV tags and rebases their timestamps onto the aggregate timestamp', () => {
    const subs = splitAggregate(
      aggregate(Buffer.concat([tag(9, 100, 'vid'), tag(8, 120, 'au'), tag(9, 133, '')])),
    );
    expect(subs.map((m) => [m.typeId, m.streamId, m.timestamp, m.payload.toString()])).toEqual([
      [9, 1, 5000, 'vid'],
      [8, 1, 5020, 'au'],
      [9, 1, 5033, ''],
    ]);
  });

  it('uses the timestamp high byte and wraps modulo 2^32', () => {
    const subs = splitAggregate(
      aggregate(Buffer.concat([tag(8, 0x01000000, 'a'), tag(8, 0x01000010, 'b')]), 0xfffffff8),
    );
    expect(subs.map((m) => m.timestamp)).toEqual([0xfffffff8, 0x8]);
  });

  it('tolerates a missing final back pointer and an empty aggregate', () => {
    expect(splitAggregate(aggregate(Buffer.concat([tag(8, 0, 'a'), tag(8, 1, 'b', false)]))).length).toBe(2);
    expect(splitAggregate(aggregate(Buffer.alloc(0)))).toEqual([]);
  });

  it('rejects truncated tags with PROTOCOL_VIOLATION', () => {
    const full = tag(9, 0, 'video');
    expectRtmpError(() => splitAggregate(aggregate(full.subarray(0, 10))), 'PROTOCOL_VIOLATION');
    expectRtmpError(() => splitAggregate(aggregate(full.subarray(0, 13))), 'PROTOCOL_VIOLATION');
  });
});
