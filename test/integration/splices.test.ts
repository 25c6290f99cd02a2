/**
 * Splices only at pictures a decoder can start from. An open-GOP encoder (x264 open-gop: a keyframe
 * every second, but only every third one an IDR; the others are I pictures whose leading B pictures
 * reference the GOP before, and at which a new SPS cannot take effect) returns from a stall: the
 * platform (an `ffmpeg -listen` receiver) must decode what it got without a single error.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { listenReceiver, publishTestStream } from '../helpers/ffmpeg.js';
import { checkTimeline, decodeErrors, probePackets } from '../helpers/ffprobe.js';
import { waitFor } from '../helpers/process.js';
import { missingPeers } from '../helpers/programs.js';
import { makeTempDir } from '../helpers/tmp.js';
import { addReceiverPlatform, mainChannel, startTestServer } from '../helpers/server.js';

const missing = missingPeers('ffmpeg', 'ffprobe');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.skipIf(missing !== '')(`splices ${missing}`, () => {
  it('returns an open-GOP encoder from a stall at a picture the platform can decode from', async () => {
    const file = path.join(makeTempDir('receiver'), 'got.flv');
    const receiver = await listenReceiver({ outFile: file });
    const test = await startTestServer({
      start: { continuity: { stallTimeoutMs: 1000, cleanStopAction: 'end', fallbackTimeoutMs: 60_000 } },
    });
    await addReceiverPlatform(test, receiver.port);
    const publisher = publishTestStream({
      url: `${test.ingestBase}/${test.ingestKey}`,
      seconds: 60,
      gopSeconds: 1,
      // A keyframe every second, an IDR only every third: the others are open-GOP I pictures.
      extraArgs: [
        '-bf',
        '2',
        '-x264-params',
        'open-gop=1:b-pyramid=0',
        '-forced-idr',
        '1',
        '-force_key_frames',
        'expr:gte(t,n_forced*3)',
      ],
    });
    await waitFor(async () => (await mainChannel(test)).source === 'live', {
      what: 'live',
      timeoutMs: 20_000,
    });
    await sleep(3000);
    publisher.pause();
    await waitFor(async () => (await mainChannel(test)).source === 'fallback', {
      what: 'fallback',
      timeoutMs: 20_000,
    });
    await sleep(1500);
    publisher.resume();
    await waitFor(async () => (await mainChannel(test)).source === 'live', {
      what: 'live again',
      timeoutMs: 20_000,
    });
    await sleep(6000);
    await publisher.stop();
    await receiver.waitForExit(20_000);
    const video = checkTimeline((await probePackets(file)).video);
    expect(video.monotonic).toBe(true);
    expect(await decodeErrors(file)).toBe('');
  });
});
