/**
 * The dashboard's preview of the current fallback: the stored upload streamed back by the real server,
 * byte for byte, with single byte ranges so a browser's <video> can seek in it.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { spawnPeer } from '../helpers/process.js';
import { missingPeers, requireProgram } from '../helpers/programs.js';
import { waitFor } from '../helpers/process.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { makeTempDir } from '../helpers/tmp.js';

const missing = missingPeers('ffmpeg', 'ffprobe');
const originalPath = '/api/channels/main/fallback/original';

describe.skipIf(missing !== '')(`fallback preview ${missing}`, () => {
  let clip: Buffer;

  beforeAll(async () => {
    const file = path.join(makeTempDir('preview'), 'brb.mp4');
    const ffmpeg = spawnPeer('ffmpeg-clip', requireProgram('ffmpeg', 'ffmpeg'), [
      '-hide_banner',
      '-nostdin',
      '-v',
      'error',
      '-f',
      'lavfi',
      '-i',
      'testsrc=size=160x120:rate=10',
      '-t',
      '1',
      '-c:v',
      'libx264',
      '-pix_fmt',
      'yuv420p',
      '-y',
      file,
    ]);
    expect((await ffmpeg.exited).code).toBe(0);
    clip = readFileSync(file);
  });

  async function uploadClip(test: TestServer): Promise<string> {
    const token = test.server.store.auth.createToken('preview').token;
    const form = new FormData();
    form.append('channelId', 'main');
    form.append('file', new Blob([clip]), 'brb.mp4');
    const response = await fetch(`${test.httpBase}/api/upload_fallback`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
      body: form,
    });
    expect(response.status).toBe(202);
    // The upload becomes the channel's clip (and its original served) once it is conformed.
    const { job } = (await response.json()) as { job: { id: string } };
    await waitFor(
      async () =>
        (await test.api<{ state: string }>('GET', `/api/fallback/jobs/${job.id}`)).body.state === 'done',
      { what: 'the upload conformed', timeoutMs: 60_000 },
    );
    return token;
  }

  it('streams the stored upload whole, and a byte range of it as 206', async () => {
    const test = await startTestServer();
    const token = await uploadClip(test);
    const auth = { authorization: `Bearer ${token}` };

    const whole = await fetch(`${test.httpBase}${originalPath}`, { headers: auth });
    expect(whole.status).toBe(200);
    expect(whole.headers.get('content-type')).toBe('video/mp4');
    expect(whole.headers.get('content-length')).toBe(String(clip.length));
    expect(whole.headers.get('cache-control')).toBe('no-store');
    expect(whole.headers.get('accept-ranges')).toBe('bytes');
    expect(Buffer.from(await whole.arrayBuffer()).equals(clip)).toBe(true);

    const part = await fetch(`${test.httpBase}${originalPath}`, {
      headers: { ...auth, range: 'bytes=100-1099' },
    });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 100-1099/${clip.length}`);
    expect(part.headers.get('content-length')).toBe('1000');
    expect(Buffer.from(await part.arrayBuffer()).equals(clip.subarray(100, 1100))).toBe(true);

    // Open-ended, as a browser asks when it seeks.
    const tail = await fetch(`${test.httpBase}${originalPath}`, {
      headers: { ...auth, range: `bytes=${clip.length - 10}-` },
    });
    expect(tail.status).toBe(206);
    expect(tail.headers.get('content-range')).toBe(
      `bytes ${clip.length - 10}-${clip.length - 1}/${clip.length}`,
    );
    expect(Buffer.from(await tail.arrayBuffer()).equals(clip.subarray(clip.length - 10))).toBe(true);

    for (const range of [`bytes=${clip.length}-`, 'bytes=20-10', 'items=0-1', 'bytes=0-1,5-6']) {
      const bad = await fetch(`${test.httpBase}${originalPath}`, { headers: { ...auth, range } });
      expect(bad.status, range).toBe(416);
      expect(bad.headers.get('content-range'), range).toBe(`bytes */${clip.length}`);
      expect(((await bad.json()) as { error: string }).error).toBe('RANGE_NOT_SATISFIABLE');
    }
  });

  it('answers 401 without credentials and 404 when the channel has no upload', async () => {
    const test = await startTestServer();
    const anonymous = await fetch(`${test.httpBase}${originalPath}`);
    expect(anonymous.status).toBe(401);
    const none = await test.api<{ error: string; field?: string }>('GET', originalPath);
    expect(none.status).toBe(404);
    expect(none.body).toMatchObject({ error: 'NOT_FOUND', field: 'id' });
    const unknownChannel = await test.api<{ error: string }>('GET', '/api/channels/nope/fallback/original');
    expect(unknownChannel.status).toBe(404);

    await uploadClip(test);
    expect((await fetch(`${test.httpBase}${originalPath}`)).status).toBe(401);
  });
});
