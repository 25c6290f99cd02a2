/**
 * A streamer's fallback clip, end to end through the real server: uploaded over HTTP, checked, conformed
 * to the live parameters in the background, and played to a platform when OBS drops. A bad upload is
 * refused and the good fallback stays.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { listenReceiver, publishTestStream } from '../helpers/ffmpeg.js';
import { checkTimeline, frameSizes, probePackets } from '../helpers/ffprobe.js';
import { spawnPeer, waitFor } from '../helpers/process.js';
import { missingPeers, requireProgram } from '../helpers/programs.js';
import { makeTempDir } from '../helpers/tmp.js';
import { uploadFallback } from '../helpers/fallback-upload.js';
import { addReceiverPlatform, startTestServer } from '../helpers/server.js';

const missing = missingPeers('ffmpeg', 'ffprobe');

interface Job {
  id: string;
  state: string;
  percent: number;
  error: string | null;
}

async function makeClip(file: string, args: string[]): Promise<void> {
  const ffmpeg = spawnPeer('ffmpeg-clip', requireProgram('ffmpeg', 'ffmpeg'), [
    '-hide_banner',
    '-nostdin',
    '-v',
    'error',
    ...args,
    '-y',
    file,
  ]);
  expect((await ffmpeg.exited).code).toBe(0);
}

describe.skipIf(missing !== '')(`fallback upload ${missing}`, () => {
  it('conforms an uploaded 4:3 clip without audio to the live parameters and plays it when OBS drops', async () => {
    const dir = makeTempDir('upload');
    const clip = path.join(dir, 'brb.mp4');
    // 4:3, 25 fps, no audio: everything about it differs from the live stream (640x360, 30 fps, AAC).
    await makeClip(clip, [
      '-f',
      'lavfi',
      '-i',
      'testsrc=size=320x240:rate=25',
      '-t',
      '4',
      '-c:v',
      'libx264',
      '-pix_fmt',
      'yuv420p',
    ]);
    const recording = path.join(dir, 'got.flv');
    const receiver = await listenReceiver({ outFile: recording });
    const test = await startTestServer({ start: { continuity: { fallbackTimeoutMs: 60_000 } } });
    await addReceiverPlatform(test, receiver.port);
    const publisher = publishTestStream({ url: `${test.ingestBase}/${test.ingestKey}`, seconds: 60 });
    await waitFor(
      async () =>
        (await test.api<{ channels: { source: string | null }[] }>('GET', '/api/status')).body.channels[0]
          ?.source === 'live',
      {
        what: 'live on air',
        timeoutMs: 20_000,
      },
    );

    // Uploaded while live: conformed to what the platforms are getting now.
    const accepted = await uploadFallback(test, clip, 'brb.mp4');
    expect(accepted.status).toBe(202);
    const jobId = accepted.body.job!.id;
    await waitFor(
      async () => (await test.api<Job>('GET', `/api/fallback/jobs/${jobId}`)).body.state === 'done',
      {
        what: 'the conform job to finish',
        timeoutMs: 60_000,
      },
    );

    // A text file is refused, and the conformed clip stays the fallback.
    const bogus = path.join(dir, 'notes.mp4');
    writeFileSync(bogus, 'this is not a video\n'.repeat(100));
    const refused = await uploadFallback(test, bogus, 'notes.mp4');
    expect(refused.status).toBe(422);
    expect(refused.body).toMatchObject({ error: 'NOT_MEDIA', field: 'file' });
    const info = await test.api<{ info: { original: { name: string } | null } }>(
      'GET',
      '/api/channels/main/fallback',
    );
    expect(info.body.info.original?.name).toBe('brb.mp4');

    await publisher.kill();
    await waitFor(
      async () => {
        const c = (
          await test.api<{ channels: { source: string | null; fallbackKind: string | null }[] }>(
            'GET',
            '/api/status',
          )
        ).body.channels[0];
        return c?.source === 'fallback' && c.fallbackKind === 'upload';
      },
      { what: 'the uploaded clip on air', timeoutMs: 10_000 },
    );
    await new Promise((resolve) => setTimeout(resolve, 5000));
    expect((await test.api('POST', '/api/channels/main/actions', { action: 'end' })).status).toBe(200);
    await receiver.waitForExit(15_000);

    // One size throughout (the 4:3 clip was padded into 640x360), audio on both sides of the switch.
    expect(await frameSizes(recording)).toEqual(['640x360']);
    const packets = await probePackets(recording);
    expect(checkTimeline(packets.video).monotonic).toBe(true);
    const audio = checkTimeline(packets.audio);
    expect(audio.monotonic).toBe(true);
    expect(audio.lastDtsMs).toBeGreaterThan(checkTimeline(packets.video).lastDtsMs - 500);
  });
});
