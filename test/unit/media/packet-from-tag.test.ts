import { describe, expect, it } from 'vitest';
import { AmfEcmaArray, encodeAmf0 } from '../../../src/media/amf0.js';
import { packetFromTag } from '../../../src/media/packet-from-tag.js';

const b = (...bytes: number[]): Buffer => Buffer.from(bytes);
const cc = (s: string): Buffer => Buffer.from(s, 'latin1');
const flags = (kind: 'audio' | 'video' | 'data', payload: Buffer): [boolean, boolean] => {
  const packet = packetFromTag(kind, 1234, payload);
  expect(packet).toMatchObject({ kind, dts: 1234 });
  expect(packet.payload).toBe(payload);
  return [packet.keyframe, packet.header];
};

describe('packetFromTag', () => {
  it.each([
    ['AVC sequence header', b(0x17, 0, 0, 0, 0, 1, 0x64), [false, true]],
    ['AVC key frame', b(0x17, 1, 0, 0, 0, 0, 0, 0, 2, 0x65, 0), [true, false]],
    ['AVC inter frame', b(0x27, 1, 0, 0, 0, 0, 0, 0, 2, 0x41, 0), [false, false]],
    ['AVC end of sequence', b(0x17, 2, 0, 0, 0), [false, false]],
    ['HEVC SequenceStart', Buffer.concat([b(0x90), cc('hvc1'), b(1)]), [false, true]],
    ['HEVC key CodedFrames', Buffer.concat([b(0x91), cc('hvc1'), b(0, 0, 0, 0x26)]), [true, false]],
    ['AV1 key CodedFramesX', Buffer.concat([b(0x93), cc('av01'), b(0x12, 0)]), [true, false]],
    ['AV1 inter CodedFramesX', Buffer.concat([b(0xa3), cc('av01'), b(0x12, 0)]), [false, false]],
    ['multitrack SequenceStart', Buffer.concat([b(0x96, 0x00), cc('av01'), b(0, 0x81)]), [false, true]],
    ['VP6 key frame (legacy, other codec)', b(0x14, 0, 0), [true, false]],
    ['command frame', b(0x57, 0), [false, false]],
    ['empty', Buffer.alloc(0), [false, false]],
    ['garbled', b(0x17, 1), [false, false]],
  ])('video: %s', (_name, payload, expected) => {
    expect(flags('video', payload)).toEqual(expected);
  });

  it('flags end of sequence, legacy and E-RTMP, and nothing else', () => {
    expect(packetFromTag('video', 0, b(0x17, 2, 0, 0, 0)).sequenceEnd).toBe(true);
    expect(packetFromTag('video', 0, Buffer.concat([b(0x92), cc('hvc1')])).sequenceEnd).toBe(true);
    for (const payload of [
      b(0x17, 0, 0, 0, 0, 1, 0x64),
      b(0x17, 1, 0, 0, 0, 0, 0, 0, 2, 0x65, 0),
      b(0x17, 2),
    ]) {
      expect(packetFromTag('video', 0, payload)).not.toHaveProperty('sequenceEnd');
    }
  });

  it('flags an E-RTMP audio SequenceEnd, which the switcher then keeps off the program', () => {
    expect(packetFromTag('audio', 0, Buffer.concat([b(0x92), cc('Opus')])).sequenceEnd).toBe(true);
    expect(packetFromTag('audio', 0, Buffer.concat([b(0x92), cc('mp4a')])).sequenceEnd).toBe(true);
    for (const payload of [
      b(0xaf, 0, 0x12, 0x10),
      b(0xaf, 1, 0x21),
      Buffer.concat([b(0x91), cc('Opus'), b(0xfc)]),
    ]) {
      expect(packetFromTag('audio', 0, payload)).not.toHaveProperty('sequenceEnd');
    }
  });

  it.each([
    ['AAC sequence header', b(0xaf, 0, 0x12, 0x10), [false, true]],
    ['AAC raw', b(0xaf, 1, 0x21), [false, false]],
    ['MP3', b(0x2f, 0xff, 0xfb), [false, false]],
    ['Opus SequenceStart', Buffer.concat([b(0x90), cc('Opus'), cc('OpusHead')]), [false, true]],
    ['Opus CodedFrames', Buffer.concat([b(0x91), cc('Opus'), b(0xfc)]), [false, false]],
    ['silence (empty)', Buffer.alloc(0), [false, false]],
    ['garbled', b(0x95), [false, false]],
  ])('audio: %s', (_name, payload, expected) => {
    expect(flags('audio', payload)).toEqual(expected);
  });

  it.each([
    [
      '@setDataFrame onMetaData',
      encodeAmf0('@setDataFrame', 'onMetaData', new AmfEcmaArray({ width: 1 })),
      true,
    ],
    ['bare onMetaData', encodeAmf0('onMetaData', new AmfEcmaArray({ width: 1 })), true],
    ['@setDataFrame of other data', encodeAmf0('@setDataFrame', 'onTextData', {}), false],
    ['onCuePoint', encodeAmf0('onCuePoint', {}), false],
    ['onMetaDataX', encodeAmf0('onMetaDataX', {}), false],
    ['cut inside the name', encodeAmf0('onMetaData').subarray(0, 8), false],
    ['empty', Buffer.alloc(0), false],
  ])('data: %s', (_name, payload, header) => {
    expect(flags('data', payload)).toEqual([false, header]);
  });
});
