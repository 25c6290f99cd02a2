import { describe, expect, it } from 'vitest';
import type { MediaPacket } from '../../../src/media/packet.js';
import { packetFromTag } from '../../../src/media/packet-from-tag.js';
import { defaultParams, paramsFromHeaders, renditionKey, safeKey } from '../../../src/fallback/params.js';
import { fixtureHeaders } from '../../helpers/media-fixtures.js';

describe('renditionKey', () => {
  it('names every parameter, filesystem-safe, the safe key (what a platform sees change) first', () => {
    expect(renditionKey(defaultParams)).toBe('h264-1280x720-48000hz-2ch-30fps-high');
    const params = {
      codec: 'hevc',
      width: 854,
      height: 480,
      fps: 25,
      profile: 'main10',
      level: '3.1',
      colour: { primaries: 9, transfer: 16, matrix: 9, fullRange: false },
      sampleRate: 44100,
      channels: 1,
    } as const;
    const key = renditionKey(params);
    expect(key).toBe('hevc-854x480-44100hz-1ch-25fps-main10-l3.1-c9.16.9');
    expect(key.startsWith(`${safeKey(params)}-`)).toBe(true);
    expect(key).toMatch(/^[a-z0-9.-]+$/);
  });

  it('rounds fps to 3 decimals, so 30000/1001 and 29.97 differ only when they really differ', () => {
    const ntsc = { ...defaultParams, fps: 30000 / 1001 };
    expect(renditionKey(ntsc)).toBe('h264-1280x720-48000hz-2ch-29.97fps-high');
    expect(renditionKey({ ...defaultParams, fps: 29.97 })).toBe(renditionKey(ntsc));
    expect(renditionKey({ ...defaultParams, fps: 59.94 })).not.toBe(
      renditionKey({ ...defaultParams, fps: 60 }),
    );
  });

  it('changes with each parameter', () => {
    const colour = { primaries: 1, transfer: 1, matrix: 1, fullRange: false };
    const keys = new Set([
      renditionKey(defaultParams),
      renditionKey({ ...defaultParams, codec: 'hevc' }),
      renditionKey({ ...defaultParams, width: 1920 }),
      renditionKey({ ...defaultParams, height: 1080 }),
      renditionKey({ ...defaultParams, fps: 60 }),
      renditionKey({ ...defaultParams, profile: 'main' }),
      renditionKey({ ...defaultParams, level: '4.1' }),
      renditionKey({ ...defaultParams, colour }),
      renditionKey({ ...defaultParams, colour: { ...colour, fullRange: true } }),
      renditionKey({ ...defaultParams, sampleRate: 44100 }),
      renditionKey({ ...defaultParams, channels: 1 }),
    ]);
    expect(keys.size).toBe(11);
  });
});

describe('defaultParams', () => {
  it('is 1280x720 at 30 fps, H.264 High, AAC 48 kHz stereo', () => {
    expect(defaultParams).toEqual({
      codec: 'h264',
      width: 1280,
      height: 720,
      fps: 30,
      profile: 'high',
      sampleRate: 48000,
      channels: 2,
    });
  });
});

describe('paramsFromHeaders', () => {
  it('reads size and profile from the AVC header, rate and channels from the AAC header', () => {
    const h = fixtureHeaders('h264-high-1920x1080-aac48-stereo.flv');
    expect(paramsFromHeaders(h.video, h.audio, 30)).toEqual({
      codec: 'h264',
      level: '4.0',
      width: 1920,
      height: 1080,
      fps: 30,
      profile: 'high',
      sampleRate: 48000,
      channels: 2,
    });
  });

  it('maps the profile to its family', () => {
    const baseline = fixtureHeaders('h264-baseline-854x480-aac44-stereo.flv');
    expect(paramsFromHeaders(baseline.video, baseline.audio, 25)).toMatchObject({
      profile: 'baseline',
      width: 854,
      height: 480,
      sampleRate: 44100,
      channels: 2,
    });
    const main = fixtureHeaders('h264-main-426x240-aac48-mono.flv');
    expect(paramsFromHeaders(main.video, main.audio, 29.97)).toMatchObject({
      profile: 'main',
      fps: 29.97,
      channels: 1,
    });
  });

  it('is undefined when a header or the frame rate is missing', () => {
    const h = fixtureHeaders('h264-high-1920x1080-aac48-stereo.flv');
    expect(paramsFromHeaders(undefined, h.audio, 30)).toBeUndefined();
    expect(paramsFromHeaders(h.video, undefined, 30)).toBeUndefined();
    expect(paramsFromHeaders(h.video, h.audio, undefined)).toBeUndefined();
    expect(paramsFromHeaders(h.video, h.audio, 0)).toBeUndefined();
    expect(paramsFromHeaders(h.video, h.audio, NaN)).toBeUndefined();
  });

  it('keeps HEVC and AV1 in their own codec, and is undefined for audio other than AAC', () => {
    const hevc = fixtureHeaders('hevc-main-854x480-aac.flv');
    expect(paramsFromHeaders(hevc.video, hevc.audio, 30)).toMatchObject({
      codec: 'hevc',
      profile: 'main',
      width: 854,
      height: 480,
    });
    const av1 = fixtureHeaders('av1-svt-426x240-mp4a.flv');
    expect(paramsFromHeaders(av1.video, av1.audio, 30)).toMatchObject({
      codec: 'av1',
      width: 426,
      height: 240,
    });
    const h264 = fixtureHeaders('h264-high-1920x1080-aac48-stereo.flv');
    const mp3 = packetFromTag('audio', 0, Buffer.from([0x2f, 0xff, 0xfb, 0x90, 0x64]));
    expect(paramsFromHeaders(h264.video, mp3, 30)).toBeUndefined();
  });

  it('is undefined for an odd size libx264 cannot encode in 4:2:0', () => {
    const odd = fixtureHeaders('h264-high444-855x481.flv');
    const audio = fixtureHeaders('h264-high-1920x1080-aac48-stereo.flv').audio;
    expect(paramsFromHeaders(odd.video, audio, 30)).toBeUndefined();
  });

  it('is undefined for a garbled header instead of throwing', () => {
    const audio = fixtureHeaders('h264-high-1920x1080-aac48-stereo.flv').audio;
    const garbled: MediaPacket = {
      kind: 'video',
      dts: 0,
      payload: Buffer.from([0x17, 0, 0, 0, 0, 1]),
      keyframe: false,
      header: true,
    };
    expect(paramsFromHeaders(garbled, audio, 30)).toBeUndefined();
  });
});
