/**
 * Issue #11's input cases for the continuity section: encoders other than OBS at its defaults, and
 * one-track encoders (video only, audio only), each through a drop and a stall, judged at an
 * `ffmpeg -listen` receiver (the platform) by what a viewer's player would see: both tracks, one frame
 * size, one frame rate, one audio format throughout, frames got against frames due, the largest gap, and
 * for an input with sound, how much of its live tone is audible.
 *
 * Each case pre-encodes 20 s of its input once (kept in the temp dir), then publishes it like a live
 * encoder (`-re -stream_loop -1 -c copy`), with the case's own muxer flags (e.g. no onMetaData).
 * `npx tsx bench/continuity-inputs.ts` runs them alone (needs `npm run build`).
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { listenReceiver, publishFile, type Publisher, type Receiver } from '../test/helpers/ffmpeg.js';
import {
  checkTimeline,
  frameSizes,
  largestGap,
  probePackets,
  probeStreams,
} from '../test/helpers/ffprobe.js';
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
  /**
   * What the receiver must see throughout: the input's own, or for a track the input lacks, the
   * fallback's (1280x720 30 fps, AAC 48 kHz stereo by default).
   */
  expect: { size: string; fps: number; audio: string };
  /** The input carries a 440 Hz tone: the receiver's audible seconds are its live sound. */
  liveAudio: boolean;
}

const x264 = (fps: number, kbps: number): string[] => [
  '-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p', '-g', String(2 * fps),
  '-keyint_min', String(2 * fps), '-sc_threshold', '0', '-b:v', `${kbps}k`, '-maxrate', `${kbps}k`,
  '-bufsize', `${2 * kbps}k`,
]; // prettier-ignore

/** The cases of issue #11. */
export const INPUT_CASES: readonly InputCase[] = [
  {
    name: 'no metadata, 960x540 25 fps, AAC 44.1 kHz',
    encode: [
      '-f', 'lavfi', '-i', 'testsrc2=size=960x540:rate=25', '-f', 'lavfi', '-i', 'sine=sample_rate=44100',
      ...x264(25, 1500), '-c:a', 'aac', '-ar', '44100', '-ac', '2',
    ], // prettier-ignore
    publishArgs: ['-flvflags', 'no_metadata'],
    expect: { size: '960x540', fps: 25, audio: '44100Hz/2ch' },
    liveAudio: true,
  },
  {
    name: '1080p60, AAC 48 kHz',
    encode: [
      '-f', 'lavfi', '-i', 'testsrc2=size=1920x1080:rate=60', '-f', 'lavfi', '-i', 'sine=sample_rate=48000',
      ...x264(60, 6000), '-c:a', 'aac', '-ar', '48000', '-ac', '2',
    ], // prettier-ignore
    publishArgs: [],
    expect: { size: '1920x1080', fps: 60, audio: '48000Hz/2ch' },
    liveAudio: true,
  },
  {
    // The platform still gets an audio track (silence): audible seconds must stay 0.
    name: 'video only, 1280x720 30 fps',
    encode: ['-f', 'lavfi', '-i', 'testsrc2=size=1280x720:rate=30', ...x264(30, 3000), '-an'],
    publishArgs: [],
    expect: { size: '1280x720', fps: 30, audio: '48000Hz/2ch' },
    liveAudio: false,
  },
  {
    // The platform gets a borrowed picture; the live tone must get through while the input is live.
    name: 'audio only, AAC 48 kHz',
    encode: ['-f', 'lavfi', '-i', 'sine=sample_rate=48000', '-c:a', 'aac', '-ar', '48000', '-ac', '2', '-vn'],
    publishArgs: [],
    expect: { size: '1280x720', fps: 30, audio: '48000Hz/2ch' },
    liveAudio: true,
  },
];

