/**
 * Destination supervision with real peers: a platform that refuses the key, one that is down and
 * comes up, one that stops reading (SIGSTOP), and enabling/disabling while live.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { listenReceiver, publishTestStream } from '../helpers/ffmpeg.js';
import { checkTimeline, probePackets } from '../helpers/ffprobe.js';
import { startHookServer } from '../helpers/hook-server.js';
import { startNginxRtmp } from '../helpers/nginx-rtmp.js';
import { freePort } from '../helpers/ports.js';
import { waitFor } from '../helpers/process.js';
import { missingPeers } from '../helpers/programs.js';
import { makeTempDir } from '../helpers/tmp.js';
import { outputsByName, startTestServer, type TestServer } from '../helpers/server.js';

const missing = missingPeers('ffmpeg', 'ffprobe', 'nginx');

/** Fast retries so the tests need not wait for the production backoff (1 s doubling to 60 s). */
const fastRetries = {
  backoff: { initialMs: 200, maxMs: 1000, factor: 2, jitter: 0 },
  writeStallTimeoutMs: 3000,
};

async function waitForState(
  test: TestServer,
  name: string,
  state: string,
  timeoutMs = 15_000,
): Promise<void> {
  await waitFor(async () => (await outputsByName(test)).get(name)?.state === state, {
    what: `${name} ${state}`,
    timeoutMs,
  });
}

async function addPlatform(test: TestServer, name: string, url: string, streamKey: string): Promise<string> {
  const created = await test.api<{ id: string }>('POST', '/api/platforms', { name, url, streamKey });
  expect(created.status).toBe(201);
  return created.body.id;
}

