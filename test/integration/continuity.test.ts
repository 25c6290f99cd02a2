/**
 * The product's promise, with real peers: one scripted session in which the publisher is killed, a
 * new one stalls (SIGSTOP) and resumes, a third takes over and then stops cleanly. Three platforms (an
 * ffmpeg receiver, nginx-rtmp recording, RTMPS via stunnel) must see ONE connection each, a timeline
 * that never goes back, one frame size throughout, audio throughout, and a clean decode.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createDialer } from '../../src/shared/dial.js';
import { listenReceiver, publishTestStream, type Publisher } from '../helpers/ffmpeg.js';
import { expectTestStreamIntact } from '../helpers/program-checks.js';
import { startNginxRtmp } from '../helpers/nginx-rtmp.js';
import { startTlsTerminator } from '../helpers/tls-terminator.js';
import { missingPeers } from '../helpers/programs.js';
import { waitFor } from '../helpers/process.js';
import { makeTempDir } from '../helpers/tmp.js';
import { mainChannel, outputsByName, startTestServer, waitForSource } from '../helpers/server.js';

const missing = missingPeers('ffmpeg', 'ffprobe', 'nginx', 'stunnel', 'openssl');

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.skipIf(missing !== '')(`continuity ${missing}`, () => {
  it('keeps every platform on one connection through a kill, a stall, a takeover and a clean stop', async () => {
    const nginx = await startNginxRtmp({
      apps: [
        { name: 'live', record: true },
        { name: 'tls', record: true },
      ],
    });
    const tls = await startTlsTerminator({ connectPort: nginx.port });
    const receiverFile = path.join(makeTempDir('receiver'), 'got.flv');
    const receiver = await listenReceiver({ outFile: receiverFile });
    const test = await startTestServer({
      start: {
        output: { dial: createDialer({ ca: readFileSync(tls.caFile) }) },
        continuity: {
          stallTimeoutMs: 1500,
          cleanStopAction: 'fallback-then-end',
          cleanStopGraceMs: 3000,
          fallbackTimeoutMs: 60_000,
        },
      },
    });
    for (const platform of [
      { name: 'receiver', url: `rtmp://127.0.0.1:${receiver.port}/live`, streamKey: 'key' },
      { name: 'nginx', url: `rtmp://127.0.0.1:${nginx.port}/live`, streamKey: 'nginx-key-0001' },
      { name: 'rtmps', url: `rtmps://localhost:${tls.port}/tls`, streamKey: 'tls-key-0002' },
    ]) {
      expect((await test.api('POST', '/api/platforms', platform)).status).toBe(201);
    }
    const url = `${test.ingestBase}/${test.ingestKey}`;
    const publish = (): Publisher => publishTestStream({ url, seconds: 120 });

    const first = publish();
    await waitFor(async () => [...(await outputsByName(test)).values()].every((o) => o.state === 'live'), {
      what: 'every platform live',
      timeoutMs: 20_000,
    });
    await waitForSource(test, 'live');
    await sleep(3000);

    // 1. The network dies: TCP drops with no FCUnpublish.
    await first.kill();
    await waitForSource(test, 'fallback', 'publisher-dropped');
    await sleep(3000);
    const second = publish();
    await waitForSource(test, 'live', 'publisher-returned');
    await sleep(3000);

    // 2. The network stalls: the connection stays open, nothing arrives.
    second.pause();
    await waitForSource(test, 'fallback', 'publisher-stalled');
    await sleep(2000);
    second.resume();
    await waitForSource(test, 'live', 'publisher-returned');
    await sleep(3000);

    // 3. OBS reconnects while the old session is still there: the new one takes over.
    const third = publish();
    expect((await second.waitForExit(15_000)).code).not.toBe(0);
    await sleep(3000);
    expect((await mainChannel(test)).source).toBe('live');

    // 4. Stop Streaming: fallback for the grace period, then the broadcast ends everywhere.
    await third.stop();
    await waitForSource(test, 'fallback', 'clean-stop');
    await waitFor(async () => !(await mainChannel(test)).onAir, {
      what: 'off air after the grace',
      timeoutMs: 15_000,
    });
    await receiver.waitForExit(15_000);
    await nginx.stop();
    await tls.stop();

    for (const output of (await outputsByName(test)).values()) expect(output.reconnects, output.name).toBe(0);
    expect(nginx.recordings('live'), 'one nginx connection for the whole session').toHaveLength(1);
    expect(nginx.recordings('tls'), 'one RTMPS connection for the whole session').toHaveLength(1);
    for (const file of [nginx.recordings('live')[0]!, nginx.recordings('tls')[0]!, receiverFile]) {
      // The session lasted ~25 s; every switch was covered: no hole in video or audio longer than
      // the switch itself (drop detection is immediate, the stall timeout is 1.5 s).
      await expectTestStreamIntact(file, 1800, ({ video }) => {
        expect(video.lastDtsMs - video.firstDtsMs).toBeGreaterThan(20_000);
      });
    }
  });
});
