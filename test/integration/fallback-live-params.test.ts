/**
 * The fallback is made for the stream it stands in for, learnt from the stream itself (issue 11.2, 11.3):
 * an encoder that sends no onMetaData (ffmpeg -flvflags no_metadata, many hardware encoders) at 960x540
 * 25 fps 44.1 kHz drops, and the platform (an ffmpeg receiver) sees that size, rate and audio format
 * throughout, never the 1280x720 48 kHz default; an HEVC or AV1 live gets its fallback in its own codec,
 * and a fallback header never lets an H.264-only platform held `incompatible` go live.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { audioConfigOf } from '../../src/media/audio-tag.js';
import { inspectVideoTag, videoConfigOf } from '../../src/media/video-tag.js';
import { listenReceiver } from '../helpers/ffmpeg.js';
import { frameSizes, probePackets } from '../helpers/ffprobe.js';
import { publishFlvLoop } from '../helpers/flv-publisher.js';
import { startNginxRtmp } from '../helpers/nginx-rtmp.js';
import { startPacketSink } from '../helpers/packet-sink.js';
import { spawnPeer, waitFor } from '../helpers/process.js';
import { missingPeers, requireProgram } from '../helpers/programs.js';
import { addReceiverPlatform, outputsByName, startTestServer, type TestServer } from '../helpers/server.js';
import { makeTempDir } from '../helpers/tmp.js';

const run = promisify(execFile);
const missing = missingPeers('ffmpeg', 'ffprobe', 'nginx');

interface ChannelView {
  source: string | null;
  fallbackKind: string | null;
}

async function channel(test: TestServer): Promise<ChannelView | undefined> {
  return (await test.api<{ channels: ChannelView[] }>('GET', '/api/status')).body.channels[0];
}

/** The distinct audio formats (rate and channels) of the decoded audio frames of a recording. */
async function audioFormats(file: string): Promise<string[]> {
  // ffprobe 5.1 shows no sample rate per frame: ashowinfo prints each decoded frame's format.
  const { stderr } = await run(
    requireProgram('ffmpeg', 'ffmpeg'),
    ['-hide_banner', '-nostdin', '-i', file, '-map', '0:a:0', '-af', 'ashowinfo', '-f', 'null', '-'],
    { maxBuffer: 256 * 1024 * 1024 },
  );
  const formats = [...stderr.matchAll(/channels:(\d+) .*?rate:(\d+)/g)].map((m) => `${m[2]}Hz/${m[1]}ch`);
  return [...new Set(formats)];
}

/** The median step between video DTS in [fromMs, toMs): the frame interval there. */
function medianStep(dts: number[]): number {
  const steps = dts
    .slice(1)
    .map((d, i) => d - dts[i]!)
    .sort((a, b) => a - b);
  return steps[Math.floor(steps.length / 2)] ?? NaN;
}

