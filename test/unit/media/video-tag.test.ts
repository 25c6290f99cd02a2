import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { MediaError } from '../../../src/media/errors.js';
import { readFlv } from '../../../src/media/flv-file.js';
import { inspectVideoTag, videoConfigOf } from '../../../src/media/video-tag.js';

const b = (...bytes: number[]): Buffer => Buffer.from(bytes);
const cc = (s: string): Buffer => Buffer.from(s, 'latin1');
const cat = (...parts: Buffer[]): Buffer => Buffer.concat(parts);

function expectTagError(fn: () => unknown): void {
  try {
    fn();
    expect.unreachable();
  } catch (err) {
    expect(err).toBeInstanceOf(MediaError);
    expect((err as MediaError).code).toBe('TAG_MALFORMED');
  }
}

describe('inspectVideoTag: legacy VideoTagHeader', () => {
  it('AVC sequence header, key NALU with composition time, inter NALU, end of sequence', () => {
    expect(inspectVideoTag(b(0x17, 0, 0, 0, 0, 1, 0x64))).toEqual({
      codec: 'avc',
      keyframe: false,
      sequenceHeader: true,
      sequenceEnd: false,
      compositionTimeMs: 0,
      dataOffset: 5,
      multitrack: false,
    });
    const key = inspectVideoTag(b(0x17, 1, 0, 0, 0x42, 0, 0, 0, 1, 0x65));
    expect([key.keyframe, key.sequenceHeader, key.compositionTimeMs, key.dataOffset]).toEqual([
      true,
      false,
      66,
      5,
    ]);
    const inter = inspectVideoTag(b(0x27, 1, 0xff, 0xff, 0xdf, 0, 0, 0, 1, 0x41));
    expect([inter.keyframe, inter.compositionTimeMs]).toEqual([false, -33]); // SI24
    expect(inspectVideoTag(b(0x17, 2, 0, 0, 0)).sequenceEnd).toBe(true);
  });

  it('the non-standard HEVC CodecID 12 has the AVC layout', () => {
    const info = inspectVideoTag(b(0x1c, 0, 0, 0, 0, 1));
    expect([info.codec, info.sequenceHeader, info.fourCc]).toEqual(['hevc', true, undefined]);
  });

  it('other codecs: one header byte, key frame from FrameType', () => {
    expect(inspectVideoTag(b(0x12, 0xaa))).toMatchObject({ codec: 'other', keyframe: true, dataOffset: 1 });
    expect(inspectVideoTag(b(0x24, 0xaa))).toMatchObject({ codec: 'other', keyframe: false, dataOffset: 1 });
  });

  it('a command frame (FrameType 5) carries no video', () => {
    const info = inspectVideoTag(b(0x57, 0x00));
    expect([info.keyframe, info.sequenceHeader, info.dataOffset]).toEqual([false, false, 2]);
  });

  it('garbled or short headers throw MediaError TAG_MALFORMED', () => {
    expectTagError(() => inspectVideoTag(Buffer.alloc(0)));
    expectTagError(() => inspectVideoTag(b(0x17, 1, 0)));
    expectTagError(() => inspectVideoTag(b(0x17, 3, 0, 0, 0))); // AVCPacketType 3
  });
});

