/**
 * Issue #11's input cases for the continuity section: encoders other than OBS at its defaults, each
 * through a drop and a stall, judged at an `ffmpeg -listen` receiver (the platform) by what a viewer's
 * player would see: one frame size, one frame rate, one audio format throughout, and the largest gap.
 *
 * Each case pre-encodes 20 s of its input once (kept in the temp dir), then publishes it like a live
 * encoder (`-re -stream_loop -1 -c copy`), with the case's own muxer flags (e.g. no onMetaData). More
 * cases (video only, audio only) are entries of {@link INPUT_CASES}.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { listenReceiver, publishFile, type Publisher, type Receiver } from '../test/helpers/ffmpeg.js';
import { frameSizes, largestGap, probePackets } from '../test/helpers/ffprobe.js';
import { makeTempDir } from '../test/helpers/tmp.js';
import { sleep, warmUpServer } from './measure.js';
import { startOurServer, waitAllLive, type OurServer } from './our-server.js';

const run = promisify(execFile);

/** One input: how its 20 s source is encoded, and how it is published. */
export interface InputCase {
  name: string;
  /** ffmpeg input + encoder arguments for the source file (an FLV). */
  encode: string[];
  /** Muxer flags when publishing (e.g. `-flvflags no_metadata`). */
  publishArgs: string[];
  /** What the receiver must see throughout. */
  expect: { size: string; fps: number; audio: string };
}

const x264 = (fps: number, kbps: number): string[] => [
  '-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p', '-g', String(2 * fps),
  '-keyint_min', String(2 * fps), '-sc_threshold', '0', '-b:v', `${kbps}k`, '-maxrate', `${kbps}k`,
  '-bufsize', `${2 * kbps}k`,
]; // prettier-ignore

/** The cases of issue #11 this branch measures. */
export const INPUT_CASES: readonly InputCase[] = [
  {
    name: 'no metadata, 960x540 25 fps, AAC 44.1 kHz',
    encode: [
      '-f', 'lavfi', '-i', 'testsrc2=size=960x540:rate=25', '-f', 'lavfi', '-i', 'sine=sample_rate=44100',
      ...x264(25, 1500), '-c:a', 'aac', '-ar', '44100', '-ac', '2',
    ], // prettier-ignore
    publishArgs: ['-flvflags', 'no_metadata'],
    expect: { size: '960x540', fps: 25, audio: '44100Hz/2ch' },
  },
  {
    name: '1080p60, AAC 48 kHz',
    encode: [
      '-f', 'lavfi', '-i', 'testsrc2=size=1920x1080:rate=60', '-f', 'lavfi', '-i', 'sine=sample_rate=48000',
      ...x264(60, 6000), '-c:a', 'aac', '-ar', '48000', '-ac', '2',
    ], // prettier-ignore
    publishArgs: [],
    expect: { size: '1920x1080', fps: 60, audio: '48000Hz/2ch' },
  },
];

/** What the receiver got in one case. */
export interface InputCaseResult {
  name: string;
  sizes: string[];
  /** Frame rates seen, one per second of the recording (median frame step), distinct. */
  fps: number[];
  audio: string[];
  /** Largest video DTS step (ms) and audio DTS step. */
  maxVideoGapMs: number;
  maxAudioGapMs: number;
  videoFrames: number;
  /** Video frames received / frames at the expected rate over the recording's length. */
  framesPercent: number;
  /** Sizes, rates and audio as expected throughout. */
  ok: boolean;
  notes: string[];
}

/** Runs every case: publish, drop (SIGKILL) and come back, stall (SIGSTOP) past the timeout and resume. */
export async function runInputCases(
  log: (line: string) => void,
  cases: readonly InputCase[] = INPUT_CASES,
  stallTimeoutMs = 2000,
): Promise<InputCaseResult[]> {
  const results: InputCaseResult[] = [];
  for (const c of cases) {
    log(`  input case: ${c.name}`);
    results.push(await runCase(c, stallTimeoutMs));
  }
  return results;
}

