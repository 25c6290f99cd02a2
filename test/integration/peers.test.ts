/**
 * Proves the real-peer harness with real programs only (no project code): ffmpeg publishing to nginx-rtmp
 * and to an ffmpeg receiver, RTMPS through stunnel, on_publish rejection, SIGSTOP/SIGCONT, and cleanup.
 * Skipped with the reason when a program is missing; .ci/run installs them all.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { describe, expect, it } from 'vitest';
import { listenReceiver, publishFile, publishTestStream } from '../helpers/ffmpeg.js';
import { checkTimeline, decodeErrors, probePackets, probeStreams } from '../helpers/ffprobe.js';
import { startHookServer } from '../helpers/hook-server.js';
import { startNginxRtmp } from '../helpers/nginx-rtmp.js';
import { isListening } from '../helpers/ports.js';
import { childPidsSync, waitFor } from '../helpers/process.js';
import { peersSkipReason } from '../helpers/programs.js';
import { startTlsTerminator } from '../helpers/tls-terminator.js';
import { makeTempDir } from '../helpers/tmp.js';

// Skipped where a program is missing, except under CI, where .ci/run installs them all.
const missing = peersSkipReason('ffmpeg', 'ffprobe', 'nginx', 'stunnel', 'openssl');

/** Process state letter from /proc (R, S, T = stopped, Z ...), or undefined when gone. */
function procState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
  } catch {
    return undefined;
  }
}

/** What a platform would check of a 640x360 30 fps H.264 + AAC stream of `seconds`. */
async function expectGoodRecording(file: string, seconds: number): Promise<void> {
  const streams = await probeStreams(file);
  expect(streams.video).toMatchObject({ codec: 'h264', width: 640, height: 360, profile: 'Main' });
  expect(streams.video?.fps).toBeCloseTo(30, 0);
  expect(streams.audio).toEqual({ codec: 'aac', sampleRate: 48_000, channels: 2 });

  const packets = await probePackets(file);
  const frames = seconds * 30;
  expect(packets.video.length).toBeGreaterThanOrEqual(frames * 0.9);
  expect(packets.video.length).toBeLessThanOrEqual(frames * 1.1);
  const video = checkTimeline(packets.video);
  const audio = checkTimeline(packets.audio);
  expect(video, 'video DTS').toMatchObject({ monotonic: true });
  expect(audio, 'audio DTS').toMatchObject({ monotonic: true });
  expect(video.maxGapMs).toBeLessThan(100);
  // 2 s GOP: a keyframe first and about one every 60 frames.
  expect(packets.video[0]?.keyframe).toBe(true);
  expect(packets.video.filter((p) => p.keyframe).length).toBe(Math.ceil(frames / 60));
  expect(await decodeErrors(file)).toBe('');
}

