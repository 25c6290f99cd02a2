import { describe, expect, it } from 'vitest';
import { AmfEcmaArray, decodeAmf0, encodeAmf0 } from '../../../src/media/amf0.js';
import {
  asSetDataFrame,
  encodeMetadata,
  isMetadataMessage,
  parseMetadata,
} from '../../../src/media/metadata.js';

const obsMeta = {
  width: 1920,
  height: 1080,
  framerate: 60,
  videocodecid: 7,
  audiocodecid: 10,
  videodatarate: 6000,
  audiodatarate: 160,
  audiosamplerate: 48000,
  audiosamplesize: 16,
  audiochannels: 2,
  stereo: true,
  '2.1': false,
  encoder: 'obs-output module (libobs version 30.0.2)',
};
const fourCc = (s: string): number => Buffer.from(s, 'latin1').readUInt32BE(0);

describe('parseMetadata', () => {
  it('reads @setDataFrame + onMetaData + ECMA array, as OBS publishes it', () => {
    const payload = encodeAmf0('@setDataFrame', 'onMetaData', new AmfEcmaArray(obsMeta));
    expect(isMetadataMessage(payload)).toBe(true);
    expect(parseMetadata(payload)).toEqual(obsMeta);
  });

  it('reads the bare onMetaData form, with an object instead of an ECMA array', () => {
    const payload = encodeAmf0('onMetaData', { width: 1280, height: 720 });
    expect(parseMetadata(payload)).toEqual({ width: 1280, height: 720 });
  });

  it('maps FourCC codec ids (E-RTMP uint32) to strings and keeps legacy ids', () => {
    const payload = encodeAmf0(
      'onMetaData',
      new AmfEcmaArray({ videocodecid: fourCc('hvc1'), audiocodecid: fourCc('Opus') }),
    );
    expect(parseMetadata(payload)).toEqual({ videocodecid: 'hvc1', audiocodecid: 'Opus' });
    const odd = encodeAmf0(
      'onMetaData',
      new AmfEcmaArray({ videocodecid: 0x01000000, audiocodecid: 'mp4a' }),
    );
    expect(parseMetadata(odd)).toEqual({ videocodecid: 0x01000000, audiocodecid: 'mp4a' });
  });

  it('makes known fields fit their types: numeric strings become numbers, the rest is dropped', () => {
    const payload = encodeAmf0(
      'onMetaData',
      new AmfEcmaArray({
        width: '1280',
        height: 'tall',
        framerate: null,
        encoder: 5,
        videocodecid: true,
        custom: 'kept',
      }),
    );
    expect(parseMetadata(payload)).toEqual({ width: 1280, custom: 'kept' });
  });

  it('never lets a __proto__ key set the prototype', () => {
    const payload = encodeAmf0(
      'onMetaData',
      new AmfEcmaArray(JSON.parse('{"__proto__": {"polluted": 1}, "width": 2}') as Record<string, number>),
    );
    const meta = parseMetadata(payload);
    expect(Object.getPrototypeOf(meta)).toBe(Object.prototype);
    expect(meta).toEqual({ width: 2 });
  });

  it.each([
    ['another data message', encodeAmf0('onCuePoint', { name: 'x' })],
    ['@setDataFrame of something else', encodeAmf0('@setDataFrame', 'onTextData', { text: 'hi' })],
    ['|RtmpSampleAccess', encodeAmf0('|RtmpSampleAccess', false, false)],
    ['onMetaData with no object', encodeAmf0('onMetaData')],
    ['onMetaData with a cut object', encodeAmf0('onMetaData', new AmfEcmaArray(obsMeta)).subarray(0, 40)],
    ['onMetaData followed by a number', encodeAmf0('onMetaData', 5)],
    ['empty', Buffer.alloc(0)],
    ['not AMF', Buffer.from('hello world')],
  ])('returns undefined for %s', (_name, payload) => {
    expect(parseMetadata(payload)).toBeUndefined();
  });
});

describe('encodeMetadata', () => {
  it("writes 'onMetaData' + ECMA array, without the @setDataFrame wrapper", () => {
    const payload = encodeMetadata(obsMeta);
    const values = decodeAmf0(payload);
    expect(values[0]).toBe('onMetaData');
    expect(values[1]).toBeInstanceOf(AmfEcmaArray);
    expect(values).toHaveLength(2);
    expect(parseMetadata(payload)).toEqual(obsMeta);
  });

  it('round-trips what OBS sent into the canonical form', () => {
    const fromObs = encodeAmf0('@setDataFrame', 'onMetaData', new AmfEcmaArray(obsMeta));
    const canonical = encodeMetadata(parseMetadata(fromObs)!);
    expect(canonical).toEqual(encodeAmf0('onMetaData', new AmfEcmaArray(obsMeta)));
  });

  it('writes FourCC codec ids back as uint32 numbers, and leaves out undefined and non-AMF values', () => {
    const payload = encodeMetadata({
      videocodecid: 'av01',
      audiocodecid: 'Opus',
      note: undefined,
      fn: () => 1,
      big: 1n,
    });
    const entries = (decodeAmf0(payload)[1] as AmfEcmaArray).entries;
    expect(entries).toEqual({ videocodecid: fourCc('av01'), audiocodecid: fourCc('Opus') });
  });

  it('throws MediaError METADATA_MALFORMED on values AMF0 cannot carry', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => encodeMetadata({ cyclic })).toThrow(expect.objectContaining({ code: 'METADATA_MALFORMED' }));
  });
});

describe('asSetDataFrame', () => {
  it('wraps a bare onMetaData as OBS publishes it and leaves other data messages alone', () => {
    const bare = encodeAmf0('onMetaData', new AmfEcmaArray({ width: 640 }));
    const wrapped = asSetDataFrame(bare);
    expect(decodeAmf0(wrapped)).toEqual(
      decodeAmf0(encodeAmf0('@setDataFrame', 'onMetaData', new AmfEcmaArray({ width: 640 }))),
    );
    expect(parseMetadata(wrapped)).toEqual({ width: 640 });
    expect(asSetDataFrame(wrapped)).toBe(wrapped);
    const text = encodeAmf0('onTextData', { text: 'hi' });
    expect(asSetDataFrame(text)).toBe(text);
  });
});
