import { describe, expect, it } from 'vitest';
import type { MediaPacket } from '../../../src/media/packet.js';
import { packetFromTag } from '../../../src/media/packet-from-tag.js';
import { defaultParams, paramsFromHeaders, renditionKey } from '../../../src/fallback/params.js';
import { fixtureHeaders } from '../../helpers/media-fixtures.js';

describe('renditionKey', () => {
  it('names every parameter, filesystem-safe', () => {
    expect(renditionKey(defaultParams)).toBe('h264-high-1280x720-30fps-48000hz-2ch');
    const key = renditionKey({
      width: 854,
      height: 480,
      fps: 25,
      profile: 'baseline',
      sampleRate: 44100,
      channels: 1,
    });
    expect(key).toBe('h264-baseline-854x480-25fps-44100hz-1ch');
    expect(key).toMatch(/^[a-z0-9.-]+$/);
  });

  it('rounds fps to 3 decimals, so 30000/1001 and 29.97 differ only when they really differ', () => {
    const ntsc = { ...defaultParams, fps: 30000 / 1001 };
    expect(renditionKey(ntsc)).toBe('h264-high-1280x720-29.97fps-48000hz-2ch');
    expect(renditionKey({ ...defaultParams, fps: 29.97 })).toBe(renditionKey(ntsc));
    expect(renditionKey({ ...defaultParams, fps: 59.94 })).not.toBe(
      renditionKey({ ...defaultParams, fps: 60 }),
    );
  });

  it('changes with each parameter', () => {
    const keys = new Set([
      renditionKey(defaultParams),
      renditionKey({ ...defaultParams, width: 1920 }),
      renditionKey({ ...defaultParams, height: 1080 }),
      renditionKey({ ...defaultParams, fps: 60 }),
      renditionKey({ ...defaultParams, profile: 'main' }),
      renditionKey({ ...defaultParams, sampleRate: 44100 }),
      renditionKey({ ...defaultParams, channels: 1 }),
    ]);
    expect(keys.size).toBe(7);
  });
});

describe('defaultParams', () => {
  it('is 1280x720 at 30 fps, High, AAC 48 kHz stereo', () => {
    expect(defaultParams).toEqual({
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

  it('is undefined for codecs other than H.264 + AAC', () => {
    const hevc = fixtureHeaders('hevc-main-854x480-aac.flv');
    expect(paramsFromHeaders(hevc.video, hevc.audio, 30)).toBeUndefined();
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
