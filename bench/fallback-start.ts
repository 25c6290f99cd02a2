/**
 * Fallback start time and memory (issue 11.10): how long from "play the fallback" (what a drop triggers)
 * to its first media packet, and how much memory the playing rendition costs, for a long 1080p rendition.
 *
 *   npx tsx bench/fallback-start.ts [--seconds 600] [--module src/fallback/loop-source.ts] [--file F]
 *
 * The rendition is made once (a 6 s 1080p30 clip at ~6 Mbit/s from ffmpeg, repeated with shifted
 * timestamps to the length asked) and kept in the temp dir. Each measurement runs in a fresh process:
 * the first start (nothing cached), then a second start of the same file, as at the next drop.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { flvHeader, flvTag, readFlv } from '../src/media/flv-file.js';

const args = process.argv.slice(2);
const option = (name: string, fallback: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? (args[i + 1] ?? fallback) : fallback;
};
const seconds = Number(option('seconds', '600'));
const modulePath = resolve(option('module', 'src/fallback/loop-source.ts'));
const file = option('file', join(tmpdir(), `restream-bench-rendition-${seconds}s.flv`));

interface LoopSourceLike {
  start(): void;
  stop(): void;
  close?: () => void;
  on(event: 'packet', fn: (p: { header: boolean; kind: string }) => void): void;
}

/** One measurement, in this process: open + start to the first media packet, then 3 s of playing. */
async function measure(): Promise<void> {
  const { LoopSource } = (await import(pathToFileURL(modulePath).href)) as {
    LoopSource: { open(file: string): Promise<LoopSourceLike> };
  };
  const mb = (n: number): number => Math.round(n / 1024 / 1024);
  const start = async (): Promise<{ ms: number; loop: LoopSourceLike }> => {
    const t0 = performance.now();
    const loop = await LoopSource.open(file);
    const first = new Promise<number>((done) => {
      loop.on('packet', (p) => {
        if (!p.header) done(performance.now());
      });
    });
    loop.start();
    return { ms: (await first) - t0, loop };
  };
  global.gc?.();
  const base = process.memoryUsage();
  let peakRss = base.rss;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 20);
  const cold = await start();
  await new Promise((r) => setTimeout(r, 3000));
  global.gc?.();
  const now = process.memoryUsage(); // while the first start plays, after GC
  clearInterval(sampler);
  cold.loop.stop();
  cold.loop.close?.();
  const warm = await start();
  warm.loop.stop();
  console.log(
    JSON.stringify({
      module: modulePath,
      fileMB: mb(statSync(file).size),
      firstStartMs: Math.round(cold.ms),
      secondStartMs: Math.round(warm.ms),
      peakRssGrowthMB: mb(peakRss - base.rss),
      arrayBuffersWhilePlayingMB: mb(now.arrayBuffers - base.arrayBuffers),
      rssWhilePlayingMB: mb(now.rss - base.rss),
    }),
  );
  process.exit(0);
}

function makeRendition(): void {
  const clip = join(tmpdir(), 'restream-bench-clip-1080p.flv');
  if (!existsSync(clip)) {
    // prettier-ignore
    execFileSync('ffmpeg', [
      '-hide_banner', '-nostdin', '-v', 'error', '-y',
      '-f', 'lavfi', '-i', 'testsrc2=size=1920x1080:rate=30,noise=alls=20:allf=t',
      '-f', 'lavfi', '-i', 'sine=sample_rate=48000', '-t', '6',
      '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '60', '-b:v', '6M', '-maxrate', '6M', '-bufsize', '12M',
      '-c:a', 'aac', '-f', 'flv', clip,
    ]);
  }
  const tags = readFlv(readFileSync(clip)).tags;
  const headers = tags.filter(
    (t) => t.timestamp === 0 && (t.kind === 'data' || t.payload.readUInt8(1) === 0),
  );
  const media = tags.filter(
    (t) => !headers.includes(t) && !(t.kind === 'video' && t.payload.readUInt8(1) === 2),
  );
  const parts: Buffer[] = [flvHeader(true, true), ...headers.map(flvTag)];
  for (let loop = 0; loop < Math.ceil(seconds / 6); loop++) {
    for (const tag of media) parts.push(flvTag({ ...tag, timestamp: tag.timestamp + loop * 6000 }));
  }
  writeFileSync(file, Buffer.concat(parts));
}

if (args.includes('--child')) {
  await measure();
} else {
  if (!existsSync(file)) makeRendition();
  const child = spawnSync(
    process.execPath,
    ['--expose-gc', '--import', 'tsx', import.meta.filename, ...args, '--child', '--file', file],
    {
      stdio: 'inherit',
    },
  );
  process.exit(child.status ?? 1);
}
