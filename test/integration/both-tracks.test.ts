/**
 * Every platform always gets both tracks, whatever the encoder sends: a video-only encoder gets a
 * silent AAC track in the fallback's format, an audio-only one goes on air with the fallback's picture.
 * Through a drop and a return, the platform (an `ffmpeg -listen` receiver, ffprobed) must see one
 * video size, one audio format, both tracks throughout on one timeline, and no hole over a second.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { listenReceiver, publishTestStream, type TestStreamOptions } from '../helpers/ffmpeg.js';
import {
  checkTimeline,
  decodeErrors,
  frameSizes,
  largestGap,
  probePackets,
  probeStreams,
  type ProbedPacket,
} from '../helpers/ffprobe.js';
import { missingPeers } from '../helpers/programs.js';
import { makeTempDir } from '../helpers/tmp.js';
import { addReceiverPlatform, startTestServer, waitForSource } from '../helpers/server.js';

const missing = missingPeers('ffmpeg', 'ffprobe');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** How many steps over 1 s a track has. */
function holes(packets: readonly ProbedPacket[]): number {
  let count = 0;
  for (let i = 1; i < packets.length; i++) if (packets[i]!.dtsMs - packets[i - 1]!.dtsMs > 1000) count++;
  return count;
}

/** Packets per second of a track over its whole span. */
function rate(packets: readonly ProbedPacket[]): number {
  const timeline = checkTimeline(packets);
  return (timeline.count - 1) / ((timeline.lastDtsMs - timeline.firstDtsMs) / 1000);
}

/**
 * Live (4 s), a drop to the fallback (3 s), live again (4 s), a stall (the 2 s timeout, then 1 s of
 * fallback), live again (3 s), then the end: what the platform got.
 * The live stream is 1280x720 at 30 fps with 48 kHz stereo, the fallback's defaults, so this test
 * is about the tracks, not about learning the fallback's parameters.
 */
async function broadcast(live: Omit<TestStreamOptions, 'url'>): Promise<string> {
  const file = path.join(makeTempDir('receiver'), 'got.flv');
  const receiver = await listenReceiver({ outFile: file });
  const test = await startTestServer({
    start: { continuity: { stallTimeoutMs: 2000, cleanStopAction: 'end', fallbackTimeoutMs: 60_000 } },
  });
  await addReceiverPlatform(test, receiver.port);
  const url = `${test.ingestBase}/${test.ingestKey}`;
  const options = { url, seconds: 60, width: 1280, height: 720, fps: 30, ...live };
  const first = publishTestStream(options);
  await waitForSource(test, 'live', undefined, 30_000);
  await sleep(4000);
  await first.kill();
  await waitForSource(test, 'fallback', 'publisher-dropped', 30_000);
  await sleep(3000);
  const second = publishTestStream(options);
  await waitForSource(test, 'live', 'publisher-returned', 30_000);
  await sleep(4000);
  second.pause();
  await waitForSource(test, 'fallback', 'publisher-stalled', 30_000);
  await sleep(1000);
  second.resume();
  await waitForSource(test, 'live', 'publisher-returned', 30_000);
  await sleep(3000);
  await second.stop();
  await receiver.waitForExit(20_000);
  return file;
}

async function expectBothTracks(file: string): Promise<void> {
  const streams = await probeStreams(file);
  expect(streams.video).toMatchObject({ codec: 'h264', width: 1280, height: 720 });
  expect(streams.audio).toMatchObject({ codec: 'aac', sampleRate: 48000, channels: 2 });
  expect(await frameSizes(file)).toEqual(['1280x720']);
  const packets = await probePackets(file);
  for (const [name, track] of [
    ['video', packets.video],
    ['audio', packets.audio],
  ] as const) {
    const timeline = checkTimeline(track);
    expect(timeline.monotonic, `${name} DTS back at ${timeline.backwardsAt}`).toBe(true);
    const gap = largestGap(track);
    // Only a stall leaves a hole: its 2 s timeout, in the track the stalled input was sending.
    expect(gap.gapMs, `${name} gap at ${gap.atMs} ms`).toBeLessThan(2200);
    expect(holes(track), `${name} holes over 1 s`).toBeLessThanOrEqual(1);
  }
  const video = checkTimeline(packets.video);
  const audio = checkTimeline(packets.audio);
  // Both tracks span the whole broadcast (about 17 s), and run at their rates throughout.
  expect(video.lastDtsMs - video.firstDtsMs).toBeGreaterThan(14_000);
  expect(Math.abs(audio.firstDtsMs - video.firstDtsMs)).toBeLessThan(500);
  expect(Math.abs(audio.lastDtsMs - video.lastDtsMs)).toBeLessThan(500);
  expect(rate(packets.video)).toBeGreaterThan(30 * 0.85);
  expect(rate(packets.audio)).toBeGreaterThan((48000 / 1024) * 0.85);
  expect(await decodeErrors(file)).toBe('');
}

describe.skipIf(missing !== '')(`both tracks ${missing}`, () => {
  it('gives a video-only stream a silent AAC track in the fallback format, through a drop and a stall', async () => {
    await expectBothTracks(await broadcast({ audio: false }));
  });

  it('puts an audio-only stream on air with the fallback picture, through a drop and a stall', async () => {
    await expectBothTracks(await broadcast({ video: false }));
  });
});
