/**
 * Recording a broadcast, with real peers: ffmpeg as OBS dropping out in the middle, the recorder's
 * ffmpeg writing fragmented MP4, ffprobe and a full decode to judge the file, and the server killed
 * with -9 mid-broadcast to show the file still plays.
 */
import { writeFileSync } from 'node:fs';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { RecordingDto } from '../../src/contract/index.js';
import { publishTestStream, type Publisher } from '../helpers/ffmpeg.js';
import { decodeErrors, probeStreams } from '../helpers/ffprobe.js';
import { childPidsSync, signalPid, waitFor } from '../helpers/process.js';
import { peersSkipReason } from '../helpers/programs.js';
import { startServerProcess } from '../helpers/server-process.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { makeTempDir } from '../helpers/tmp.js';

const skip = peersSkipReason('ffmpeg', 'ffprobe');

async function sourceOf(test: Pick<TestServer, 'api'>): Promise<string | null | undefined> {
  const { body } = await test.api<{ channels: { id: string; source: string | null }[] }>(
    'GET',
    '/api/status',
  );
  return body.channels.find((c) => c.id === 'main')?.source;
}

describe.skipIf(skip !== '')(`recording${skip ? ` (skipped: ${skip})` : ''}`, () => {
  const publishers: Publisher[] = [];
  afterEach(async () => {
    for (const publisher of publishers.splice(0)) await publisher.kill();
  });

  it('keeps a 20 s broadcast with a 5 s drop as one recording that plays whole, and serves, ranges and deletes it', async () => {
    const test = await startTestServer();
    const patched = await test.api<{ recording: boolean }>('PATCH', '/api/channels/main', {
      recording: true,
    });
    expect(patched.status).toBe(200);
    expect(patched.body.recording).toBe(true);
    const bad = await test.api<{ field: string }>('PATCH', '/api/channels/main', { recording: 'yes' });
    expect(bad.status).toBe(400);
    expect((await test.api<{ recording: boolean }>('GET', '/api/channels/main')).body.recording).toBe(true);

    const ingest = `${test.ingestBase}/${test.ingestKey}`;
    // 10 s live, OBS's connection dies, 5 s of fallback, 10 s live again, then Stop Streaming (ends it).
    const first = publishTestStream({ url: ingest });
    publishers.push(first);
    await waitFor(async () => (await sourceOf(test)) === 'live', { what: 'live', timeoutMs: 20_000 });
    await waitFor(async () => (await test.api<RecordingDto[]>('GET', '/api/recordings')).body.length === 1, {
      what: 'a recording started',
    });
    // The recorder reads the program but is not a preview viewer.
    const { body: status } = await test.api<{ channels: { id: string; previewViewers: number }[] }>(
      'GET',
      '/api/status',
    );
    expect(status.channels.find((c) => c.id === 'main')?.previewViewers).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 10_000));
    await first.kill();
    await waitFor(async () => (await sourceOf(test)) === 'fallback', { what: 'the fallback on air' });
    await new Promise((resolve) => setTimeout(resolve, 5000));
    const second = publishTestStream({ url: ingest, seconds: 10 });
    publishers.push(second);
    await waitFor(async () => (await sourceOf(test)) === 'live', { what: 'live again', timeoutMs: 20_000 });
    await waitFor(
      async () => (await test.api<RecordingDto[]>('GET', '/api/recordings')).body[0]?.state === 'done',
      { what: 'the recording done once the broadcast ended', timeoutMs: 40_000 },
    );

    const list = (await test.api<RecordingDto[]>('GET', '/api/recordings')).body;
    expect(list).toHaveLength(1);
    const recording = list[0]!;
    expect(recording).toMatchObject({ channelId: 'main', state: 'done' });
    expect(recording.durationMs).toBeGreaterThanOrEqual(22_000);
    expect(recording.endedAt).not.toBeNull();

    // The download is the file the list describes; a range is honoured (a <video> seeks with them).
    const token = test.server.store.auth.createToken('recordings').token;
    const fileUrl = `${test.httpBase}/api/recordings/${recording.id}/file`;
    const auth = { authorization: `Bearer ${token}` };
    const whole = await fetch(fileUrl, { headers: auth });
    expect(whole.status).toBe(200);
    expect(whole.headers.get('content-type')).toBe('video/mp4');
    const bytes = Buffer.from(await whole.arrayBuffer());
    expect(bytes.length).toBe(recording.bytes);
    const part = await fetch(fileUrl, { headers: { ...auth, range: 'bytes=100-199' } });
    expect(part.status).toBe(206);
    expect(Buffer.from(await part.arrayBuffer())).toEqual(bytes.subarray(100, 200));
    expect((await fetch(fileUrl)).status).toBe(401);

    const file = join(makeTempDir('recording'), 'got.mp4');
    writeFileSync(file, bytes);
    const streams = await probeStreams(file);
    expect(streams.video).toMatchObject({ codec: 'h264', width: 640, height: 360 });
    expect(streams.audio).toMatchObject({ codec: 'aac', sampleRate: 48000, channels: 2 });
    expect(streams.durationSec).toBeGreaterThanOrEqual(22);
    expect(await decodeErrors(file)).toBe('');

    expect((await test.api('DELETE', `/api/recordings/${recording.id}`)).status).toBe(200);
    expect((await test.api<RecordingDto[]>('GET', '/api/recordings')).body).toEqual([]);
    expect(readdirSync(join(test.server.config.dataDir, 'recordings'))).toEqual([]);
    expect((await test.api('DELETE', `/api/recordings/${recording.id}`)).status).toBe(404);
  });

  it('pauses below the free-disk floor and resumes into the same file; keeps RECORDINGS_MAX_GB, oldest deleted first', async () => {
    const disk = { freeBytes: 100e9 };
    const test = await startTestServer({
      // 1 MB kept in all: less than one broadcast here, and the newest is always kept.
      env: { RECORDINGS_MAX_GB: '0.001', RECORDINGS_MIN_FREE_GB: '1' },
      start: { recorder: { freeBytes: () => Promise.resolve(disk.freeBytes), checkIntervalMs: 200 } },
    });
    expect((await test.api('PATCH', '/api/channels/main', { recording: true })).status).toBe(200);
    const warnings: string[] = [];
    test.server.events.subscribe((event) => {
      if (event.event === 'recording') warnings.push(event.data.message);
    });
    const ingest = `${test.ingestBase}/${test.ingestKey}`;
    const recordings = async (): Promise<RecordingDto[]> =>
      (await test.api<RecordingDto[]>('GET', '/api/recordings')).body;

    const first = publishTestStream({ url: ingest, seconds: 12 });
    publishers.push(first);
    await waitFor(async () => (await recordings())[0]?.state === 'recording', {
      what: 'recording',
      timeoutMs: 20_000,
    });
    await new Promise((resolve) => setTimeout(resolve, 3000));
    disk.freeBytes = 0.5e9; // below the 1 GB floor
    await waitFor(async () => (await recordings())[0]?.state === 'paused', { what: 'paused' });
    // Said once, as an event (SSE `recording`) and in the log.
    await waitFor(() => warnings.length > 0, { what: 'a warning event' });
    expect(warnings).toEqual(['recording paused: less than 1 GB free']);
    const pausedAt = (await recordings())[0]!.bytes;
    await new Promise((resolve) => setTimeout(resolve, 2000));
    // Nothing written while paused (the last fragment may still have been flushing).
    expect((await recordings())[0]!.bytes - pausedAt).toBeLessThan(200_000);
    disk.freeBytes = 100e9;
    await waitFor(async () => (await recordings())[0]?.state === 'recording', { what: 'resumed' });
    await waitFor(async () => (await recordings())[0]?.state === 'done', { what: 'done', timeoutMs: 30_000 });
    const [paused] = await recordings();
    const file = join(
      test.server.config.dataDir,
      'recordings',
      readdirSync(join(test.server.config.dataDir, 'recordings'))[0]!,
    );
    const streams = await probeStreams(file);
    expect(streams.video).toMatchObject({ codec: 'h264', width: 640, height: 360 });
    expect(await decodeErrors(file)).toBe('');

    // Over 1 MB alone, yet kept as the newest; a second broadcast pushes it out.
    expect(paused!.bytes).toBeGreaterThan(1_000_000);
    const second = publishTestStream({ url: ingest, seconds: 6 });
    publishers.push(second);
    await waitFor(async () => (await recordings())[0]?.id !== paused!.id, {
      what: 'a second recording',
      timeoutMs: 20_000,
    });
    await waitFor(async () => (await recordings())[0]?.state === 'done', {
      what: 'the second done',
      timeoutMs: 30_000,
    });
    const left = await recordings();
    expect(left).toHaveLength(1);
    expect(left[0]!.id).not.toBe(paused!.id);
    expect(readdirSync(join(test.server.config.dataDir, 'recordings'))).toHaveLength(1);
  });

  it('leaves a playable file when the server and its ffmpeg are killed with -9 mid-broadcast', async () => {
    const dataDir = makeTempDir('recording-kill');
    const server = await startServerProcess({ dataDir });
    expect((await server.api('PATCH', '/api/channels/main', { recording: true })).status).toBe(200);
    publishers.push(publishTestStream({ url: `${server.ingestBase}/${server.ingestKey}` }));
    await waitFor(async () => (await sourceOf(server)) === 'live', { what: 'live', timeoutMs: 20_000 });
    await new Promise((resolve) => setTimeout(resolve, 7000));
    // Everything at once, the recorder's ffmpeg too: nothing gets to finish the file.
    const pid = server.child.pid!;
    for (const child of childPidsSync(pid)) signalPid(child, 'SIGKILL');
    signalPid(pid, 'SIGKILL');
    await server.waitForExit(10_000);

    const files = readdirSync(join(dataDir, 'recordings'));
    expect(files).toHaveLength(1);
    const file = join(dataDir, 'recordings', files[0]!);
    const streams = await probeStreams(file);
    expect(streams.video).toMatchObject({ codec: 'h264', width: 640, height: 360 });
    expect(streams.audio).toMatchObject({ codec: 'aac' });
    // It plays up to the last whole fragment (a keyframe apart): of 7 s on air, at least 4 s. The only
    // complaint a full decode may have is about the fragment the kill cut short.
    expect(streams.durationSec).toBeGreaterThanOrEqual(4);
    const complaints = (await decodeErrors(file)).split('\n').filter((line) => line !== '');
    expect(complaints.filter((line) => !/partial file/.test(line))).toEqual([]);

    // The next start lists it as interrupted, with its size.
    const again = await startServerProcess({ dataDir });
    const list = (await again.api<RecordingDto[]>('GET', '/api/recordings')).body;
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ state: 'interrupted' });
    expect(list[0]!.bytes).toBeGreaterThan(0);
    await again.stop();
  });
});
