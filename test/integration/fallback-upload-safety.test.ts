/**
 * A failed fallback upload never costs the streamer their fallback (issue 10.6): through the real server
 * and real ffmpeg, hostile and broken uploads are refused with a 4xx naming the problem, and the stored
 * clip and the rendition that would play stay the same byte for byte. A conform that fails leaves the
 * previous clip in place, and a new clip replaces the old one only once it is conformed.
 */
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { FallbackLibrary, type FallbackJob } from '../../src/fallback/library.js';
import { defaultParams, renditionKey, type RenditionParams } from '../../src/fallback/params.js';
import { waitFor } from '../helpers/process.js';
import { jobFinished } from '../helpers/fallback-jobs.js';
import { peersSkipReason } from '../helpers/programs.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { makeTempDir } from '../helpers/tmp.js';
import { uploadFallback } from '../helpers/fallback-upload.js';

const run = promisify(execFile);
const missing = peersSkipReason('ffmpeg', 'ffprobe');
let dir = '';
const file = (name: string): string => join(dir, name);
const sha = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

/** Every file under `root` with its hash: what "unchanged byte for byte" is checked against. */
function hashTree(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of readdirSync(root, { recursive: true, encoding: 'utf8' })) {
    const path = join(root, name);
    if (statSync(path).isFile()) out[relative(root, path)] = sha(readFileSync(path));
  }
  return out;
}

async function jobDone(test: TestServer, id: string): Promise<FallbackJob> {
  let job: FallbackJob | undefined;
  await waitFor(
    async () => {
      job = (await test.api<FallbackJob>('GET', `/api/fallback/jobs/${id}`)).body;
      return job.state === 'done' || job.state === 'failed';
    },
    { what: 'the conform job to end', timeoutMs: 90_000 },
  );
  return job!;
}

async function servedOriginal(test: TestServer): Promise<string> {
  const token = test.server.store.auth.createToken('download').token;
  const response = await fetch(`${test.httpBase}/api/channels/main/fallback/original`, {
    headers: { authorization: `Bearer ${token}` },
  });
  expect(response.status).toBe(200);
  return sha(Buffer.from(await response.arrayBuffer()));
}

