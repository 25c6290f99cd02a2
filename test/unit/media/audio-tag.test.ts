import { describe, expect, it } from 'vitest';
import { audioConfigOf, inspectAudioTag, isAudioSequenceHeader } from '../../../src/media/audio-tag.js';
import { MediaError } from '../../../src/media/errors.js';

const b = (...bytes: number[]): Buffer => Buffer.from(bytes);
const cc = (s: string): Buffer => Buffer.from(s, 'latin1');
const cat = (...parts: Buffer[]): Buffer => Buffer.concat(parts);

function expectCode(code: string, fn: () => unknown): void {
  try {
    fn();
    expect.unreachable();
  } catch (err) {
    expect(err).toBeInstanceOf(MediaError);
    expect((err as MediaError).code).toBe(code);
  }
}

describe('inspectAudioTag: legacy AudioTagHeader', () => {
  it('AAC sequence header and raw frames', () => {
    expect(inspectAudioTag(b(0xaf, 0, 0x12, 0x10))).toEqual({
      codec: 'aac',
      sequenceHeader: true,
      dataOffset: 2,
      multitrack: false,
    });
    expect(inspectAudioTag(b(0xaf, 1, 0x21))).toMatchObject({ sequenceHeader: false, dataOffset: 2 });
    expect(isAudioSequenceHeader(b(0xaf, 0, 0x12, 0x10))).toBe(true);
    expect(isAudioSequenceHeader(b(0xaf, 1, 0x21))).toBe(false);
  });

  it('MP3 (2 and 14) and other formats have a one-byte header', () => {
    expect(inspectAudioTag(b(0x2f, 0xff))).toMatchObject({ codec: 'mp3', dataOffset: 1 });
    expect(inspectAudioTag(b(0xe2, 0xff))).toMatchObject({ codec: 'mp3', dataOffset: 1 });
    expect(inspectAudioTag(b(0x6e, 0x00))).toMatchObject({
      codec: 'other',
      dataOffset: 1,
      sequenceHeader: false,
    });
  });

  it('an empty payload (RTMP "silence") or a cut AAC header throws TAG_MALFORMED', () => {
    expectCode('TAG_MALFORMED', () => inspectAudioTag(Buffer.alloc(0)));
    expectCode('TAG_MALFORMED', () => inspectAudioTag(b(0xaf)));
    expect(isAudioSequenceHeader(Buffer.alloc(0))).toBe(false);
  });
});

describe('inspectAudioTag: Enhanced RTMP v2 ExAudioTagHeader', () => {
  it.each([
    ['mp4a', 'aac'],
    ['Opus', 'opus'],
    ['fLaC', 'flac'],
    ['ac-3', 'ac3'],
    ['ec-3', 'eac3'],
    ['.mp3', 'mp3'],
    ['abcd', 'other'],
  ])('FourCC %s is codec %s', (fourCc, codec) => {
    expect(inspectAudioTag(cat(b(0x90), cc(fourCc), b(1)))).toEqual({
      codec,
      fourCc,
      sequenceHeader: true,
      dataOffset: 5,
      multitrack: false,
    });
    expect(inspectAudioTag(cat(b(0x91), cc(fourCc), b(1))).sequenceHeader).toBe(false);
  });

  it('SequenceEnd and MultichannelConfig are not sequence headers', () => {
    expect(isAudioSequenceHeader(cat(b(0x92), cc('Opus')))).toBe(false);
    expect(isAudioSequenceHeader(cat(b(0x94), cc('Opus'), b(1, 2, 0, 0, 0, 3)))).toBe(false);
  });

  it('skips ModEx and reads multitrack headers', () => {
    const modEx = cat(b(0x97, 2, 0, 0, 1, 0x00), cc('Opus'), b(0x4f));
    expect(inspectAudioTag(modEx)).toMatchObject({ codec: 'opus', sequenceHeader: true, dataOffset: 10 });
    const one = cat(b(0x95, 0x01), cc('mp4a'), b(0), b(0x21));
    expect(inspectAudioTag(one)).toMatchObject({ codec: 'aac', multitrack: true, dataOffset: 7 });
    const many = cat(b(0x95, 0x20), cc('fLaC'), b(0, 0, 0, 9), cc('fLaC'));
    expect(inspectAudioTag(many)).toMatchObject({
      codec: 'flac',
      multitrack: true,
      sequenceHeader: true,
      dataOffset: 10,
    });
  });

  it('garbled headers throw TAG_MALFORMED', () => {
    expectCode('TAG_MALFORMED', () => inspectAudioTag(cat(b(0x93), cc('Opus')))); // reserved packet type
    expectCode('TAG_MALFORMED', () => inspectAudioTag(b(0x90, 0x4f, 0x70)));
    expectCode('TAG_MALFORMED', () => inspectAudioTag(cat(b(0x95, 0x11), cc('Opus'), b(0, 0))));
  });
});

