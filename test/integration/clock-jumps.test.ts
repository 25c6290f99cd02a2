/**
 * An encoder clock that restarts on the same connection (hardware and mobile encoders on an input
 * change; a pulled stream whose upstream publisher restarted). The platforms must get the stream on
 * with one timeline: every restart re-anchored at its keyframe, no hole, nearly every frame sent.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { publishWithClockResets } from '../helpers/clock-reset-publisher.js';
import { listenReceiver, publishTestStream } from '../helpers/ffmpeg.js';
import { checkTimeline, decodeErrors, largestGap, probePackets, probeStreams } from '../helpers/ffprobe.js';
import { expectTestStreamIntact } from '../helpers/program-checks.js';
import { startNginxRtmp } from '../helpers/nginx-rtmp.js';
import { waitFor } from '../helpers/process.js';
import { missingPeers } from '../helpers/programs.js';
import { makeTempDir } from '../helpers/tmp.js';
import { addReceiverPlatform, mainChannel, sampleMainChannel, startTestServer } from '../helpers/server.js';

const missing = missingPeers('ffmpeg', 'ffprobe', 'nginx');

describe.skipIf(missing !== '')(`clock jumps ${missing}`, () => {
  it('keeps a source whose clock restarts from 0 every 10 s on air, on one timeline, without holes', async () => {
    const nginx = await startNginxRtmp({ apps: [{ name: 'live', record: true }] });
    const receiverFile = path.join(makeTempDir('receiver'), 'got.flv');
    const receiver = await listenReceiver({ outFile: receiverFile });
    const test = await startTestServer({
      start: { continuity: { stallTimeoutMs: 2000, cleanStopAction: 'end' } },
    });
    for (const platform of [
      { name: 'receiver', url: `rtmp://127.0.0.1:${receiver.port}/live`, streamKey: 'key' },
      { name: 'nginx', url: `rtmp://127.0.0.1:${nginx.port}/live`, streamKey: 'nginx-key-0001' },
    ]) {
      expect((await test.api('POST', '/api/platforms', platform)).status).toBe(201);
    }
    const publisher = publishWithClockResets({
      url: `${test.ingestBase}/${test.ingestKey}`,
      periodMs: 10_000,
      periods: 3,
    });
    const stopWatching = sampleMainChannel(test, (c) => `${c.source ?? 'none'}:${c.reason ?? ''}`);
    await publisher.done;
    const sources = stopWatching();
    await receiver.waitForExit(20_000);
    await waitFor(async () => (await mainChannel(test)).mode === 'off', {
      what: 'off air',
      timeoutMs: 10_000,
    });
    await nginx.stop();

    // Never a fallback: the stream was there all along, only its clock restarted.
    expect([...sources].filter((s) => s.startsWith('fallback'))).toEqual([]);
    const sent = publisher.videoFramesSent;
    expect(sent).toBeGreaterThan(850);
    for (const file of [receiverFile, nginx.recordings('live')[0]!]) {
      // At least 85 % of the frames sent, and no hole over a second in either track.
      await expectTestStreamIntact(file, 1000, ({ video }) => {
        expect(video.count, `${file}: ${video.count} of ${sent} frames`).toBeGreaterThanOrEqual(sent * 0.85);
      });
    }
  });
});

describe.skipIf(missing !== '')(`pulled stream restarts ${missing}`, () => {
  it('keeps a pulled stream on one timeline when its upstream publisher restarts', async () => {
    const receiverFile = path.join(makeTempDir('receiver'), 'got.flv');
    const receiver = await listenReceiver({ outFile: receiverFile });
    const test = await startTestServer({
      env: { HOOK_SECRET: 'hook-secret-3' },
      start: { continuity: { stallTimeoutMs: 2000, cleanStopAction: 'end' } },
    });
    await addReceiverPlatform(test, receiver.port);
    // Only on_publish, as many setups have it: the upstream's restart reaches us on the pull itself.
    const nginx = await startNginxRtmp({
      apps: [{ name: 'live', onPublish: `${test.httpBase}/api/on_publish?secret=hook-secret-3` }],
    });
    const upstream = nginx.url('live', test.ingestKey);
    const started = Date.now();
    const stopWatching = sampleMainChannel(test, (c) => c.source ?? 'none');
    const first = publishTestStream({ url: upstream, seconds: 60 });
    await waitFor(async () => (await mainChannel(test)).source === 'live', {
      what: 'the pulled stream on air',
      timeoutMs: 20_000,
    });
    await new Promise((resolve) => setTimeout(resolve, 6000));
    // The upstream encoder restarts: its new clock starts from 0 again.
    await first.kill();
    const second = publishTestStream({ url: upstream, seconds: 8 });
    expect((await second.waitForExit(30_000)).code).toBe(0);
    const elapsedMs = Date.now() - started;
    const sources = stopWatching();
    const { body } = await test.api<{ channels: { id: string }[] }>('GET', '/api/status');
    await test.api('POST', `/api/channels/${body.channels[0]!.id}/actions`, { action: 'end' });
    await receiver.waitForExit(20_000);
    await nginx.stop();

    const streams = await probeStreams(receiverFile);
    expect(streams.video).toMatchObject({ codec: 'h264', width: 640, height: 360 });
    expect(streams.audio).toMatchObject({ codec: 'aac', sampleRate: 48000, channels: 2 });
    const packets = await probePackets(receiverFile);
    const video = checkTimeline(packets.video);
    const audio = checkTimeline(packets.audio);
    expect(video.monotonic, `video DTS back at ${video.backwardsAt}`).toBe(true);
    expect(audio.monotonic, `audio DTS back at ${audio.backwardsAt}`).toBe(true);
    // The restart costs what the new encoder takes to start, not a reconnect and a wait for a keyframe.
    expect(largestGap(packets.video).gapMs).toBeLessThan(1000);
    expect(largestGap(packets.audio).gapMs).toBeLessThan(1000);
    expect(sources).not.toContain('fallback');
    expect(video.lastDtsMs - video.firstDtsMs).toBeGreaterThan(elapsedMs - 6000);
    expect(await decodeErrors(receiverFile)).toBe('');
  });
});