async function runCase(c: InputCase, stallTimeoutMs: number): Promise<InputCaseResult> {
  const notes: string[] = [];
  const source = join(tmpdir(), `restream-bench-input-${c.name.replace(/[^a-z0-9]+/gi, '-')}.flv`);
  if (!existsSync(source)) {
    execFileSync('ffmpeg', [
      '-hide_banner',
      '-nostdin',
      '-v',
      'error',
      '-y',
      ...c.encode,
      '-t',
      '20',
      source,
    ]);
  }
  const dir = makeTempDir('bench-inputs', 'process');
  const recording = join(dir, 'receiver.flv');
  let receiver: Receiver | undefined;
  let server: OurServer | undefined;
  let publisher: Publisher | undefined;
  try {
    receiver = await listenReceiver({ outFile: recording });
    server = await startOurServer();
    await server.api('PUT', '/api/channels/main', {
      settings: { stallTimeoutMs, fallbackTimeoutMs: 600_000, cleanStopAction: 'end' },
    });
    await server.addPlatform('receiver', `rtmp://127.0.0.1:${receiver.port}/live`, 'key');
    const publish = (): Publisher =>
      publishFile({ url: server!.publishUrl, file: source, extraArgs: c.publishArgs });
    publisher = publish();
    if ((await waitAllLive(server, 1, 20_000)) < 1) notes.push('the receiver was not live within 20 s');
    // The fallback for the learnt parameters is made meanwhile (ffmpeg children): let it finish, as a
    // streamer's first minutes allow, then wait a little more.
    await warmUpServer(server.process.pid, 8000, notes, () => undefined);
    void publisher.kill(); // drop
    await sleep(5000);
    publisher = publish();
    await sleep(8000);
    publisher.pause(); // stall
    await sleep(stallTimeoutMs + 5000);
    publisher.resume();
    await sleep(6000);
    await publisher.stop(); // clean stop: the broadcast ends, the receiver closes its file
    try {
      await receiver.waitForExit(15_000);
    } catch {
      notes.push('the receiver did not end by itself: stopped');
      await receiver.stop();
    }
  } finally {
    await publisher?.kill();
    await receiver?.stop();
    await server?.stop();
  }
  return judge(c, recording, notes);
}

async function judge(c: InputCase, recording: string, notes: string[]): Promise<InputCaseResult> {
  const sizes = await frameSizes(recording).catch((err: unknown) => {
    notes.push(`frame sizes: ${(err as Error).message}`);
    return [];
  });
  const packets = await probePackets(recording);
  const video = packets.video.map((p) => p.dtsMs);
  const fps = new Set<number>();
  for (let from = video[0] ?? 0; from < (video.at(-1) ?? 0); from += 1000) {
    const window = video.filter((d) => d >= from && d < from + 1000);
    const steps = window
      .slice(1)
      .map((d, i) => d - window[i]!)
      .sort((a, b) => a - b);
    const median = steps[Math.floor(steps.length / 2)];
    // Within a second where a switch happens the median is still the frame step; only empty ones skip.
    if (median !== undefined && median > 0 && steps.length >= 5) fps.add(Math.round(10_000 / median) / 10);
  }
  const audio = await audioFormats(recording);
  const lengthMs = (video.at(-1) ?? 0) - (video[0] ?? 0);
  const result: InputCaseResult = {
    name: c.name,
    sizes,
    fps: [...fps].sort((a, b) => a - b),
    audio,
    maxVideoGapMs: Math.round(largestGap(packets.video).gapMs),
    maxAudioGapMs: Math.round(largestGap(packets.audio).gapMs),
    videoFrames: video.length,
    framesPercent: Math.round((video.length / Math.max(1, (lengthMs / 1000) * c.expect.fps)) * 1000) / 10,
    ok: false,
    notes,
  };
  // ms timestamps: 60 fps shows as steps of 16 and 17 ms (62.5 / 58.8), 25 fps as exactly 40.
  const fpsOk = result.fps.every((f) => Math.abs(f - c.expect.fps) / c.expect.fps < 0.07);
  result.ok = sizes.join() === c.expect.size && audio.join() === c.expect.audio && fpsOk;
  return result;
}

/** The distinct formats of the decoded audio frames (ffprobe 5.1 shows no per-frame sample rate). */
async function audioFormats(file: string): Promise<string[]> {
  const { stderr } = await run(
    'ffmpeg',
    ['-hide_banner', '-nostdin', '-i', file, '-map', '0:a:0', '-af', 'ashowinfo', '-f', 'null', '-'],
    { maxBuffer: 512 * 1024 * 1024 },
  );
  const formats = [...stderr.matchAll(/channels:(\d+) .*?rate:(\d+)/g)].map((m) => `${m[2]}Hz/${m[1]}ch`);
  return [...new Set(formats)];
}

/** A Markdown table of the cases. */
export function inputCasesTable(results: readonly InputCaseResult[]): string {
  const rows = results.map(
    (r) =>
      `| ${r.name} | ${r.sizes.join(', ')} | ${r.fps.join(', ')} | ${r.audio.join(', ')} | ` +
      `${r.maxVideoGapMs} / ${r.maxAudioGapMs} | ${r.framesPercent} % | ${r.ok ? 'yes' : 'NO'} |`,
  );
  return [
    '| input | sizes seen | fps seen (per second) | audio seen | max gap video / audio, ms | frames | constant |',
    '|---|---|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}
