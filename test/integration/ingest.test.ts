/**
 * Ingest with real clients: ffmpeg publishing as OBS does, with a wrong key, with a second publisher
 * taking over, across the 0xFFFFFF ms extended-timestamp boundary, and ffmpeg playing the program back.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { listenReceiver, publishTestStream } from '../helpers/ffmpeg.js';
import { checkTimeline, probePackets, probeStreams } from '../helpers/ffprobe.js';
import { spawnPeer, waitFor } from '../helpers/process.js';
import { missingPeers, requireProgram } from '../helpers/programs.js';
import { makeTempDir } from '../helpers/tmp.js';
import { addReceiverPlatform, outputsByName, startTestServer, type TestServer } from '../helpers/server.js';

const missing = missingPeers('ffmpeg', 'ffprobe');

async function onAir(test: TestServer): Promise<boolean> {
  const { body } = await test.api<{ channels: { onAir: boolean }[] }>('GET', '/api/status');
  return body.channels[0]?.onAir ?? false;
}

describe.skipIf(missing !== '')(`ingest ${missing}`, () => {
  it('refuses a publisher with a wrong key, and the channel stays off air', async () => {
    const test = await startTestServer();
    const publisher = publishTestStream({ url: `${test.ingestBase}/not-the-key`, seconds: 5 });
    const exit = await publisher.waitForExit(15_000);
    expect(exit.code).not.toBe(0);
    expect(exit.stderr).toMatch(/Unknown stream key|BadName/);
    expect(await onAir(test)).toBe(false);
  });

  it('lets a second publisher with the right key take over at once, with one connection to each platform', async () => {
    const file = path.join(makeTempDir('receiver'), 'got.flv');
    const receiver = await listenReceiver({ outFile: file });
    const test = await startTestServer();
    await addReceiverPlatform(test, receiver.port);
    const url = `${test.ingestBase}/${test.ingestKey}`;
    const first = publishTestStream({ url, seconds: 30 });
    await waitFor(async () => (await outputsByName(test)).get('rx')?.state === 'live', {
      what: 'rx live',
      peer: first.process,
    });
    await new Promise((resolve) => setTimeout(resolve, 3000));

    // OBS reconnecting while its old session is half-open (stopped: the socket stays open, nothing
    // flows): the new one must win at once, not be told "busy" (Node-Media-Server #381, nginx-rtmp #1152).
    first.pause();
    const second = publishTestStream({ url, seconds: 4 });
    expect((await second.waitForExit(20_000)).code).toBe(0);
    // The old session was closed by the takeover: woken, the old publisher finds its connection gone.
    first.resume();
    const firstExit = await first.waitForExit(10_000);
    expect(firstExit.code, 'the old publisher is disconnected').not.toBe(0);
    await receiver.waitForExit(15_000);

    expect((await outputsByName(test)).get('rx')?.reconnects).toBe(0);
    const video = checkTimeline((await probePackets(file)).video);
    expect(video.monotonic, `DTS went backwards at ${video.backwardsAt}`).toBe(true);
    // About 3 s of the first publisher and 4 s of the second on one timeline, with only the switch as gap.
    expect(video.count).toBeGreaterThanOrEqual(6 * 30);
    expect(video.maxGapMs).toBeLessThan(2000);
    expect(video.lastDtsMs - video.firstDtsMs).toBeGreaterThan(6000);
  });

  it('relays timestamps across the 0xFFFFFF ms extended-timestamp boundary without a jump', async () => {
    const file = path.join(makeTempDir('receiver'), 'got.flv');
    const receiver = await listenReceiver({ outFile: file });
    const test = await startTestServer();
    await addReceiverPlatform(test, receiver.port);
    // Starts 2 s before 0xFFFFFF ms (16777.215 s) and crosses it.
    const publisher = publishTestStream({
      url: `${test.ingestBase}/${test.ingestKey}`,
      seconds: 6,
      outputTsOffsetSec: 16775.2,
    });
    expect((await publisher.waitForExit(30_000)).code).toBe(0);
    await receiver.waitForExit(15_000);
    const video = checkTimeline((await probePackets(file)).video);
    expect(video.monotonic).toBe(true);
    expect(video.count).toBeGreaterThanOrEqual(6 * 30 - 15);
    expect(video.maxGapMs).toBeLessThan(200);
    expect(video.lastDtsMs - video.firstDtsMs).toBeGreaterThan(5000);
    expect(video.lastDtsMs - video.firstDtsMs).toBeLessThan(7000);
  });

  it('plays the program back to an RTMP player with the stream key', async () => {
    const test = await startTestServer();
    const url = `${test.ingestBase}/${test.ingestKey}`;
    const publisher = publishTestStream({ url, seconds: 20 });
    await waitFor(() => onAir(test), { what: 'on air', peer: publisher.process });
    const file = path.join(makeTempDir('player'), 'played.flv');
    const player = spawnPeer('ffmpeg-player', requireProgram('ffmpeg', 'ffmpeg'), [
      '-hide_banner',
      '-nostdin',
      '-loglevel',
      'info',
      '-i',
      url,
      '-t',
      '4',
      '-c',
      'copy',
      '-y',
      file,
    ]);
    const exit = await player.exited;
    expect(exit.code, exit.stderr).toBe(0);
    const streams = await probeStreams(file);
    expect(streams.video).toMatchObject({ codec: 'h264', width: 640, height: 360 });
    expect(streams.audio).toMatchObject({ codec: 'aac', sampleRate: 48000 });
    const packets = await probePackets(file);
    expect(packets.video[0]?.keyframe).toBe(true);
    expect(checkTimeline(packets.video).count).toBeGreaterThanOrEqual(100);
    await publisher.kill();
  });
});
