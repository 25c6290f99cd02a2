/**
 * The program preview over HTTP-FLV (`GET /api/channels/:id/preview.flv`), with real peers: ffmpeg as
 * OBS, nginx-rtmp as a platform, ffprobe as the viewer, and a raw socket as a viewer that never reads.
 */
import { execFile } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { publishTestStream, type Publisher } from '../helpers/ffmpeg.js';
import { startNginxRtmp } from '../helpers/nginx-rtmp.js';
import { waitFor } from '../helpers/process.js';
import { peersSkipReason, requireProgram } from '../helpers/programs.js';
import { outputsByName, startTestServer, type TestServer } from '../helpers/server.js';

const skip = peersSkipReason('ffmpeg', 'ffprobe', 'nginx');
const run = promisify(execFile);

interface ChannelStatus {
  id: string;
  onAir: boolean;
  source: string | null;
  previewViewers: number;
}

async function mainStatus(test: TestServer): Promise<ChannelStatus | undefined> {
  const { body } = await test.api<{ channels: ChannelStatus[] }>('GET', '/api/status');
  return body.channels.find((c) => c.id === 'main');
}

interface FfprobeStream {
  codec_type?: string;
  codec_name?: string;
  width?: number;
  height?: number;
  sample_rate?: string;
  channels?: number;
}

describe.skipIf(skip !== '')(`program preview over HTTP-FLV${skip ? ` (skipped: ${skip})` : ''}`, () => {
  const publishers: Publisher[] = [];
  const sockets: Socket[] = [];
  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.destroy();
    for (const publisher of publishers.splice(0)) await publisher.kill();
  });

  it('gives ffprobe H.264 + AAC at the live size with a token, and counts its viewers', async () => {
    const test = await startTestServer();
    const token = test.server.store.auth.createToken('preview').token;
    const url = `${test.httpBase}/api/channels/main/preview.flv`;
    // Without credentials, or for a channel that does not exist: refused before any media.
    expect((await fetch(url)).status).toBe(401);
    const unknown = await test.api('GET', '/api/channels/nope/preview.flv');
    expect(unknown.status).toBe(404);

    publishers.push(
      publishTestStream({ url: `${test.ingestBase}/${test.ingestKey}`, width: 854, height: 480 }),
    );
    await waitFor(async () => (await mainStatus(test))?.source === 'live', { what: 'the channel live' });

    const ffprobe = requireProgram('ffprobe', 'ffprobe');
    // prettier-ignore
    const { stdout } = await run(ffprobe, [
      '-v', 'error', '-headers', `Authorization: Bearer ${token}\r\n`,
      '-show_streams', '-of', 'json', url,
    ], { timeout: 30_000 });
    const streams = (JSON.parse(stdout) as { streams: FfprobeStream[] }).streams;
    const video = streams.find((s) => s.codec_type === 'video');
    const audio = streams.find((s) => s.codec_type === 'audio');
    expect(video).toMatchObject({ codec_name: 'h264', width: 854, height: 480 });
    expect(audio).toMatchObject({ codec_name: 'aac', sample_rate: '48000', channels: 2 });

    // A viewer is counted in the status and the metrics while it watches, and not after.
    const controller = new AbortController();
    const watching = await fetch(url, {
      headers: { authorization: `Bearer ${token}` },
      signal: controller.signal,
    });
    expect(watching.status).toBe(200);
    expect(watching.headers.get('content-type')).toBe('video/x-flv');
    const reader = watching.body!.getReader();
    const first = await reader.read();
    expect(Buffer.from(first.value).subarray(0, 3).toString('latin1')).toBe('FLV');
    await waitFor(async () => (await mainStatus(test))?.previewViewers === 1, { what: 'one viewer counted' });
    const metrics = await (
      await fetch(`${test.httpBase}/metrics`, { headers: { authorization: `Bearer ${token}` } })
    ).text();
    expect(metrics).toMatch(/restream_preview_viewers\{channel="main"\} 1/);
    controller.abort();
    await waitFor(async () => (await mainStatus(test))?.previewViewers === 0, { what: 'the viewer gone' });
  });

  it('lets a viewer that never reads fall behind alone: the platform keeps getting every frame', async () => {
    const nginx = await startNginxRtmp({ apps: [{ name: 'live' }] });
    const test = await startTestServer();
    const token = test.server.store.auth.createToken('preview').token;
    const created = await test.api('POST', '/api/platforms', {
      name: 'Sink',
      url: `rtmp://127.0.0.1:${nginx.port}/live`,
      streamKey: 'sink-key',
    });
    expect(created.status).toBe(201);
    // A high bitrate, so that the stuck viewer's buffers fill within the test.
    publishers.push(
      publishTestStream({ url: `${test.ingestBase}/${test.ingestKey}`, videoBitrateKbps: 8000 }),
    );
    const sink = async () => (await outputsByName(test)).get('Sink');
    await waitFor(async () => (await sink())?.state === 'live', { what: 'the platform live' });

    // A viewer that sends its request and then never reads a byte (its receive window fills up).
    const port = Number(new URL(test.httpBase).port);
    const socket = connect({ host: '127.0.0.1', port });
    sockets.push(socket);
    await new Promise<void>((resolve) => socket.once('connect', resolve));
    socket.write(
      `GET /api/channels/main/preview.flv HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\n\r\n`,
    );
    socket.pause();
    await waitFor(async () => (await mainStatus(test))?.previewViewers === 1, {
      what: 'the stuck viewer counted',
    });

    // Twelve seconds at 8 Mbit/s is about 12 MB: well past the viewer's 4 MiB allowance plus what the
    // kernel buffers for it, so it has been dropping GOPs for a while by the end.
    const before = (await sink())!;
    await new Promise((resolve) => setTimeout(resolve, 12_000));
    const after = (await sink())!;
    expect(after.state).toBe('live');
    expect(after.droppedFrames).toBe(0);
    expect(after.reconnects).toBe(before.reconnects);
    // The platform kept getting the stream (8 Mbit/s for 12 s is 12 MB; a loaded encoder may lag).
    expect(after.bytes - before.bytes).toBeGreaterThan(3_000_000);
    expect((await mainStatus(test))?.source).toBe('live');
    await nginx.stop();
  });
});
