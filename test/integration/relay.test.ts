/**
 * The restream core with real peers: ffmpeg publishes as OBS would; an `ffmpeg -listen` receiver, an
 * nginx-rtmp application and an RTMPS destination (stunnel in front of nginx-rtmp) each receive the
 * stream; ffprobe judges what every platform got.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PassThrough } from 'node:stream';
import { createDialer } from '../../src/shared/dial.js';
import { createLogger } from '../../src/shared/logger.js';
import { publishTestStream, listenReceiver } from '../helpers/ffmpeg.js';
import { checkTimeline, decodeErrors, probePackets, probeStreams } from '../helpers/ffprobe.js';
import { startNginxRtmp } from '../helpers/nginx-rtmp.js';
import { startTlsTerminator } from '../helpers/tls-terminator.js';
import { missingPeers } from '../helpers/programs.js';
import { waitFor } from '../helpers/process.js';
import { makeTempDir } from '../helpers/tmp.js';
import { outputsByName, startTestServer } from '../helpers/server.js';

const missing = missingPeers('ffmpeg', 'ffprobe', 'nginx', 'stunnel', 'openssl');

/** Checks one recording as a platform's engineer would. */
async function expectGoodRecording(
  file: string,
  expected: { width: number; height: number; minVideoFrames: number },
): Promise<void> {
  const streams = await probeStreams(file);
  expect(streams.video).toMatchObject({ codec: 'h264', width: expected.width, height: expected.height });
  expect(streams.audio).toMatchObject({ codec: 'aac', sampleRate: 48000, channels: 2 });
  const packets = await probePackets(file);
  const video = checkTimeline(packets.video);
  const audio = checkTimeline(packets.audio);
  expect(video.monotonic, `video DTS went backwards at packet ${video.backwardsAt}`).toBe(true);
  expect(audio.monotonic, `audio DTS went backwards at packet ${audio.backwardsAt}`).toBe(true);
  expect(video.count).toBeGreaterThanOrEqual(expected.minVideoFrames);
  expect(packets.video[0]?.keyframe, 'a recording must start at a keyframe').toBe(true);
  expect(video.maxGapMs).toBeLessThan(200);
  expect(await decodeErrors(file)).toBe('');
}

describe.skipIf(missing !== '')(`relay to real platforms ${missing}`, () => {
  it('fans one OBS-like stream out to an ffmpeg receiver, nginx-rtmp and an RTMPS destination', async () => {
    const nginx = await startNginxRtmp({
      apps: [
        { name: 'live', record: true },
        { name: 'tls', record: true },
      ],
    });
    const tls = await startTlsTerminator({ connectPort: nginx.port });
    const receiverFile = path.join(makeTempDir('receiver'), 'got.flv');
    const receiver = await listenReceiver({ outFile: receiverFile, key: 'receiver-key' });
    const logStream = new PassThrough();
    const logLines: string[] = [];
    logStream.on('data', (chunk: Buffer) => logLines.push(chunk.toString('utf8')));
    const test = await startTestServer({
      start: {
        logger: createLogger('trace', logStream),
        output: { dial: createDialer({ ca: readFileSync(tls.caFile) }) },
      },
    });

    const platforms = [
      { name: 'ffmpeg receiver', url: `rtmp://127.0.0.1:${receiver.port}/live`, streamKey: 'receiver-key' },
      { name: 'nginx', url: `rtmp://127.0.0.1:${nginx.port}/live`, streamKey: 'nginx-key-0001' },
      { name: 'rtmps', url: `rtmps://localhost:${tls.port}/tls`, streamKey: 'secret-tls-key-42' },
    ];
    for (const platform of platforms) {
      const created = await test.api('POST', '/api/platforms', platform);
      expect(created.status).toBe(201);
      expect(created.text).not.toContain(platform.streamKey);
    }

    const publisher = publishTestStream({ url: `${test.ingestBase}/${test.ingestKey}`, seconds: 8 });
    await waitFor(async () => [...(await outputsByName(test)).values()].every((o) => o.state === 'live'), {
      what: 'every output live',
      timeoutMs: 15_000,
      peer: publisher.process,
    });
    const status = await test.api<{
      channels: { onAir: boolean; input: { codec: string; width: number } | null }[];
    }>('GET', '/api/status');
    expect(status.body.channels[0]).toMatchObject({ onAir: true, input: { codec: 'avc', width: 640 } });

    // ffmpeg's -t ends with FCUnpublish/deleteStream: a clean stop ends the broadcast everywhere.
    expect((await publisher.waitForExit(30_000)).code).toBe(0);
    await receiver.waitForExit(15_000);
    await waitFor(async () => [...(await outputsByName(test)).values()].every((o) => o.state === 'idle'), {
      what: 'every output idle after the clean stop',
    });
    await nginx.stop();

    const sent = 8 * 30;
    await expectGoodRecording(receiverFile, { width: 640, height: 360, minVideoFrames: sent - 15 });
    const [nginxFile] = nginx.recordings('live');
    const [tlsFile] = nginx.recordings('tls');
    expect(nginx.recordings('live')).toHaveLength(1);
    expect(nginx.recordings('tls')).toHaveLength(1);
    await expectGoodRecording(nginxFile!, { width: 640, height: 360, minVideoFrames: sent - 15 });
    await expectGoodRecording(tlsFile!, { width: 640, height: 360, minVideoFrames: sent - 15 });
    expect(path.basename(tlsFile!)).toContain('secret-tls-key-42');
    await tls.stop();

    // Everything was logged at trace level, and still no platform key (nor the ingest key) is in it.
    const logs = logLines.join('');
    expect(logs).toContain('live');
    for (const platform of platforms) expect(logs).not.toContain(platform.streamKey);
    expect(logs).not.toContain(test.ingestKey);
  });
});