/** What the receiver got in one case. */
export interface InputCaseResult {
  name: string;
  /** The recording has a video and an audio track. */
  bothTracks: boolean;
  /** Distinct decoded frame sizes. */
  sizes: string[];
  /** Frame rates seen, one per second of the recording (median frame step), distinct. */
  fps: number[];
  /** Distinct formats of the decoded audio frames, `rateHz/channelsch`. */
  audio: string[];
  /** Largest video DTS step (ms) and audio DTS step (NaN when the track is missing). */
  maxVideoGapMs: number;
  maxAudioGapMs: number;
  /** Every DTS step forward, per track. */
  monotonic: boolean;
  /** Video frames received, and what the expected rate over the video track's span calls for. */
  videoFrames: number;
  videoDue: number;
  /** AAC frames received, and what rate / 1024 over the audio track's span calls for. */
  audioFrames: number;
  audioDue: number;
  /** Audio track span, s, and its seconds not below -50 dB (the live tone; slate and silence are not). */
  audioSpanSeconds: number;
  audibleSeconds: number;
  /** Tracks, sizes, rates and audio as expected throughout, DTS monotonic. */
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
    // prettier-ignore
    execFileSync('ffmpeg', ['-hide_banner', '-nostdin', '-v', 'error', '-y', ...c.encode, '-t', '20', source]);
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
  } catch (err) {
    notes.push(err instanceof Error ? err.message : String(err));
  } finally {
    await publisher?.kill();
    await receiver?.stop();
    await server?.stop();
  }
  try {
    return await judge(c, recording, notes);
  } catch (err) {
    notes.push(`recording unreadable: ${err instanceof Error ? err.message : String(err)}`);
    // prettier-ignore
    return { name: c.name, bothTracks: false, sizes: [], fps: [], audio: [], maxVideoGapMs: NaN, maxAudioGapMs: NaN, monotonic: false, videoFrames: 0, videoDue: 0, audioFrames: 0, audioDue: 0, audioSpanSeconds: 0, audibleSeconds: 0, ok: false, notes };
  }
}

/** Distinct frame rates, one per second of `dtsMs` (the median step of the second's frames). */
function ratesPerSecond(dtsMs: readonly number[]): number[] {
  const fps = new Set<number>();
  for (let from = dtsMs[0] ?? 0; from < (dtsMs.at(-1) ?? 0); from += 1000) {
    const window = dtsMs.filter((d) => d >= from && d < from + 1000);
    const steps = window
      .slice(1)
      .map((d, i) => d - window[i]!)
      .sort((a, b) => a - b);
    const median = steps[Math.floor(steps.length / 2)];
    // Within a second where a switch happens the median is still the frame step; only empty ones skip.
    if (median !== undefined && median > 0 && steps.length >= 5) fps.add(Math.round(10_000 / median) / 10);
  }
  return [...fps].sort((a, b) => a - b);
}

