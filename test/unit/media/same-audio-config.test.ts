import { describe, expect, it } from 'vitest';
import { sameAudioConfig } from '../../../src/media/same-audio-config.js';

/** An AAC sequence header tag: 0xAF (AAC, 44/16/stereo flags), AACPacketType 0, AudioSpecificConfig. */
const aacHeader = (hex: string): Buffer => Buffer.from(`af00${hex}`, 'hex');

describe('sameAudioConfig', () => {
  it("takes OBS's 2-byte config and ffmpeg's 5-byte one (SBR sync extension saying no SBR) as the same", () => {
    // LC, 48 kHz, stereo: OBS writes 11 90; ffmpeg's FLV muxer 11 90 56 e5 00.
    expect(sameAudioConfig(aacHeader('1190'), aacHeader('119056e500'))).toBe(true);
  });

  it('tells apart rate, channels and object type', () => {
    expect(sameAudioConfig(aacHeader('1190'), aacHeader('1210'))).toBe(false); // 44.1 kHz
    expect(sameAudioConfig(aacHeader('1190'), aacHeader('1188'))).toBe(false); // mono
    expect(sameAudioConfig(aacHeader('1190'), aacHeader('2b9288'))).toBe(false); // HE-AAC (SBR)
  });

  it('compares what does not parse, and codecs other than AAC, byte for byte', () => {
    expect(sameAudioConfig(Buffer.from([0xaf, 0]), Buffer.from([0xaf, 0]))).toBe(true);
    expect(sameAudioConfig(Buffer.from([0xaf, 0]), Buffer.from([0xaf, 0, 0]))).toBe(false);
    expect(sameAudioConfig(Buffer.from([0x2f, 0xff, 0xfb]), Buffer.from([0x2f, 0xff, 0xfa]))).toBe(false);
  });
});