describe.skipIf(missing !== '')(`destination supervision ${missing}`, () => {
  it('stops retrying a platform that refuses the stream and says why, while the others go live', async () => {
    const hook = await startHookServer(403);
    const refusing = await startNginxRtmp({ apps: [{ name: 'live', onPublish: hook.url() }] });
    const good = await startNginxRtmp({ apps: [{ name: 'live' }] });
    const test = await startTestServer({ start: { output: fastRetries } });
    await addPlatform(test, 'refuses', `rtmp://127.0.0.1:${refusing.port}/live`, 'wrong-key-1234');
    await addPlatform(test, 'good', `rtmp://127.0.0.1:${good.port}/live`, 'right-key-5678');
    const publisher = publishTestStream({ url: `${test.ingestBase}/${test.ingestKey}`, seconds: 20 });

    await waitForState(test, 'refuses', 'failed');
    await waitForState(test, 'good', 'live');
    const refused = (await outputsByName(test)).get('refuses')!;
    expect(refused.lastError).toMatch(/Publish|refused|rejected/i);
    expect(refused.lastError).not.toContain('wrong-key-1234');
    // Refused three times in a row, then it stopped asking.
    expect(hook.requests.map((r) => r.form.name)).toEqual([
      'wrong-key-1234',
      'wrong-key-1234',
      'wrong-key-1234',
    ]);
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(hook.requests).toHaveLength(3);
    expect((await outputsByName(test)).get('refuses')?.state).toBe('failed');
    await publisher.kill();
  });

  it('retries a platform that is down and goes live when it comes up', async () => {
    const port = await freePort();
    const test = await startTestServer({ start: { output: fastRetries } });
    await addPlatform(test, 'late', `rtmp://127.0.0.1:${port}/live`, 'late-key-0001');
    const publisher = publishTestStream({ url: `${test.ingestBase}/${test.ingestKey}`, seconds: 30 });
    await waitFor(async () => ((await outputsByName(test)).get('late')?.reconnects ?? 0) >= 2, {
      what: 'two retries',
    });
    expect((await outputsByName(test)).get('late')?.state).toBe('retrying');
    expect((await outputsByName(test)).get('late')?.lastError).toMatch(/ECONNREFUSED/);

    const nginx = await startNginxRtmp({ apps: [{ name: 'live', record: true }], port });
    await waitForState(test, 'late', 'live');
    await waitFor(() => nginx.recordings('live').length === 1, { what: 'a recording at the late platform' });
    await publisher.kill();
  });

  it('keeps the other platforms whole when one stops reading (SIGSTOP), and reconnects it after', async () => {
    const stopped = await startNginxRtmp({ apps: [{ name: 'live' }] });
    const receiverFile = path.join(makeTempDir('receiver'), 'got.flv');
    const receiver = await listenReceiver({ outFile: receiverFile, key: 'healthy' });
    const test = await startTestServer({ start: { output: fastRetries } });
    await addPlatform(test, 'stopped', `rtmp://127.0.0.1:${stopped.port}/live`, 'stopped-key-1');
    await addPlatform(test, 'healthy', `rtmp://127.0.0.1:${receiver.port}/live`, 'healthy');
    const seconds = 26;
    const publisher = publishTestStream({
      url: `${test.ingestBase}/${test.ingestKey}`,
      seconds,
      videoBitrateKbps: 3000,
    });
    await waitForState(test, 'stopped', 'live');
    stopped.pause();
    // It fills the loopback TCP buffers (~10 s here), then takes no data for the write-stall timeout (3 s
    // in this test) and is reconnected.
    await waitFor(async () => ((await outputsByName(test)).get('stopped')?.reconnects ?? 0) >= 1, {
      what: 'the stopped platform to be given up and retried',
      timeoutMs: 30_000,
    });
    stopped.resume();
    await waitForState(test, 'stopped', 'live');
    expect((await publisher.waitForExit(30_000)).code).toBe(0);
    await receiver.waitForExit(15_000);

    const healthy = (await outputsByName(test)).get('healthy')!;
    expect(healthy.droppedFrames).toBe(0);
    expect(healthy.reconnects).toBe(0);
    const packets = await probePackets(receiverFile);
    const video = checkTimeline(packets.video);
    expect(video.monotonic).toBe(true);
    expect(video.count).toBeGreaterThanOrEqual(seconds * 30 - 15);
    expect(video.maxGapMs).toBeLessThan(200);
  });

  it('applies enable, disable, edit and delete while live without touching the other platforms', async () => {
    const nginx = await startNginxRtmp({ apps: [{ name: 'live', record: true }] });
    const test = await startTestServer({ start: { output: fastRetries } });
    const a = await addPlatform(test, 'a', `rtmp://127.0.0.1:${nginx.port}/live`, 'key-a-0001');
    await addPlatform(test, 'b', `rtmp://127.0.0.1:${nginx.port}/live`, 'key-b-0002');
    const publisher = publishTestStream({ url: `${test.ingestBase}/${test.ingestKey}`, seconds: 40 });
    await waitForState(test, 'a', 'live');
    await waitForState(test, 'b', 'live');

    expect((await test.api('PUT', `/api/platforms/${a}`, { enabled: false })).status).toBe(200);
    await waitForState(test, 'a', 'disabled');
    expect((await test.api('PUT', `/api/platforms/${a}`, { enabled: true })).status).toBe(200);
    await waitForState(test, 'a', 'live');
    expect((await test.api('PUT', `/api/platforms/${a}`, { streamKey: 'key-a-0003' })).status).toBe(200);
    await waitFor(() => nginx.recordings('live').some((f) => f.includes('key-a-0003')), {
      what: 'the new key to publish',
    });
    const c = await addPlatform(test, 'c', `rtmp://127.0.0.1:${nginx.port}/live`, 'key-c-0004');
    await waitForState(test, 'c', 'live');
    expect((await test.api('DELETE', `/api/platforms/${c}`)).status).toBeLessThan(300);
    await waitFor(async () => !(await outputsByName(test)).has('c'), { what: 'c to be gone' });

    // b never noticed: one connection, no reconnects.
    const b = (await outputsByName(test)).get('b')!;
    expect(b).toMatchObject({ state: 'live', reconnects: 0 });
    expect(nginx.recordings('live').filter((f) => path.basename(f).startsWith('key-b-0002'))).toHaveLength(1);
    await publisher.kill();
  });
});