async function judge(c: InputCase, recording: string, notes: string[]): Promise<InputCaseResult> {
  const streams = await probeStreams(recording);
  if (!streams.video) notes.push('no video track');
  if (!streams.audio) notes.push('no audio track');
  const sizes = streams.video
    ? await frameSizes(recording).catch((err: unknown) => {
        notes.push(`frame sizes: ${(err as Error).message}`);
        return [];
      })
    : [];
  const packets = await probePackets(recording);
  const video = checkTimeline(packets.video);
  const audioLine = checkTimeline(packets.audio);
  const videoSpanS = video.count > 1 ? (video.lastDtsMs - video.firstDtsMs) / 1000 : 0;
  const audioSpanS = audioLine.count > 1 ? (audioLine.lastDtsMs - audioLine.firstDtsMs) / 1000 : 0;
  const audio = streams.audio ? await audioFormats(recording) : [];
  const sampleRate = Number(/^(\d+)Hz/.exec(c.expect.audio)?.[1] ?? 48000);
  const fps = ratesPerSecond(packets.video.map((p) => p.dtsMs));
  const result: InputCaseResult = {
    name: c.name,
    bothTracks: streams.video !== undefined && streams.audio !== undefined,
    sizes,
    fps,
    audio,
    maxVideoGapMs: video.count > 1 ? Math.round(largestGap(packets.video).gapMs) : NaN,
    maxAudioGapMs: audioLine.count > 1 ? Math.round(largestGap(packets.audio).gapMs) : NaN,
    monotonic: video.monotonic && audioLine.monotonic,
    videoFrames: video.count,
    videoDue: Math.round(videoSpanS * c.expect.fps),
    audioFrames: audioLine.count,
    audioDue: Math.round((audioSpanS * sampleRate) / 1024),
    audioSpanSeconds: Math.round(audioSpanS * 10) / 10,
    audibleSeconds: streams.audio ? Math.round((await audibleSeconds(recording, audioSpanS)) * 10) / 10 : 0,
    ok: false,
    notes,
  };
  // ms timestamps: 60 fps shows as steps of 16 and 17 ms (62.5 / 58.8), 25 fps as exactly 40.
  const fpsOk = fps.length > 0 && fps.every((f) => Math.abs(f - c.expect.fps) / c.expect.fps < 0.07);
  result.ok =
    result.bothTracks &&
    result.monotonic &&
    sizes.join() === c.expect.size &&
    audio.join() === c.expect.audio &&
    fpsOk;
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

/** Seconds of `file`'s audio (spanning `spanS`) that are not silence, by ffmpeg's silencedetect. */
async function audibleSeconds(file: string, spanS: number): Promise<number> {
  // prettier-ignore
  const args = ['-hide_banner', '-nostdin', '-i', file, '-vn', '-af', 'silencedetect=noise=-50dB:d=0.2', '-f', 'null', '-'];
  const { stderr } = await run('ffmpeg', args, { maxBuffer: 64 * 1024 * 1024 });
  const silent = [...stderr.matchAll(/silence_duration: ([\d.]+)/g)].reduce(
    (sum, m) => sum + Number(m[1]),
    0,
  );
  // A silence still running at the end has a start but no duration.
  const open = /silence_start: ([\d.]+)(?![\s\S]*silence_end)/.exec(stderr);
  const tail = open ? Math.max(0, spanS - Number(open[1])) : 0;
  return Math.max(0, spanS - silent - tail);
}

const gotDue = (got: number, due: number): string =>
  due > 0 ? `${got} / ${due} (${((got / due) * 100).toFixed(0)} %)` : `${got} / –`;
const ms = (value: number): string => (Number.isFinite(value) ? value.toFixed(0) : 'none');

/** A Markdown table of the cases. */
export function inputCasesTable(results: readonly InputCaseResult[]): string {
  const rows = results.map((r) => {
    const c = INPUT_CASES.find((x) => x.name === r.name);
    const audible =
      c?.liveAudio === false
        ? `${r.audibleSeconds} (silent input)`
        : `${r.audibleSeconds} of ${r.audioSpanSeconds}`;
    return [
      r.name,
      r.bothTracks ? 'yes' : 'NO',
      r.sizes.join(', ') || 'none',
      r.fps.join(', ') || 'none',
      r.audio.join(', ') || 'none',
      gotDue(r.videoFrames, r.videoDue),
      gotDue(r.audioFrames, r.audioDue),
      `${ms(r.maxVideoGapMs)} / ${ms(r.maxAudioGapMs)}`,
      r.monotonic ? 'yes' : 'NO',
      audible,
      r.ok ? 'yes' : 'NO',
    ].join(' | ');
  });
  return [
    '| input | both tracks | sizes seen | fps seen (per second) | audio seen | video frames got / due | AAC frames got / due | max gap video / audio, ms | monotonic | audible s | constant |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows.map((row) => `| ${row} |`),
  ].join('\n');
}

// Run alone: `npx tsx bench/continuity-inputs.ts` (needs `npm run build`: the bench runs bin/restream.js).
if (process.argv[1]?.endsWith('continuity-inputs.ts') === true) {
  runInputCases((line) => {
    console.error(line);
  }).then(
    (results) => {
      console.log(inputCasesTable(results));
      for (const r of results) for (const note of r.notes) console.log(`- ${r.name}: ${note}`);
      process.exit(0);
    },
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
