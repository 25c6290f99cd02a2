/**
 * Fallback media with real ffmpeg/ffprobe: uploads are judged (good, not media, truncated, audio only),
 * conformed to exactly the live parameters (size, fps, profile, 2 s closed GOP, AAC rate/channels,
 * silence added, tracks ending together), slates rendered, and the library keeps the previous fallback
 * whenever an upload is refused. Small sizes (320x180, 15 fps, 4-6 s) keep it quick on two cores.
 */
import { execFile } from 'node:child_process';
import {
  copyFileSync,
  createWriteStream,
  existsSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { conform, renderSlate } from '../../src/fallback/conform.js';
import { FallbackError } from '../../src/fallback/errors.js';
import { probeMedia } from '../../src/fallback/ffmpeg.js';
import { FallbackLibrary, type FallbackJob } from '../../src/fallback/library.js';
import { LoopSource } from '../../src/fallback/loop-source.js';
import { paramsFromHeaders, renditionKey, type RenditionParams } from '../../src/fallback/params.js';
import { decodeErrors, probePackets, probeStreams } from '../helpers/ffprobe.js';
import { jobFinished } from '../helpers/fallback-jobs.js';
import { peersSkipReason } from '../helpers/programs.js';
import { waitFor } from '../helpers/process.js';
import { makeTempDir } from '../helpers/tmp.js';

const run = promisify(execFile);
const missing = peersSkipReason('ffmpeg', 'ffprobe');
const params: RenditionParams = {
  codec: 'h264',
  width: 320,
  height: 180,
  fps: 15,
  profile: 'high',
  sampleRate: 48000,
  channels: 2,
};
const GOP_MS = 2000;

let dir = '';
const input = (name: string): string => join(dir, name);

/** ffmpeg with lavfi sources, quietly. */
async function gen(args: string[]): Promise<void> {
  await run('ffmpeg', ['-hide_banner', '-nostdin', '-v', 'error', '-y', ...args]);
}

const x264 = ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p'];

/** The first `fraction` of a file: what an interrupted upload leaves. */
function cut(from: string, to: string, fraction = 0.5): void {
  const bytes = readFileSync(input(from));
  writeFileSync(input(to), bytes.subarray(0, Math.floor(bytes.length * fraction)));
}

/** Checks a rendition as a platform engineer would: codec, size, fps, GOP, audio, tracks ending together. */
async function expectRendition(
  file: string,
  p: RenditionParams,
  profile: string,
  clipSec: number,
): Promise<void> {
  const streams = await probeStreams(file);
  expect(streams.video).toMatchObject({ codec: 'h264', width: p.width, height: p.height, profile });
  expect(streams.video!.fps).toBeCloseTo(p.fps, 3);
  expect(streams.audio).toMatchObject({ codec: 'aac', sampleRate: p.sampleRate, channels: p.channels });
  const packets = await probePackets(file);
  const keyPts = packets.video.filter((k) => k.keyframe).map((k) => k.ptsMs);
  expect(keyPts.length).toBe(Math.ceil(clipSec / (GOP_MS / 1000)));
  for (let i = 1; i < keyPts.length; i++) expect(keyPts[i]! - keyPts[i - 1]!).toBe(GOP_MS);
  expect(packets.video[0]!.keyframe).toBe(true);
  const videoEnd = Math.max(...packets.video.map((k) => k.ptsMs)) + 1000 / p.fps;
  const audioEnd = packets.audio.at(-1)!.ptsMs + (1024 * 1000) / p.sampleRate;
  expect(Math.abs(videoEnd - audioEnd)).toBeLessThan(100);
  expect(videoEnd - packets.video[0]!.ptsMs).toBeCloseTo(clipSec * 1000, -2);
  expect(await decodeErrors(file)).toBe('');
}

/** Luma of one decoded frame at `sec`, as rows of bytes. */
async function lumaAt(file: string, sec: number, width: number): Promise<Buffer[]> {
  const { stdout } = await run(
    'ffmpeg',
    [
      '-v',
      'error',
      '-ss',
      String(sec),
      '-i',
      file,
      '-frames:v',
      '1',
      '-f',
      'rawvideo',
      '-pix_fmt',
      'gray',
      '-',
    ],
    { encoding: 'buffer', maxBuffer: 16 * 1024 * 1024 },
  );
  const rows: Buffer[] = [];
  for (let y = 0; y + width <= stdout.length; y += width) rows.push(stdout.subarray(y, y + width));
  return rows;
}

/** The brightest pixel in columns [from, to) of a frame. */
function maxLuma(rows: Buffer[], from: number, to: number): number {
  let max = 0;
  for (const row of rows) for (let x = from; x < to; x++) max = Math.max(max, row.readUInt8(x));
  return max;
}

async function expectRefused(
  promise: Promise<unknown>,
  codes: FallbackError['code'][],
): Promise<FallbackError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(FallbackError);
  expect(codes).toContain((err as FallbackError).code);
  return err as FallbackError;
}

