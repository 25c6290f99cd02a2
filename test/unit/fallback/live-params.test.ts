import { describe, expect, it } from 'vitest';
import { LiveParams, snapFps } from '../../../src/fallback/live-params.js';
import type { MediaPacket } from '../../../src/media/packet.js';
import type { RenditionParams } from '../../../src/fallback/params.js';
import { encodeMetadata } from '../../../src/media/metadata.js';
import { fixtureHeaders } from '../../helpers/media-fixtures.js';

const frame = (dts: number): MediaPacket => ({
  kind: 'video',
  dts,
  payload: Buffer.from([0x27, 1, 0, 0, 0]),
  keyframe: false,
  header: false,
});
const audioFrame = (dts: number): MediaPacket => ({
  kind: 'audio',
  dts,
  payload: Buffer.from([0xaf, 1, 0]),
  keyframe: false,
  header: false,
});

/** Feeds `seconds` of video at `fps` (ms timestamps, as RTMP has them) from `startMs`; returns what was learnt. */
function feed(live: LiveParams, fps: number, seconds: number, startMs = 0): RenditionParams[] {
  const learnt: RenditionParams[] = [];
  for (let n = 0; n < fps * seconds; n++) {
    const p = live.observe(frame(startMs + Math.round((n * 1000) / fps)));
    if (p) learnt.push(p);
  }
  return learnt;
}

describe('LiveParams', () => {
  it('learns size, profile and audio from the headers and the frame rate from timestamps, without metadata', () => {
    const h = fixtureHeaders('h264-baseline-854x480-aac44-stereo.flv');
    const live = new LiveParams();
    expect(live.observe({ ...h.video!, dts: 0 })).toBeUndefined();
    expect(live.observe({ ...h.audio!, dts: 0 })).toBeUndefined(); // no frame rate yet
    const learnt = feed(live, 25, 3);
    expect(learnt).toHaveLength(1); // once, within the first half second, and not again
    expect(learnt[0]).toMatchObject({
      codec: 'h264',
      width: 854,
      height: 480,
      profile: 'baseline',
      fps: 25,
      sampleRate: 44100,
      channels: 2,
    });
  });

  it('tells 29.97 from 30 once it has two seconds of frames, and changes its mind at most once', () => {
    const h = fixtureHeaders('h264-high-1920x1080-aac48-stereo.flv');
    const live = new LiveParams();
    live.observe(h.video!);
    live.observe(h.audio!);
    const learnt = feed(live, 30000 / 1001, 6);
    expect(learnt.length).toBeLessThanOrEqual(2);
    expect(learnt.at(-1)?.fps).toBe(29.97);
    expect(feed(new LiveParams(), 60, 1)).toEqual([]); // no headers: nothing to make a rendition for
  });

  it('re-learns when the stream changes: new size, new rate after a clock restart', () => {
    const hd = fixtureHeaders('h264-high-1920x1080-aac48-stereo.flv');
    const sd = fixtureHeaders('h264-main-426x240-aac48-mono.flv');
    const live = new LiveParams();
    live.observe(hd.video!);
    live.observe(hd.audio!);
    expect(feed(live, 60, 3).at(-1)).toMatchObject({ width: 1920, height: 1080, fps: 60 });
    expect(live.observe({ ...sd.video!, dts: 3000 })).toMatchObject({ width: 426, height: 240, fps: 60 });
    // The encoder's clock restarts at 0, now at 25 fps.
    expect(feed(live, 25, 3, 0).at(-1)).toMatchObject({ width: 426, fps: 25 });
  });

  it('keeps one rate for a variable-rate encoder, and follows a real change of rate', () => {
    const h = fixtureHeaders('h264-baseline-854x480-aac44-stereo.flv');
    const live = new LiveParams();
    live.observe(h.video!);
    live.observe(h.audio!);
    // A phone's capture: 30-40 ms between frames (about 28.6 fps), never quite the same rate twice.
    let seed = 7;
    const jitter = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) % 11) + 30;
    const learnt: RenditionParams[] = [];
    let dts = 0;
    for (let n = 0; n < 30 * 60; n++) {
      const p = live.observe(frame((dts += jitter())));
      if (p) learnt.push(p);
    }
    expect(learnt.length).toBeGreaterThanOrEqual(1);
    expect(learnt.length).toBeLessThanOrEqual(2); // a first estimate and its refinement, not one per wobble
    expect(learnt.at(-1)!.fps).toBeGreaterThan(26);
    expect(learnt.at(-1)!.fps).toBeLessThan(31);
    // The phone drops to 15 fps in low light: a real change, followed.
    expect(feed(live, 15, 12, dts + 67).at(-1)?.fps).toBe(15);
  });

  it('takes the fallback defaults for a track the stream does not have', () => {
    const h = fixtureHeaders('h264-baseline-854x480-aac44-stereo.flv');
    const audioOnly = new LiveParams();
    audioOnly.observe(h.audio!);
    let learnt: RenditionParams | undefined;
    for (let t = 0; t <= 2500 && !learnt; t += 23) learnt = audioOnly.observe(audioFrame(t));
    expect(learnt).toMatchObject({ codec: 'h264', width: 1280, height: 720, sampleRate: 44100, channels: 2 });

    const videoOnly = new LiveParams();
    videoOnly.observe(h.video!);
    const v = feed(videoOnly, 25, 3);
    expect(v).toHaveLength(1);
    expect(v[0]).toMatchObject({ width: 854, fps: 25, sampleRate: 48000, channels: 2 });
  });

  it('snaps measured rates to the nominal ones encoders use', () => {
    expect(snapFps(29.968)).toBe(29.97);
    expect(snapFps(59.9)).toBe(59.94);
    expect(snapFps(25.04)).toBe(25);
    expect(snapFps(27.3)).toBe(27.3);
  });
});

describe('LiveParams with onMetaData', () => {
  it('has the params at once from the metadata framerate, and the measurement takes over when it differs', () => {
    const h = fixtureHeaders('h264-baseline-854x480-aac44-stereo.flv');
    const live = new LiveParams();
    live.observe(h.video!);
    live.observe(h.audio!);
    const metadata = {
      kind: 'data',
      dts: 0,
      payload: encodeMetadata({ framerate: 30 }),
      keyframe: false,
      header: true,
    } as const;
    expect(live.observe(metadata)).toMatchObject({ fps: 30, width: 854 });
    expect(feed(live, 30, 3)).toEqual([]); // the claim was true: nothing new to make
    const lying = new LiveParams();
    lying.observe(h.video!);
    lying.observe(h.audio!);
    lying.observe(metadata);
    expect(feed(lying, 25, 3).map((p) => p.fps)).toEqual([25]);
  });
});
