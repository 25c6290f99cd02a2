import { PassThrough, type Duplex } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { Program } from '../../../src/channel/program.js';
import { Output } from '../../../src/relay/output.js';
import {
  acceptedAudioCodecs,
  audioCodecRefusal,
  acceptedCodecs,
  codecRefusal,
  findPreset,
  platformPresets,
  presetIds,
} from '../../../src/relay/presets.js';
import { publishUrl } from '../../../src/relay/publish-url.js';
import { fixtureVideoHeader } from '../../helpers/media-fixtures.js';

describe('platform presets', () => {
  it('has Twitch (RTMPS and RTMP), YouTube primary and backup, Facebook, Kick and custom', () => {
    expect(platformPresets.map((p) => p.id)).toEqual([...presetIds]);
    expect(findPreset('twitch')?.urls.map((u) => u.url)).toEqual([
      'rtmps://ingest.global-contribute.live-video.net/app',
      'rtmp://ingest.global-contribute.live-video.net/app',
    ]);
    expect(findPreset('youtube')?.urls[0]?.url).toBe('rtmps://a.rtmps.youtube.com:443/live2');
    expect(findPreset('youtube-backup')?.urls[0]?.url).toBe('rtmps://b.rtmps.youtube.com:443/live2?backup=1');
    expect(findPreset('facebook')?.urls[0]?.url).toBe('rtmps://live-api-s.facebook.com:443/rtmp/');
    expect(findPreset('kick')?.urls[0]?.url).toBe(
      'rtmps://fa723fc1b171.global-contribute.live-video.net/app',
    );
    expect(findPreset('custom')?.urls).toEqual([]);
    expect(findPreset('myspace')).toBeUndefined();
  });

  it('gives every platform preset its codecs and advice, and every URL is rtmp(s) with a host', () => {
    for (const preset of platformPresets) {
      expect(preset.videoCodecs.length, preset.id).toBeGreaterThan(0);
      expect(preset.notes.length, preset.id).toBeGreaterThan(0);
      if (preset.id !== 'custom') {
        expect(preset.keyframeIntervalSeconds, preset.id).toBe(2);
        expect(preset.maxBitrateKbps, preset.id).toBeGreaterThan(0);
        expect(preset.urls.length, preset.id).toBeGreaterThan(0);
      }
      for (const { url } of preset.urls) {
        const parsed = new URL(url);
        expect(['rtmp:', 'rtmps:']).toContain(parsed.protocol);
        expect(parsed.hostname).not.toBe('');
      }
    }
  });

  it('composes publish URLs the platforms expect (the YouTube backup query after the key)', () => {
    const url = (id: string): string => findPreset(id)?.urls[0]?.url ?? '';
    expect(publishUrl(url('youtube-backup'), 'abcd-1234')).toBe(
      'rtmps://b.rtmps.youtube.com:443/live2/abcd-1234?backup=1',
    );
    expect(publishUrl(url('facebook'), 'FB-1?s_bl=1')).toBe(
      'rtmps://live-api-s.facebook.com:443/rtmp/FB-1?s_bl=1',
    );
  });

  it('gates only what a platform refuses: H.264-only platforms, YouTube H.264/HEVC/AV1, custom anything', () => {
    expect(acceptedCodecs('twitch')).toEqual(['avc']);
    expect(acceptedCodecs('facebook')).toEqual(['avc']);
    expect(acceptedCodecs('kick')).toEqual(['avc']);
    expect(acceptedCodecs('youtube')).toEqual(['avc', 'hevc', 'av1']);
    expect(acceptedCodecs('youtube-backup')).toEqual(['avc', 'hevc', 'av1']);
    // No preset, custom, or an id a newer version stored: nothing is ever blocked by mistake.
    expect(acceptedCodecs(null)).toBeUndefined();
    expect(acceptedCodecs(undefined)).toBeUndefined();
    expect(acceptedCodecs('custom')).toBeUndefined();
    expect(acceptedCodecs('some-future-platform')).toBeUndefined();
  });

  it('says why in words', () => {
    expect(codecRefusal('Twitch', ['avc'], 'hevc')).toBe('Twitch accepts H.264 only; the stream is HEVC');
    expect(codecRefusal('YouTube', ['avc', 'hevc', 'av1'], 'vp9')).toBe(
      'YouTube accepts H.264, HEVC or AV1 only; the stream is VP9',
    );
    expect(codecRefusal('Twitch', ['avc'], 'avc')).toBeUndefined();
    expect(codecRefusal('Own server', undefined, 'av1')).toBeUndefined();
  });
});