describe.skipIf(missing !== '')(`fallback learnt from the live stream ${missing}`, () => {
  it('plays a no-metadata 960x540 25 fps 44.1 kHz stream and its fallback at that size, rate and audio format', async () => {
    const dir = makeTempDir('learnt');
    const recording = path.join(dir, 'got.flv');
    const receiver = await listenReceiver({ outFile: recording });
    const test = await startTestServer({ start: { continuity: { fallbackTimeoutMs: 60_000 } } });
    await addReceiverPlatform(test, receiver.port);
    // prettier-ignore
    const publisher = spawnPeer('ffmpeg no-metadata', requireProgram('ffmpeg', 'ffmpeg'), [
      '-hide_banner', '-nostdin', '-nostats', '-re',
      '-f', 'lavfi', '-i', 'testsrc2=size=960x540:rate=25',
      '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100',
      '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-pix_fmt', 'yuv420p',
      '-g', '50', '-keyint_min', '50', '-sc_threshold', '0', '-b:v', '800k',
      '-c:a', 'aac', '-ar', '44100', '-ac', '2',
      '-flvflags', 'no_metadata', '-t', '60',
      '-f', 'flv', `${test.ingestBase}/${test.ingestKey}`,
    ], { stopSignal: 'SIGINT' });
    await waitFor(async () => (await channel(test))?.source === 'live', {
      what: 'live on air',
      timeoutMs: 20_000,
    });
    // What the issue saw: the fallback's parameters were never learnt without metadata. Now the slate
    // for the stream's own parameters is made within seconds of it going live.
    await new Promise((resolve) => setTimeout(resolve, 6000));
    await publisher.kill();
    await waitFor(async () => (await channel(test))?.source === 'fallback', {
      what: 'the fallback on air',
      timeoutMs: 20_000,
    });
    await new Promise((resolve) => setTimeout(resolve, 5000));
    expect((await test.api('POST', '/api/channels/main/actions', { action: 'end' })).status).toBe(200);
    await receiver.waitForExit(20_000);

    expect(await frameSizes(recording)).toEqual(['960x540']);
    expect(await audioFormats(recording)).toEqual(['44100Hz/2ch']);
    const video = (await probePackets(recording)).video.map((p) => p.dtsMs);
    const lastSecond = video.filter((d) => d > video.at(-1)! - 3000);
    expect(medianStep(video.slice(0, 100))).toBe(40); // live
    expect(medianStep(lastSecond)).toBe(40); // fallback: 25 fps too
  });

  for (const [fixture, codec, width, height] of [
    ['hevc-main-854x480-aac.flv', 'hevc', 854, 480],
    ['av1-svt-426x240-mp4a.flv', 'av1', 426, 240],
  ] as const) {
    it(`gives ${codec} live a ${codec} fallback, and never releases Twitch held as incompatible`, async () => {
      const nginx = await startNginxRtmp({ apps: [{ name: 'twitch' }] });
      const sink = await startPacketSink();
      const test = await startTestServer({ start: { continuity: { fallbackTimeoutMs: 60_000 } } });
      await test.api('POST', '/api/platforms', {
        name: 'Own server',
        url: `rtmp://127.0.0.1:${sink.port}/custom`,
        streamKey: 'custom-key',
      });
      await test.api('POST', '/api/platforms', {
        preset: 'twitch',
        streamKey: 'twitch-key',
        url: `rtmp://127.0.0.1:${nginx.port}/twitch`,
      });
      const live = publishFlvLoop(`${test.ingestBase}/${test.ingestKey}`, fixture);
      await live.publishing;
      const states = new Set<string>();
      const watch = setInterval(() => {
        void outputsByName(test).then((o) => states.add(o.get('Twitch')?.state ?? 'none'));
      }, 200);
      try {
        await waitFor(async () => (await outputsByName(test)).get('Own server')?.state === 'live', {
          what: 'the custom platform live',
          timeoutMs: 20_000,
        });
        await new Promise((resolve) => setTimeout(resolve, 6000)); // params learnt, slate made
        live.stop(false); // the network dies
        await waitFor(
          async () => {
            const c = await channel(test);
            return c?.source === 'fallback' && c.fallbackKind === 'slate';
          },
          { what: 'the fallback on air', timeoutMs: 30_000 },
        );
        await new Promise((resolve) => setTimeout(resolve, 4000));
      } finally {
        clearInterval(watch);
      }
      expect((await test.api('POST', '/api/channels/main/actions', { action: 'end' })).status).toBe(200);
      expect(states.has('live')).toBe(false);
      expect(states.has('incompatible')).toBe(true);
      expect((await outputsByName(test)).get('Twitch')?.state).not.toBe('live');

      const packets = sink.packets;
      expect(sink.publishes()).toBe(1); // one broadcast through the drop
      const videoHeaders = packets
        .filter((p) => p.kind === 'video' && p.header)
        .map((p) => videoConfigOf(p.payload));
      expect(videoHeaders.length).toBeGreaterThanOrEqual(1);
      for (const config of videoHeaders) expect(config).toMatchObject({ codec, width, height });
      const frames = packets.filter((p) => p.kind === 'video' && !p.header && !p.sequenceEnd);
      expect(new Set(frames.map((p) => inspectVideoTag(p.payload).codec))).toEqual(new Set([codec]));
      const audioHeaders = packets
        .filter((p) => p.kind === 'audio' && p.header)
        .map((p) => audioConfigOf(p.payload));
      expect(new Set(audioHeaders.map((a) => `${a.codec}/${a.sampleRate}/${a.channels}`)).size).toBe(1);
      // The recording covers live and fallback: well over the 6 s of live.
      expect(frames.at(-1)!.dts - frames[0]!.dts).toBeGreaterThan(8000);
    });
  }
});