describe.skipIf(missing !== '')(`fallback media with real ffmpeg ${missing}`, () => {
  beforeAll(async () => {
    dir = makeTempDir('fallback-media', 'process');
    const sine = (rate: number, sec: number): string[] => [
      '-f',
      'lavfi',
      '-i',
      `sine=frequency=440:sample_rate=${rate}:duration=${sec}`,
    ];
    await Promise.all([
      gen([
        '-f',
        'lavfi',
        '-i',
        'testsrc2=size=640x360:rate=25:duration=5',
        ...sine(44100, 5),
        ...x264,
        '-c:a',
        'aac',
        '-ac',
        '1',
        input('good.mp4'),
      ]),
      gen([
        '-f',
        'lavfi',
        '-i',
        'testsrc2=size=180x320:rate=30:duration=4',
        ...sine(48000, 4),
        ...x264,
        '-c:a',
        'aac',
        input('portrait.mp4'),
      ]),
      gen([
        '-f',
        'lavfi',
        '-i',
        'testsrc2=size=240x180:rate=25:duration=4',
        ...x264,
        input('four-three-silent.mp4'),
      ]),
      gen([...sine(48000, 3), '-c:a', 'aac', input('audio-only.m4a')]),
      gen(['-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=15:duration=12', ...x264, input('long.ts')]),
    ]);
    await gen([
      '-i',
      input('good.mp4'),
      '-c',
      'copy',
      '-movflags',
      '+faststart',
      input('good-faststart.mp4'),
    ]);
    await gen(['-i', input('good.mp4'), '-c', 'copy', input('good.mkv')]);
    cut('good.mp4', 'cut.mp4');
    cut('good-faststart.mp4', 'cut-faststart.mp4');
    cut('good.mkv', 'cut.mkv');
    writeFileSync(input('notes.txt'), 'This is not a video.\n'.repeat(200));
  });

  describe('probeMedia', () => {
    it('describes a good upload', async () => {
      const media = await probeMedia(input('good.mp4'));
      expect(media.durationSec).toBeCloseTo(5, 0);
      expect(media.video).toMatchObject({ codec: 'h264', width: 640, height: 360, fps: 25 });
      expect(media.audio).toMatchObject({ codec: 'aac', sampleRate: 44100, channels: 1 });
    });

    it.each([
      ['notes.txt', ['NOT_MEDIA']],
      ['audio-only.m4a', ['NO_VIDEO']],
      ['cut.mp4', ['TRUNCATED', 'NOT_MEDIA']], // moov atom at the end: gone
      ['cut-faststart.mp4', ['TRUNCATED']], // index whole, media half gone
      ['cut.mkv', ['TRUNCATED']],
    ] as const)('refuses %s (%s), without naming server paths', async (name, codes) => {
      const err = await expectRefused(probeMedia(input(name)), [...codes]);
      expect(err.message).not.toContain(dir);
      // Plain words on one line: ffmpeg's own text ("moov atom not found", "Invalid data found…")
      // stays in the cause, for the logs.
      expect(err.message).not.toMatch(/\n|moov atom|invalid data found|\[\w+ @ 0x/i);
    });

    it('says FFMPEG_MISSING when ffprobe is not installed', async () => {
      const programs = { ffmpeg: '/nonexistent/ffmpeg', ffprobe: '/nonexistent/ffprobe' };
      await expectRefused(probeMedia(input('good.mp4'), { programs }), ['FFMPEG_MISSING']);
    });
  });

  describe('conform', () => {
    it('makes an exact rendition: size, fps, profile, 2 s GOP, AAC rate and channels, tracks ending together', async () => {
      const out = join(makeTempDir('conform'), 'good.flv');
      const progress: number[] = [];
      await conform(input('good.mp4'), out, params, { onProgress: (p) => progress.push(p) });
      await expectRendition(out, params, 'High', 5);
      expect(progress[0]).toBe(0);
      expect(progress.at(-1)).toBe(100);
      for (let i = 1; i < progress.length; i++) expect(progress[i]).toBeGreaterThanOrEqual(progress[i - 1]!);
      expect(existsSync(`${out}.partial`)).toBe(false);
      // What the switcher would read from it is exactly what was asked for.
      const loop = await LoopSource.open(out);
      expect(paramsFromHeaders(loop.headers.video, loop.headers.audio, params.fps)).toMatchObject(params);
      expect(loop.headers.metadata).toBeDefined();
      expect(loop.loopDurationMs).toBeGreaterThanOrEqual(4990);
      expect(loop.loopDurationMs).toBeLessThanOrEqual(5060);
      loop.close(); // it holds the rendition open
    });

    it('pads a portrait clip (never stretches it): black bars left and right', async () => {
      const out = join(makeTempDir('conform'), 'portrait.flv');
      await conform(input('portrait.mp4'), out, params);
      await expectRendition(out, params, 'High', 4);
      // 180x320 fitted into 320x180 is 100x180 (even width), centred: 110 black columns each side.
      const rows = await lumaAt(out, 1, params.width);
      expect(rows.length).toBe(params.height);
      expect(maxLuma(rows, 0, 105)).toBeLessThanOrEqual(20);
      expect(maxLuma(rows, 215, 320)).toBeLessThanOrEqual(20);
      expect(maxLuma(rows, 115, 205)).toBeGreaterThan(100);
    });

    it('pads a 4:3 clip and gives an audio-less clip a silent AAC track', async () => {
      const out = join(makeTempDir('conform'), 'four-three.flv');
      const p: RenditionParams = { ...params, profile: 'main', sampleRate: 44100, channels: 1 };
      await conform(input('four-three-silent.mp4'), out, p);
      await expectRendition(out, p, 'Main', 4);
      const rows = await lumaAt(out, 1, p.width);
      expect(maxLuma(rows, 0, 38)).toBeLessThanOrEqual(20); // 240x180 centred in 320x180: 40 px bars
      expect(maxLuma(rows, 282, 320)).toBeLessThanOrEqual(20);
      const { stderr } = await run('ffmpeg', [
        '-hide_banner',
        '-i',
        out,
        '-map',
        '0:a',
        '-af',
        'volumedetect',
        '-f',
        'null',
        '-',
      ]);
      const maxVolume = Number(
        /max_volume: (-?[\d.]+|-inf) dB/.exec(stderr)?.[1]?.replace('-inf', '-Infinity'),
      );
      expect(maxVolume).toBeLessThan(-80);
    });

    it('leaves nothing under the output name when ffmpeg fails or is aborted', async () => {
      const tmp = makeTempDir('conform');
      const out = join(tmp, 'bad.flv');
      const probe = { durationSec: 5, video: { codec: 'h264', width: 640, height: 360, fps: 25 } };
      // A file the probe was told is fine but ffmpeg cannot open (no MP4 index).
      await expectRefused(conform(input('cut.mp4'), out, params, { probe }), ['CONFORM_FAILED']);
      // An abort mid-run: ffmpeg reads a FIFO that stays open after a whole stream, so it is surely still
      // running (and has opened its .partial output) when the abort comes.
      const fifo = join(makeTempDir('fifo'), 'upload.ts');
      await run('mkfifo', [fifo]);
      const feeder = createWriteStream(fifo);
      feeder.on('error', () => undefined); // EPIPE once ffmpeg is killed
      feeder.write(readFileSync(input('long.ts')));
      const controller = new AbortController();
      const aborted = conform(fifo, join(tmp, 'aborted.flv'), params, { signal: controller.signal, probe });
      await waitFor(() => existsSync(join(tmp, 'aborted.flv.partial')), {
        what: 'ffmpeg to open its output',
      });
      controller.abort();
      await expectRefused(aborted, ['CONFORM_FAILED']);
      feeder.destroy();
      expect(readdirSync(tmp)).toEqual([]);
    });
  });

  it('renders a slate at the given params: 4 s, text or not, silent audio, same encoding rules', async () => {
    const out = join(makeTempDir('slate'), 'slate.flv');
    const p: RenditionParams = { ...params, profile: 'baseline', sampleRate: 44100, channels: 1 };
    await renderSlate(out, p);
    await expectRendition(out, p, 'Constrained Baseline', 4);
    const rows = await lumaAt(out, 1, p.width);
    expect(maxLuma(rows.slice(0, 40), 0, p.width)).toBeLessThan(40); // the dark card
    const { stdout: filters } = await run('ffmpeg', ['-hide_banner', '-filters']);
    // With drawtext (Debian's ffmpeg 5.1 has it, and fonts-dejavu-core), white text in the middle.
    if (/ drawtext /.test(filters)) expect(maxLuma(rows.slice(70, 110), 0, p.width)).toBeGreaterThan(200);
    const loop = await LoopSource.open(out);
    expect(paramsFromHeaders(loop.headers.video, loop.headers.audio, p.fps)).toMatchObject(p);
    loop.close();
  });

  describe('FallbackLibrary', () => {
    const upload = (library: FallbackLibrary, name: string): string => {
      const tmp = library.incomingPath();
      copyFileSync(input(name), tmp);
      return tmp;
    };

    it('conforms an accepted upload with progress, and keeps it when later uploads are refused', async () => {
      const library = new FallbackLibrary({ dataDir: makeTempDir('library') });
      const events: FallbackJob[] = [];
      library.on('job', (job) => events.push(job));
      const job = await library.accept('main', upload(library, 'good.mp4'), 'My Clip.mp4', params);
      expect(job).toMatchObject({ channelId: 'main', key: renditionKey(params), kind: 'upload' });
      expect((await jobFinished(library, job.id)).state).toBe('done');
      const mine = events.filter((e) => e.id === job.id);
      expect(mine[0]).toMatchObject({ state: 'queued', percent: 0 });
      expect(mine.at(-1)).toMatchObject({ state: 'done', percent: 100 });
      // Progress while running moves in steps of at least 1 %, never backwards.
      const percents = mine.filter((e) => e.state === 'running').map((e) => e.percent);
      expect(percents[0]).toBe(0);
      for (let i = 1; i < percents.length; i++)
        expect(percents[i]! - percents[i - 1]!).toBeGreaterThanOrEqual(1);
      const playing = library.current('main', params);
      expect(playing?.kind).toBe('upload');
      await expectRendition(playing!.file, params, 'High', 5);
      expect(library.info('main')).toMatchObject({
        original: { name: 'My Clip.mp4', sizeBytes: readFileSync(input('good.mp4')).length },
        renditions: [{ key: renditionKey(params) }],
      });

      for (const [name, codes] of [
        ['notes.txt', ['NOT_MEDIA']],
        ['cut.mp4', ['TRUNCATED', 'NOT_MEDIA']],
        ['cut-faststart.mp4', ['TRUNCATED']],
        ['audio-only.m4a', ['NO_VIDEO']],
      ] as const) {
        const tmp = upload(library, name);
        await expectRefused(library.accept('main', tmp, name, params), [...codes]);
        expect(existsSync(tmp), `${name}: the refused upload is deleted`).toBe(false);
        expect(library.info('main').original?.name, `${name}: the previous upload stays`).toBe('My Clip.mp4');
        expect(library.current('main', params), `${name}: the previous fallback plays on`).toEqual(playing);
        expect(existsSync(playing!.file)).toBe(true);
      }
      library.close();
    });

    it('refuses an upload over the size cap', async () => {
      const library = new FallbackLibrary({ dataDir: makeTempDir('library'), maxUploadBytes: 1000 });
      await expectRefused(library.accept('main', upload(library, 'good.mp4'), 'big.mp4', params), [
        'TOO_LARGE',
      ]);
      expect(library.info('main')).toEqual({ renditions: [] });
      library.close();
    });

    it('prepares slate first, then one conform at a time; current() moves from slate to upload; remove() keeps the slate', async () => {
      const library = new FallbackLibrary({ dataDir: makeTempDir('library') });
      const first = await library.accept('a', upload(library, 'good.mp4'), 'a.mp4', params);
      const second = await library.accept('b', upload(library, 'portrait.mp4'), 'b.mp4', params);
      const other: RenditionParams = { ...params, width: 256, height: 144 };
      const events: FallbackJob[] = [];
      let running = 0;
      let mostRunning = 0;
      library.on('job', (job) => {
        events.push(job);
        if (job.kind !== 'upload') return;
        if (job.state === 'running' && job.percent === 0) running++;
        if (job.state === 'done' || job.state === 'failed') running--;
        mostRunning = Math.max(mostRunning, running);
      });
      library.prepare('a', other);
      library.prepare('a', other); // the same job, not a second one
      expect(library.jobs('a').filter((j) => j.key === renditionKey(other))).toHaveLength(1);
      const slateFile = await library.slate(other);
      expect(library.current('b', other)).toEqual({ file: slateFile, kind: 'slate' });
      for (const job of library.jobs()) await jobFinished(library, job.id);
      expect(mostRunning).toBeLessThanOrEqual(1);
      expect(library.jobs().every((j) => j.state === 'done')).toBe(true);
      expect([first.id, second.id].every((id) => library.job(id)?.state === 'done')).toBe(true);
      const slateDone = events.findIndex((e) => e.kind === 'slate' && e.state === 'done');
      const otherStarted = events.findIndex(
        (e) => e.key === renditionKey(other) && e.kind === 'upload' && e.state === 'running',
      );
      expect(slateDone).toBeLessThan(otherStarted);
      expect(library.current('a', other)?.kind).toBe('upload');
      await expectRendition(library.current('a', other)!.file, other, 'High', 5);
      library.remove('a');
      expect(library.info('a')).toEqual({ renditions: [] });
      expect(library.current('a', other)).toEqual({ file: slateFile, kind: 'slate' });
      library.close();
    });

    it('keeps any channel id inside its own directory', async () => {
      const dataDir = makeTempDir('library');
      const library = new FallbackLibrary({ dataDir });
      const job = await library.accept(
        '../../evil',
        upload(library, 'four-three-silent.mp4'),
        '../../x.mp4',
        params,
      );
      expect((await jobFinished(library, job.id)).state).toBe('done');
      expect(readdirSync(join(dataDir, 'fallback', 'channels'))).toEqual(['%2E%2E%2F%2E%2E%2Fevil']);
      const channelDir = join(dataDir, 'fallback', 'channels', '%2E%2E%2F%2E%2E%2Fevil');
      expect(readdirSync(channelDir).sort()).toEqual(['clips', 'current.json']);
      const [clip] = readdirSync(join(channelDir, 'clips'));
      expect(readdirSync(join(channelDir, 'clips', clip!)).sort()).toEqual([
        'clip.json',
        'renditions',
        'source',
      ]);
      expect(readdirSync(dataDir)).toEqual(['fallback']);
      library.close();
    });
  });
});