describe('Output codec gating', () => {
  const hevc = fixtureVideoHeader('hevc-main-854x480-aac.flv');
  const avc = fixtureVideoHeader('h264-main-426x240-aac48-mono.flv');
  const outputs: Output[] = [];
  afterEach(() => {
    for (const output of outputs) output.stop(false);
    outputs.length = 0;
  });

  /** An output on a real Program whose dialer only counts (the connection never gets anywhere). */
  function gated(acceptsCodecs: readonly ('avc' | 'hevc' | 'av1')[] | undefined): {
    output: Output;
    program: Program;
    dials: () => number;
    states: string[];
  } {
    const program = new Program();
    let dials = 0;
    const output = new Output(
      {
        id: 'd1',
        name: 'Twitch',
        url: 'rtmp://127.0.0.1:1/app/key',
        enabled: true,
        acceptsCodecs,
      },
      {
        feed: program,
        dial: (): Promise<Duplex> => {
          dials++;
          return Promise.resolve(new PassThrough());
        },
      },
    );
    outputs.push(output);
    const states: string[] = [];
    output.on('state', (state) => states.push(state));
    return { output, program, dials: () => dials, states };
  }

  it('waits for the codec, refuses HEVC without connecting, and connects once H.264 comes', async () => {
    const { output, program, dials, states } = gated(['avc']);
    output.start();
    await Promise.resolve();
    // Codec not known yet: no platform is shown a stream it may have to refuse.
    expect(output.state).toBe('connecting');
    expect(dials()).toBe(0);

    program.write(hevc);
    expect(output.state).toBe('incompatible');
    expect(output.snapshot().lastError).toBe('Twitch accepts H.264 only; the stream is HEVC');
    expect(dials()).toBe(0);

    program.write({ ...avc, dts: hevc.dts + 33 });
    await new Promise((resolve) => setImmediate(resolve));
    expect(output.state).toBe('connecting');
    expect(dials()).toBe(1);

    // Back to HEVC while connecting: the dial in flight is dropped, the output holds again.
    program.write({ ...hevc, dts: hevc.dts + 66 });
    expect(output.state).toBe('incompatible');
    expect(states).toEqual(['connecting', 'incompatible', 'connecting', 'incompatible']);

    output.stop();
    expect(output.state).toBe('idle');
    program.write({ ...avc, dts: hevc.dts + 99 });
    await new Promise((resolve) => setImmediate(resolve));
    expect(dials()).toBe(1);
  });

  it('refuses at once when the program already has a refused codec', () => {
    const { output, program, dials } = gated(['avc', 'hevc', 'av1']);
    // A legacy FLV codec id (4: On2 VP6) that no platform takes any more.
    program.write({ ...avc, payload: Buffer.from([0x14, 0, 0, 0, 0]) });
    output.start();
    expect(output.state).toBe('incompatible');
    expect(output.snapshot().lastError).toBe(
      'Twitch accepts H.264, HEVC or AV1 only; the stream is an unknown codec',
    );
    expect(dials()).toBe(0);
  });

  it('refuses HEVC that old OBS (before 29.1) labelled with the H.264 codec id', () => {
    const { output, program, dials } = gated(['avc']);
    // The same hvcC record behind a legacy AVC tag header (0x17: keyframe, codec id 7; sequence header).
    const legacy = {
      ...hevc,
      payload: Buffer.concat([Buffer.from([0x17, 0, 0, 0, 0]), hevc.payload.subarray(5)]),
    };
    program.write(legacy);
    output.start();
    expect(output.state).toBe('incompatible');
    expect(output.snapshot().lastError).toBe('Twitch accepts H.264 only; the stream is HEVC');
    expect(dials()).toBe(0);
  });

  it('never gates an output without a codec list', async () => {
    const { output, program, dials } = gated(undefined);
    output.start();
    program.write(hevc);
    await new Promise((resolve) => setImmediate(resolve));
    expect(output.state).toBe('connecting');
    expect(dials()).toBe(1);
  });

  it('re-evaluates when the codec list changes on update', async () => {
    const { output, program, dials } = gated(['avc']);
    program.write(hevc);
    output.start();
    expect(output.state).toBe('incompatible');
    output.update(
      {
        id: 'd1',
        name: 'YouTube',
        url: 'rtmp://127.0.0.1:1/app/key',
        enabled: true,
        acceptsCodecs: ['avc', 'hevc'],
      },
      true,
    );
    await new Promise((resolve) => setImmediate(resolve));
    expect(output.state).toBe('connecting');
    expect(dials()).toBe(1);
  });
});

describe('audio codecs of the presets', () => {
  it('gates Twitch, Facebook and Kick to AAC, YouTube to AAC or MP3, and never a custom platform', () => {
    expect(acceptedAudioCodecs('twitch')).toEqual(['aac']);
    expect(acceptedAudioCodecs('facebook')).toEqual(['aac']);
    expect(acceptedAudioCodecs('kick')).toEqual(['aac']);
    expect(acceptedAudioCodecs('youtube')).toEqual(['aac', 'mp3']);
    expect(acceptedAudioCodecs('youtube-backup')).toEqual(['aac', 'mp3']);
    expect(acceptedAudioCodecs('custom')).toBeUndefined();
    expect(acceptedAudioCodecs(null)).toBeUndefined();
  });

  it('says why in words', () => {
    expect(audioCodecRefusal('Twitch', ['aac'], 'opus')).toBe(
      "Twitch accepts AAC audio only; the stream's audio is Opus",
    );
    expect(audioCodecRefusal('YouTube', ['aac', 'mp3'], 'flac')).toBe(
      "YouTube accepts AAC or MP3 audio only; the stream's audio is FLAC",
    );
    expect(audioCodecRefusal('Twitch', ['aac'], 'aac')).toBeUndefined();
    expect(audioCodecRefusal('Own', undefined, 'ac3')).toBeUndefined();
  });
});