describe.skipIf(missing !== '')(`real peers${missing ? ` (skipped: ${missing})` : ''}`, () => {
  it('ffmpeg publishes to nginx-rtmp, which records what a platform would get', async () => {
    const nginx = await startNginxRtmp({ apps: [{ name: 'live', record: true }] });
    const publisher = publishTestStream({ url: nginx.url('live', 'rec'), seconds: 4 });
    const exit = await publisher.waitForExit(20_000);
    expect(exit.code, exit.stderr).toBe(0);
    await nginx.stop();

    const [recording, ...more] = nginx.recordings('live');
    expect(more).toEqual([]);
    expect(recording).toMatch(/rec-\d+\.flv$/);
    await expectGoodRecording(recording!, 4);
    expect(nginx.errorLog()).toContain("publish: name='rec'");
  });

  it('an ffmpeg -listen receiver gets one stream and records it whole', async () => {
    const outFile = join(makeTempDir('recv'), 'got.flv');
    const receiver = await listenReceiver({ outFile, key: 'platformkey' });
    const publisher = publishTestStream({ url: receiver.url, seconds: 4 });
    expect((await publisher.waitForExit(20_000)).code).toBe(0);
    // The receiver ends by itself when its one publisher leaves, and it listens no more.
    const exit = await receiver.waitForExit(10_000);
    expect(exit.code, exit.stderr).toBe(0);
    expect(await isListening(receiver.port)).toBe(false);
    await expectGoodRecording(outFile, 4);
  });

  it('timestamps across the 0xFFFFFF ms boundary survive ffmpeg -> ffmpeg', async () => {
    const outFile = join(makeTempDir('recv'), 'ext.flv');
    const receiver = await listenReceiver({ outFile });
    // 0xFFFFFF ms = 16777.215 s: start 1.5 s before it, so extended timestamps begin mid-stream.
    const publisher = publishTestStream({ url: receiver.url, seconds: 4, outputTsOffsetSec: 16_775.7 });
    expect((await publisher.waitForExit(20_000)).code).toBe(0);
    await receiver.waitForExit(10_000);
    const packets = await probePackets(outFile);
    const video = checkTimeline(packets.video);
    expect(video.monotonic).toBe(true);
    expect(video.firstDtsMs).toBeLessThan(0xffffff);
    expect(video.lastDtsMs).toBeGreaterThan(0xffffff);
    expect(video.maxGapMs).toBeLessThan(100);
    expect(checkTimeline(packets.audio).monotonic).toBe(true);
  });

  it('publishFile loops a pre-encoded file with -c copy on one monotonic timeline (the bench publisher)', async () => {
    const dir = makeTempDir('loop');
    const source = join(dir, 'source.flv');
    // ffmpeg's flv muxer writes to a path as happily as to an RTMP URL; no -re, so it takes a moment.
    const encode = publishTestStream({ url: source, seconds: 2, realtime: false });
    expect((await encode.waitForExit(20_000)).code).toBe(0);

    const receiver = await listenReceiver({ outFile: join(dir, 'looped.flv') });
    const publisher = publishFile({ url: receiver.url, file: source, seconds: 5 });
    expect((await publisher.waitForExit(20_000)).code).toBe(0);
    await receiver.waitForExit(10_000);
    const packets = await probePackets(receiver.outFile);
    const video = checkTimeline(packets.video);
    expect(video.monotonic).toBe(true);
    expect(video.count).toBeGreaterThanOrEqual(5 * 30 * 0.9);
    expect(video.lastDtsMs - video.firstDtsMs).toBeGreaterThan(4500);
    expect(video.maxGapMs).toBeLessThan(100);
  });

  it('RTMPS through stunnel reaches nginx, and the test CA verifies for SNI localhost', async () => {
    const nginx = await startNginxRtmp({ apps: [{ name: 'live', record: true }] });
    const tls = await startTlsTerminator({ connectPort: nginx.port });

    // What the relay will do: TLS with SNI 'localhost', verified against the test CA.
    const authorized = await new Promise<boolean>((resolve, reject) => {
      const socket = tlsConnect({
        host: '127.0.0.1',
        port: tls.port,
        servername: 'localhost',
        ca: readFileSync(tls.caFile),
      });
      socket.once('secureConnect', () => {
        resolve(socket.authorized);
        socket.destroy();
      });
      socket.once('error', reject);
    });
    expect(authorized).toBe(true);

    const publisher = publishTestStream({
      url: tls.url('live', 'secure'),
      seconds: 3,
      extraArgs: ['-tls_verify', '0'],
    });
    const exit = await publisher.waitForExit(20_000);
    expect(exit.code, exit.stderr).toBe(0);
    await nginx.stop();
    const [recording] = nginx.recordings('live');
    expect(recording).toMatch(/secure-\d+\.flv$/);
    const streams = await probeStreams(recording!);
    expect(streams.video).toMatchObject({ codec: 'h264', width: 640, height: 360 });
    expect((await probePackets(recording!)).video.length).toBeGreaterThanOrEqual(80);
  });

  it('nginx on_publish answered 403 rejects the publisher', async () => {
    const hook = await startHookServer(403);
    const nginx = await startNginxRtmp({ apps: [{ name: 'live', onPublish: hook.url('/on_publish') }] });
    const publisher = publishTestStream({ url: nginx.url('live', 'badkey'), seconds: 10 });
    const exit = await publisher.waitForExit(15_000);
    expect(exit.code).not.toBe(0);
    expect(hook.requests).toHaveLength(1);
    expect(hook.requests[0]).toMatchObject({ method: 'POST', url: '/on_publish' });
    expect(hook.requests[0]?.form).toMatchObject({ call: 'publish', app: 'live', name: 'badkey' });
    expect(nginx.recordings('live')).toEqual([]);
  });

  it('pause() and resume() stop and continue nginx workers and ffmpeg publishers', async () => {
    const nginx = await startNginxRtmp({ apps: [{ name: 'live', record: true }] });
    const [worker] = childPidsSync(nginx.process.pid);
    expect(worker).toBeDefined();
    const publisher = publishTestStream({ url: nginx.url('live', 'paused'), seconds: 5 });
    await waitFor(() => nginx.recordings('live').length > 0, {
      what: 'a recording to start',
      peer: publisher.process,
    });

    // A signal takes effect when the target next runs: wait for the state rather than assert at once.
    const stateIs = (pid: number, stopped: boolean, what: string) =>
      waitFor(() => (procState(pid) === 'T') === stopped, { what, timeoutMs: 3000 });
    nginx.pause();
    await stateIs(worker!, true, 'the nginx worker to stop');
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(procState(worker!)).toBe('T');
    nginx.resume();
    await stateIs(worker!, false, 'the nginx worker to continue');

    publisher.pause();
    await stateIs(publisher.process.pid, true, 'the publisher to stop');
    await new Promise((resolve) => setTimeout(resolve, 500));
    publisher.resume();
    await stateIs(publisher.process.pid, false, 'the publisher to continue');

    expect((await publisher.waitForExit(20_000)).code).toBe(0);
    await nginx.stop();
    const packets = await probePackets(nginx.recordings('live')[0]!);
    // The stalls delay frames; none is lost.
    expect(packets.video.length).toBeGreaterThanOrEqual(5 * 30 * 0.9);
    expect(checkTimeline(packets.video).monotonic).toBe(true);
  });

  describe('cleanup', () => {
    let leaked: { pids: number[]; dir: string } | undefined;

    it('a test that leaves peers running (as a failing test would)...', async () => {
      const nginx = await startNginxRtmp({ apps: [{ name: 'live' }] });
      const receiver = await listenReceiver({ outFile: join(makeTempDir('leak'), 'x.flv') });
      leaked = {
        pids: [nginx.process.pid, ...childPidsSync(nginx.process.pid), receiver.process.pid],
        dir: nginx.workDir,
      };
      nginx.pause();
    });

    it('...has them stopped, and their temp dirs removed, when it finishes', () => {
      expect(leaked?.pids.length).toBe(3);
      for (const pid of leaked!.pids) expect(existsSync(`/proc/${pid}`), `pid ${pid}`).toBe(false);
      expect(existsSync(leaked!.dir)).toBe(false);
    });
  });
});
