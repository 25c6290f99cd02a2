/** `restream fallback FILE --to URL`: a clip, conformed and looped to a real receiving platform. */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runStandaloneFallback } from '../../src/engine/standalone-fallback.js';
import { silentLogger } from '../../src/shared/logger.js';
import { listenReceiver } from '../helpers/ffmpeg.js';
import { checkTimeline, decodeErrors, probePackets, probeStreams } from '../helpers/ffprobe.js';
import { spawnPeer, waitFor } from '../helpers/process.js';
import { missingPeers, requireProgram } from '../helpers/programs.js';
import { makeTempDir } from '../helpers/tmp.js';

const missing = missingPeers('ffmpeg', 'ffprobe');

describe.skipIf(missing !== '')(`restream fallback ${missing}`, () => {
  it('conforms a 3 s clip and loops it to a platform with one timeline', async () => {
    const dir = makeTempDir('standalone');
    const clip = path.join(dir, 'clip.mp4');
    const make = spawnPeer('ffmpeg-clip', requireProgram('ffmpeg', 'ffmpeg'), [
      '-hide_banner',
      '-nostdin',
      '-v',
      'error',
      '-f',
      'lavfi',
      '-i',
      'testsrc2=size=426x240:rate=25',
      '-f',
      'lavfi',
      '-i',
      'sine=frequency=300:sample_rate=44100',
      '-t',
      '3',
      '-c:v',
      'libx264',
      '-c:a',
      'aac',
      '-y',
      clip,
    ]);
    expect((await make.exited).code).toBe(0);
    const file = path.join(dir, 'got.flv');
    const receiver = await listenReceiver({ outFile: file });
    const running = await runStandaloneFallback(clip, [receiver.url], { logger: silentLogger });
    await waitFor(() => running.outputs[0]!.state === 'live', { what: 'the output live', timeoutMs: 20_000 });
    await new Promise((resolve) => setTimeout(resolve, 8000));
    running.stop();
    await receiver.waitForExit(15_000);

    const streams = await probeStreams(file);
    expect(streams.video).toMatchObject({ codec: 'h264', width: 426, height: 240 });
    expect(streams.audio).toMatchObject({ codec: 'aac', sampleRate: 48000, channels: 2 });
    const packets = await probePackets(file);
    const video = checkTimeline(packets.video);
    // More than two loops of a 3 s clip, on one monotonic timeline at the clip's 25 fps.
    expect(video.monotonic).toBe(true);
    expect(video.lastDtsMs - video.firstDtsMs).toBeGreaterThan(6500);
    expect(video.maxGapMs).toBeLessThan(100);
    expect(checkTimeline(packets.audio).monotonic).toBe(true);
    expect(await decodeErrors(file)).toBe('');
  });
});
