/**
 * SIGTERM ends the broadcast cleanly at every platform (FCUnpublish, deleteStream, close) and then the
 * process exits 0; a second signal exits at once.
 */
import { request } from 'node:http';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { listenReceiver, publishTestStream } from '../helpers/ffmpeg.js';
import { checkTimeline, decodeErrors, probePackets, probeStreams } from '../helpers/ffprobe.js';
import { startNginxRtmp } from '../helpers/nginx-rtmp.js';
import { waitFor } from '../helpers/process.js';
import { missingPeers } from '../helpers/programs.js';
import { startServerProcess, type ServerProcess } from '../helpers/server-process.js';
import { makeTempDir } from '../helpers/tmp.js';

const missing = missingPeers('ffmpeg', 'ffprobe', 'nginx');

interface Status {
  channels: { id: string; outputs: { name: string; state: string; bytes: number }[] }[];
}

async function outputStates(server: ServerProcess): Promise<Map<string, string>> {
  const { body } = await server.api<Status>('GET', '/api/status');
  const main = body.channels.find((c) => c.id === 'main');
  return new Map((main?.outputs ?? []).map((o) => [o.name, o.state]));
}

/**
 * Starts an upload that sends its headers and a little of the body, then stalls: a request in flight
 * that would hold an HTTP server's close() forever.
 */
function stalledUpload(server: ServerProcess): () => void {
  const boundary = 'stall-boundary';
  const req = request(`${server.httpBase}/api/upload_fallback`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${server.token}`,
      'content-type': `multipart/form-data; boundary=${boundary}`,
      'content-length': String(1024 * 1024),
    },
  });
  req.on('error', () => undefined);
  req.write(
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="clip.mp4"\r\n` +
      'Content-Type: video/mp4\r\n\r\n' +
      'x'.repeat(1000),
  );
  return () => req.destroy();
}

/** Resolves once the server has logged the upload's arrival. */
function uploadStarted(server: ServerProcess): Promise<void> {
  return waitFor(() => server.output().includes('"url":"/api/upload_fallback"'), {
    what: 'the upload to reach the server',
    timeoutMs: 5000,
  });
}

/** Resolves once the server has logged that it is shutting down. */
function shuttingDown(server: ServerProcess): Promise<void> {
  return waitFor(() => server.output().includes('shutting down'), {
    what: 'the shutdown log line',
    timeoutMs: 5000,
  });
}

describe.skipIf(missing !== '')(`SIGTERM ${missing}`, () => {
  it('ends the broadcast cleanly at every platform, then exits 0', async () => {
    const nginx = await startNginxRtmp({ apps: [{ name: 'live', record: true }] });
    const receiverFile = path.join(makeTempDir('sigterm-receiver'), 'got.flv');
    const receiver = await listenReceiver({ outFile: receiverFile, key: 'receiver-key' });
    const server = await startServerProcess();
    for (const platform of [
      { name: 'nginx', url: `rtmp://127.0.0.1:${nginx.port}/live`, streamKey: 'sigterm-nginx' },
      { name: 'receiver', url: `rtmp://127.0.0.1:${receiver.port}/live`, streamKey: 'receiver-key' },
    ]) {
      expect((await server.api('POST', '/api/platforms', platform)).status).toBe(201);
    }
    publishTestStream({ url: `${server.ingestBase}/${server.ingestKey}` });
    await waitFor(
      async () => {
        const states = await outputStates(server);
        return states.get('nginx') === 'live' && states.get('receiver') === 'live';
      },
      { what: 'both outputs live', timeoutMs: 15_000 },
    );
    // A few seconds on air, so the recordings have something to judge.
    await new Promise((resolve) => setTimeout(resolve, 3000));

    const sentAt = Date.now();
    server.signal('SIGTERM');
    // The receiving ffmpeg ends by itself: the server ended the stream, not the test.
    const receiverExit = await receiver.waitForExit(5000);
    expect(receiverExit.code, receiver.process.stderrTail()).toBe(0);
    const exit = await server.waitForExit(5000);
    const exitMs = Date.now() - sentAt;
    expect(exit, server.output().slice(-3000)).toEqual({ code: 0, signal: null });
    expect(exitMs).toBeLessThan(5000);
    expect(server.output()).toContain('"msg":"shut down"');

    // nginx saw the publisher leave and closed the recording; the test stops nginx only afterwards.
    // The end was a clean one: nginx logs the deleteStream command before the disconnect.
    const log = nginx.errorLog();
    const publishAt = log.indexOf("publish: name='sigterm-nginx'");
    const deleteAt = log.indexOf('deleteStream', publishAt);
    expect(publishAt, log).toBeGreaterThan(-1);
    expect(deleteAt, log).toBeGreaterThan(publishAt);
    expect(log.indexOf('disconnect', publishAt), log).toBeGreaterThan(deleteAt);
    const [recording] = nginx.recordings('live');
    expect(recording).toBeDefined();
    for (const file of [recording!, receiverFile]) {
      const streams = await probeStreams(file);
      expect(streams.video, file).toMatchObject({ codec: 'h264', width: 640, height: 360 });
      expect(streams.audio, file).toMatchObject({ codec: 'aac' });
      const packets = await probePackets(file);
      const video = checkTimeline(packets.video);
      expect(video.monotonic, file).toBe(true);
      expect(video.lastDtsMs - video.firstDtsMs, file).toBeGreaterThan(2000);
      expect(await decodeErrors(file), file).toBe('');
    }
  });

  it('cuts a stalled request after a grace period instead of hanging, and still exits 0', async () => {
    const server = await startServerProcess();
    const abort = stalledUpload(server);
    try {
      await uploadStarted(server);
      const sentAt = Date.now();
      server.signal('SIGTERM');
      expect(await server.waitForExit(8000)).toEqual({ code: 0, signal: null });
      // The 2 s grace for requests in flight, not the 15 s shutdown deadline.
      expect(Date.now() - sentAt).toBeLessThan(5000);
    } finally {
      abort();
    }
  });

  it('exits at once on a second SIGTERM', async () => {
    const server = await startServerProcess();
    const abort = stalledUpload(server);
    try {
      await uploadStarted(server);
      server.signal('SIGTERM');
      await shuttingDown(server);
      // Held up by the stalled upload (for up to the grace period)...
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(server.isRunning(), server.output()).toBe(true);
      const sentAt = Date.now();
      server.signal('SIGTERM');
      expect(await server.waitForExit(3000)).toEqual({ code: 1, signal: null });
      expect(Date.now() - sentAt).toBeLessThan(1000);
      expect(server.output()).toContain('second signal');
    } finally {
      abort();
    }
  });
});