describe.skipIf(missing !== '')(`fallback upload safety ${missing}`, () => {
  beforeAll(async () => {
    dir = makeTempDir('upload-safety', 'process');
    const gen = (args: string[]): Promise<unknown> =>
      run('ffmpeg', ['-hide_banner', '-nostdin', '-v', 'error', '-y', ...args]);
    const x264 = ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p'];
    await Promise.all([
      gen(['-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=15:duration=2', ...x264, file('brb.mp4')]),
      gen(['-f', 'lavfi', '-i', 'smptebars=size=320x180:rate=15:duration=2', ...x264, file('next.mp4')]),
      // A file of the server's that a crafted playlist would pull into the fallback.
      gen([
        '-f',
        'lavfi',
        '-i',
        'testsrc=size=320x180:rate=15:duration=2',
        ...x264,
        '-f',
        'mpegts',
        file('secret.ts'),
      ]),
    ]);
    writeFileSync(file('random.bin'), randomBytes(200_000));
    writeFileSync(
      file('playlist.m3u8'),
      `#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2.0,\n${file('secret.ts')}\n#EXT-X-ENDLIST\n`,
    );
    writeFileSync(file('concat.txt'), `ffconcat version 1.0\nfile '${file('secret.ts')}'\n`);
  });

  it('refuses random bytes, an HLS playlist and a concat list with a 422 naming the problem, keeping the fallback byte for byte; a video named x.json is a video', async () => {
    const dataDir = makeTempDir('data');
    const test = await startTestServer({ dataDir });
    const channelDir = join(dataDir, 'fallback', 'channels', 'main');
    const first = await uploadFallback(test, file('brb.mp4'), 'brb.mp4');
    expect(first.status).toBe(202);
    expect((await jobDone(test, first.body.job!.id)).state).toBe('done');
    const before = { original: await servedOriginal(test), files: hashTree(channelDir) };
    expect(before.original).toBe(sha(readFileSync(file('brb.mp4'))));
    expect(Object.keys(before.files).some((f) => f.endsWith('.flv'))).toBe(true);

    for (const [path, name, message] of [
      [file('random.bin'), 'clip.mp4', /not a media file|not an accepted/],
      [file('playlist.m3u8'), 'clip.m3u8', /HLS\/M3U playlist is not an accepted video file/],
      [file('playlist.m3u8'), 'sneaky.mp4', /HLS\/M3U playlist is not an accepted video file/],
      [file('concat.txt'), 'list.mp4', /concat list is not an accepted video file/],
    ] as const) {
      const refused = await uploadFallback(test, path, name);
      expect(refused.status, name).toBe(422);
      expect(refused.body, name).toMatchObject({ error: 'NOT_MEDIA', field: 'file' });
      expect(refused.body.message, name).toMatch(message);
      expect(await servedOriginal(test), `${name}: the stored clip`).toBe(before.original);
      expect(hashTree(channelDir), `${name}: the clip and its renditions`).toEqual(before.files);
    }
    expect(readdirSync(join(dataDir, 'fallback', 'incoming'))).toEqual([]);

    // The name is display only: a real video called x.json is stored as a video, beside intact metadata.
    const json = await uploadFallback(test, file('next.mp4'), 'x.json');
    expect(json.status).toBe(202);
    expect((await jobDone(test, json.body.job!.id)).state).toBe('done');
    const info = await test.api<{ info: { original: { name: string; sizeBytes: number } } }>(
      'GET',
      '/api/channels/main/fallback',
    );
    expect(info.body.info.original).toMatchObject({
      name: 'x.json',
      sizeBytes: statSync(file('next.mp4')).size,
    });
    expect(await servedOriginal(test)).toBe(sha(readFileSync(file('next.mp4'))));
    expect(readdirSync(join(channelDir, 'clips'))).toHaveLength(1); // the old clip went once replaced
  });

  it('plays the previous clip until the new one is conformed, and keeps it when the conform fails', async () => {
    const library = new FallbackLibrary({ dataDir: makeTempDir('library') });
    const params: RenditionParams = { ...defaultParams, width: 320, height: 180, fps: 15 };
    const accept = (name: string, p: RenditionParams): Promise<FallbackJob> => {
      const tmp = library.incomingPath();
      copyFileSync(file(name), tmp);
      return library.accept('main', tmp, name, p);
    };
    const first = await accept('brb.mp4', params);
    expect((await jobFinished(library, first.id)).state).toBe('done');
    const playing = library.current('main', params)!;
    expect(playing.kind).toBe('upload');
    const playingHash = sha(readFileSync(playing.file));
    const original = sha(readFileSync(library.originalFile('main')!.path));

    // An AAC sample rate no encoder takes: the probe passes, the conform fails.
    const failing = await accept('next.mp4', { ...params, sampleRate: 1234 });
    expect(library.current('main', params)).toEqual(playing);
    expect((await jobFinished(library, failing.id)).state).toBe('failed');
    expect(library.info('main').original?.name).toBe('brb.mp4');
    expect(sha(readFileSync(library.originalFile('main')!.path))).toBe(original);
    expect(library.current('main', params)).toEqual(playing);
    expect(sha(readFileSync(playing.file))).toBe(playingHash);

    // A good one: the old clip plays while it is conformed, then the new one replaces it.
    const second = await accept('next.mp4', params);
    expect(library.current('main', params)).toEqual(playing);
    expect(existsSync(playing.file)).toBe(true);
    expect((await jobFinished(library, second.id)).state).toBe('done');
    expect(library.info('main').original?.name).toBe('next.mp4');
    expect(library.current('main', params)?.file).not.toBe(playing.file);
    expect(existsSync(playing.file)).toBe(false);
    library.close();
  });

  it('prunes renditions to the wanted one plus the most recent few', async () => {
    const library = new FallbackLibrary({ dataDir: makeTempDir('library'), keepRenditions: 1 });
    const tmp = library.incomingPath();
    copyFileSync(file('brb.mp4'), tmp);
    const base: RenditionParams = { ...defaultParams, width: 320, height: 180, fps: 15 };
    const accepted = await library.accept('main', tmp, 'brb.mp4', base);
    await jobFinished(library, accepted.id);
    const sizes = [240, 200, 160].map((height) => ({ ...base, height }));
    for (const p of sizes) {
      library.prepare('main', p);
      const job = library.jobs('main').find((j) => j.key === renditionKey(p) && j.state !== 'done');
      if (job) await jobFinished(library, job.id);
    }
    const kept = library
      .info('main')
      .renditions.map((r) => r.key)
      .sort();
    // The wanted (last prepared) one, and the one made just before it.
    expect(kept).toEqual([renditionKey(sizes[2]!), renditionKey(sizes[1]!)].sort());
    library.close();
  });
});