describe('inspectVideoTag: Enhanced RTMP ExVideoTagHeader', () => {
  it('SequenceStart / CodedFrames / CodedFramesX / SequenceEnd / Metadata', () => {
    expect(inspectVideoTag(cat(b(0x90), cc('hvc1'), b(1)))).toEqual({
      codec: 'hevc',
      fourCc: 'hvc1',
      keyframe: false,
      sequenceHeader: true,
      sequenceEnd: false,
      compositionTimeMs: 0,
      dataOffset: 5,
      multitrack: false,
    });
    const coded = inspectVideoTag(cat(b(0x91), cc('hvc1'), b(0, 0, 0x21), b(0, 0, 0, 1)));
    expect([coded.keyframe, coded.compositionTimeMs, coded.dataOffset]).toEqual([true, 33, 8]);
    const x = inspectVideoTag(cat(b(0xa3), cc('hvc1'), b(0, 0, 0, 1)));
    expect([x.keyframe, x.compositionTimeMs, x.dataOffset]).toEqual([false, 0, 5]);
    expect(inspectVideoTag(cat(b(0x92), cc('av01'))).sequenceEnd).toBe(true);
    const meta = inspectVideoTag(cat(b(0x94), cc('av01'), b(2, 0, 9)));
    expect([meta.keyframe, meta.sequenceHeader, meta.dataOffset]).toEqual([false, false, 5]);
  });

  it('CodedFrames has a composition time for avc1/hvc1 only', () => {
    expect(inspectVideoTag(cat(b(0x91), cc('avc1'), b(0, 0, 0x10), b(9))).dataOffset).toBe(8);
    expect(inspectVideoTag(cat(b(0x91), cc('av01'), b(0x12, 0))).dataOffset).toBe(5);
    expect(inspectVideoTag(cat(b(0x91), cc('vp09'), b(0x82))).dataOffset).toBe(5);
  });

  it.each([
    ['avc1', 'avc'],
    ['hvc1', 'hevc'],
    ['av01', 'av1'],
    ['vp09', 'vp9'],
    ['vp08', 'vp8'],
    ['xyz1', 'other'],
  ])('FourCC %s is codec %s', (fourCc, codec) => {
    expect(inspectVideoTag(cat(b(0x90), cc(fourCc), b(0)))).toMatchObject({ codec, fourCc });
  });

  it('skips ModEx data of 8-bit and 16-bit sizes (v2)', () => {
    // ModEx, size 3 (UI8 + 1 = 3), TimestampOffsetNano, then CodedFrames
    const small = cat(b(0x97, 2, 0x01, 0x02, 0x03, 0x01), cc('hvc1'), b(0, 0, 5), b(0xaa));
    expect(inspectVideoTag(small)).toMatchObject({
      codec: 'hevc',
      keyframe: true,
      compositionTimeMs: 5,
      dataOffset: 13,
    });
    // ModEx with UI8 255 → UI16 size + 1 = 300 bytes, then a second ModEx, then SequenceStart
    const big = cat(b(0x97, 255, 0x01, 0x2b), Buffer.alloc(300), b(0x07, 0, 0x42, 0x00), cc('av01'), b(0x81));
    expect(inspectVideoTag(big)).toMatchObject({
      codec: 'av1',
      sequenceHeader: true,
      dataOffset: big.length - 1,
    });
  });

  it('multitrack: OneTrack, ManyTracks and ManyTracksManyCodecs point at the first track', () => {
    // Multitrack, OneTrack + CodedFramesX, FourCC, TrackId
    const one = inspectVideoTag(cat(b(0x96, 0x03), cc('av01'), b(0), b(0x12)));
    expect(one).toMatchObject({ codec: 'av1', multitrack: true, keyframe: true, dataOffset: 7 });
    // ManyTracks + SequenceStart, FourCC, TrackId, UI24 size
    const many = inspectVideoTag(cat(b(0x96, 0x10), cc('hvc1'), b(0, 0, 0, 2), b(1, 2)));
    expect(many).toMatchObject({ codec: 'hevc', multitrack: true, sequenceHeader: true, dataOffset: 10 });
    // ManyTracksManyCodecs + CodedFrames: the first track opens with its FourCC, then TrackId, size, SI24 cts
    const mixed = inspectVideoTag(cat(b(0x96, 0x21), cc('avc1'), b(0, 0, 0, 7), b(0, 0, 4), b(1, 2, 3, 4)));
    expect(mixed).toMatchObject({ codec: 'avc', multitrack: true, compositionTimeMs: 4, dataOffset: 13 });
  });

  it('an enhanced command frame carries no video', () => {
    expect(inspectVideoTag(b(0xd1, 0x01))).toMatchObject({
      keyframe: false,
      sequenceHeader: false,
      dataOffset: 2,
    });
  });

  it('garbled or short headers throw MediaError TAG_MALFORMED', () => {
    expectTagError(() => inspectVideoTag(cat(b(0x90), cc('hv'))));
    expectTagError(() => inspectVideoTag(cat(b(0x98), cc('hvc1')))); // packet type 8 is reserved
    expectTagError(() => inspectVideoTag(cat(b(0x91), cc('hvc1'), b(0)))); // cut composition time
    expectTagError(() => inspectVideoTag(b(0x97, 9, 1, 2))); // ModEx longer than the payload
    expectTagError(() => inspectVideoTag(cat(b(0x96, 0x11), cc('hvc1'), b(0, 0)))); // cut track size
  });
});

describe('videoConfigOf', () => {
  const fixture = (name: string): Buffer =>
    readFileSync(fileURLToPath(new URL(`../../fixtures/media/${name}`, import.meta.url)));
  const sequenceHeaderOf = (name: string): Buffer =>
    readFlv(fixture(name)).tags.find((t) => t.kind === 'video' && inspectVideoTag(t.payload).sequenceHeader)!
      .payload;

  it('refuses a payload that is not a sequence header', () => {
    expect(() => videoConfigOf(b(0x17, 1, 0, 0, 0, 0, 0, 0, 1, 0x65))).toThrow(MediaError);
  });

  it('reads HEVC sent under the AVC CodecID 7, as OBS before 29.1 did', () => {
    const enhanced = sequenceHeaderOf('hevc-main-854x480-aac.flv');
    const legacy = cat(b(0x17, 0, 0, 0, 0), enhanced.subarray(5));
    expect(videoConfigOf(legacy)).toMatchObject({ codec: 'hevc', width: 854, height: 480 });
    expect(videoConfigOf(cat(b(0x1c, 0, 0, 0, 0), enhanced.subarray(5)))).toMatchObject({ codec: 'hevc' });
  });

  it('reads a multitrack SequenceStart', () => {
    const enhanced = sequenceHeaderOf('av1-aom-640x360-opus.flv');
    const multi = cat(b(0x96, 0x00), cc('av01'), b(0), enhanced.subarray(5));
    expect(videoConfigOf(multi)).toMatchObject({ codec: 'av1', width: 640, height: 360 });
  });

  it('VP9 and other codecs have no config parser: CODEC_UNSUPPORTED', () => {
    const vpcc = b(1, 0, 0, 0, 0, 10, 0x80, 1, 1, 1, 0, 0);
    expect(() => videoConfigOf(cat(b(0x90), cc('vp09'), vpcc))).toThrow(
      expect.objectContaining({ code: 'CODEC_UNSUPPORTED' }),
    );
  });
});