describe('audioConfigOf', () => {
  it('legacy formats without a config: rate and channels from the tag flags', () => {
    // 0011 = PCM LE, 01 = 11 kHz, 1 = 16-bit, 0 = mono
    expect(audioConfigOf(b(0x36, 0, 0))).toMatchObject({ codec: 'other', sampleRate: 11025, channels: 1 });
    expect(audioConfigOf(b(0x5e, 0))).toMatchObject({ sampleRate: 8000, channels: 1 }); // Nellymoser 8k
    expect(audioConfigOf(b(0xb6, 0))).toMatchObject({ profile: 'Speex', sampleRate: 16000, channels: 1 });
    expect(audioConfigOf(b(0x7e, 0))).toMatchObject({
      profile: 'G.711 A-law',
      sampleRate: 8000,
      channels: 1,
    });
    // MP3 whose payload is not a frame header: the flags
    expect(audioConfigOf(b(0x2f, 0))).toMatchObject({ codec: 'mp3', sampleRate: 44100, channels: 2 });
  });

  it('AAC raw frames are not a config', () => {
    expectCode('CONFIG_MALFORMED', () => audioConfigOf(b(0xaf, 1, 0x21, 0x00)));
  });

  it('Opus: the ID header (RFC 7845), or stereo when the SequenceStart is empty', () => {
    const head = cat(cc('OpusHead'), b(1, 6, 0x38, 0x01, 0x80, 0xbb, 0, 0, 0, 0, 1));
    expect(audioConfigOf(cat(b(0x90), cc('Opus'), head))).toEqual({
      codec: 'opus',
      profile: '',
      sampleRate: 48000,
      channels: 6,
      codecString: 'opus',
    });
    expect(audioConfigOf(cat(b(0x90), cc('Opus')))).toMatchObject({ channels: 2, sampleRate: 48000 });
    expectCode('CONFIG_MALFORMED', () => audioConfigOf(cat(b(0x90), cc('Opus'), cc('OggS'))));
  });

  it('FLAC: STREAMINFO with or without the fLaC signature', () => {
    const streamInfo = Buffer.alloc(34);
    streamInfo.writeUIntBE((96000 << 4) | (5 << 1), 10, 3); // 96 kHz, 6 channels
    const block = cat(b(0x80, 0, 0, 34), streamInfo);
    expect(audioConfigOf(cat(b(0x90), cc('fLaC'), cc('fLaC'), block))).toMatchObject({
      sampleRate: 96000,
      channels: 6,
    });
    expect(audioConfigOf(cat(b(0x90), cc('fLaC'), block))).toMatchObject({ sampleRate: 96000, channels: 6 });
    expectCode('CONFIG_MALFORMED', () =>
      audioConfigOf(cat(b(0x90), cc('fLaC'), cc('fLaC'), b(0x84, 0, 0, 1))),
    );
  });

  it('unknown FourCC: CODEC_UNSUPPORTED', () => {
    expectCode('CODEC_UNSUPPORTED', () => audioConfigOf(cat(b(0x90), cc('abcd'), b(1))));
  });
});
