/**
 * Issue #11's one-track inputs, measured on this server (`--continuity-only` runs them after the
 * continuity section; `npx tsx bench/continuity-tracks.ts` runs them alone): a video-only encoder and
 * an audio-only one, each through a drop (SIGKILL, a new publisher after 5 s) and a stall (SIGSTOP for
 * 5 s), with an `ffmpeg -listen` receiver as the platform. The receiver's recording, ffprobed: both
 * tracks or not, one size and one audio format or not, frames received against the frames its time
 * span calls for, monotonic DTS, the largest hole per track.
 *
 * The inputs are 1280x720 at 30 fps and AAC 48 kHz stereo, the fallback's defaults: these cases are
 * about the tracks; learning the fallback's parameters from the stream is measured by its own cases.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import {
  listenReceiver,
  publishTestStream,
  type Publisher,
  type TestStreamOptions,
} from '../test/helpers/ffmpeg.js';
import {
  checkTimeline,
  frameSizes,
  largestGap,
  probePackets,
  probeStreams,
} from '../test/helpers/ffprobe.js';
import { requireProgram } from '../test/helpers/programs.js';
import { makeTempDir } from '../test/helpers/tmp.js';
import { sleep } from './measure.js';
import { startOurServer } from './our-server.js';

/** One input. */
export type TrackCase = 'video-only' | 'audio-only';

/** What the platform got for one input. */
export interface TrackCaseResult {
  input: TrackCase;
  /** Recording span (first to last DTS over both tracks), s. */
  spanSeconds: number;
  /** Video frames received, and what 30 fps over the span calls for. */
  videoFrames: number;
  videoExpected: number;
  /** AAC frames received, and what 48 kHz / 1024 over the span calls for. */
  audioFrames: number;
  audioExpected: number;
  /** Distinct decoded frame sizes (`['1280x720']` when constant). */
  sizes: string[];
  /** Distinct audio formats of the decoded frames, `rate/channels`. */
  audioFormats: string[];
  /**
   * Seconds of audible audio (not below -50 dB): the live input's 440 Hz tone; the fallback slate and
   * a silent track are silence. For the audio-only input, how much of the live sound got through.
   */
  audibleSeconds: number;
  /** Every DTS step forward, per track. */
  monotonic: boolean;
  /** Largest DTS hole per track, ms (NaN when the track is missing). */
  videoGapMs: number;
  audioGapMs: number;
  /** What went wrong while running, if anything. */
  notes: string[];
}

const fps = 30;
const aacFramesPerSecond = 48000 / 1024;

const standardRates = [8000, 11025, 16000, 22050, 24000, 32000, 44100, 48000, 88200, 96000];

/** The standard sample rate nearest to `nbSamples` over `durationS` (FLV times are whole ms). */
function rateOf(nbSamples: number, durationS: number): number {
  const measured = nbSamples / durationS;
  return standardRates.reduce((best, rate) =>
    Math.abs(rate - measured) < Math.abs(best - measured) ? rate : best,
  );
}

/**
 * Distinct `rate Hz/channels ch` of the decoded audio frames (ffprobe 5.1 has no per-frame sample rate:
 * it is the frame's samples over its duration).
 */
function audioFormats(file: string): Promise<string[]> {
  const ffprobe = requireProgram('ffmpeg', 'ffprobe');
  // prettier-ignore
  const args = ['-v', 'error', '-select_streams', 'a:0', '-show_entries', 'frame=pkt_duration_time,nb_samples,channels', '-of', 'csv=p=0', file];
  return new Promise((resolve) => {
    execFile(ffprobe, args, { maxBuffer: 64 * 1024 * 1024 }, (err, stdout) => {
      if (err) {
        resolve([]);
        return;
      }
      const formats = stdout
        .split('\n')
        .map((line) => line.trim().split(',').map(Number))
        .filter(([duration, samples, channels]) => duration && samples && channels)
        .map(
          ([duration, samples, channels]) => `${rateOf(samples ?? 0, duration ?? 1)} Hz/${channels ?? 0} ch`,
        );
      resolve([...new Set(formats)]);
    });
  });
}

/** Seconds of `file`'s audio (spanning `spanS`) that are not silence, by ffmpeg's silencedetect. */
function audibleSeconds(file: string, spanS: number): Promise<number> {
  const ffmpeg = requireProgram('ffmpeg', 'ffmpeg');
  // prettier-ignore
  const args = ['-hide_banner', '-nostdin', '-i', file, '-vn', '-af', 'silencedetect=noise=-50dB:d=0.2', '-f', 'null', '-'];
  return new Promise((resolve) => {
    execFile(ffmpeg, args, { maxBuffer: 64 * 1024 * 1024 }, (_err, _stdout, stderr) => {
      const silent = [...stderr.matchAll(/silence_duration: ([\d.]+)/g)].reduce(
        (sum, m) => sum + Number(m[1]),
        0,
      );
      // A silence still running at the end has a start but no duration.
      const open = /silence_start: ([\d.]+)(?![\s\S]*silence_end)/.exec(stderr);
      const tail = open ? Math.max(0, spanS - Number(open[1])) : 0;
      resolve(Math.max(0, spanS - silent - tail));
    });
  });
}

/** Runs one input through a drop and a stall; returns what the receiver got. */
export async function runTrackCase(input: TrackCase, log: (line: string) => void): Promise<TrackCaseResult> {
  const notes: string[] = [];
  const file = join(makeTempDir('bench-tracks'), `${input}.flv`);
  const receiver = await listenReceiver({ outFile: file });
  const server = await startOurServer();
  const publishers: Publisher[] = [];
  try {
    await server.addPlatform('receiver', `rtmp://127.0.0.1:${receiver.port}/live`, 'key');
    const options: TestStreamOptions = {
      url: server.publishUrl,
      seconds: 120,
      width: 1280,
      height: 720,
      fps,
      ...(input === 'video-only' ? { audio: false } : { video: false }),
    };
    const publish = (): Publisher => {
      const publisher = publishTestStream(options);
      publishers.push(publisher);
      return publisher;
    };
    const first = publish();
    const deadline = Date.now() + 30_000;
    while ((await server.outputs())[0]?.state !== 'live') {
      if (Date.now() > deadline) throw new Error(`${input}: the receiver never went live`);
      await sleep(200);
    }
    log(`  ${input}: live; drop, return, stall, resume`);
    await sleep(6000);
    await first.kill();
    await sleep(5000);
    const second = publish();
    await sleep(6000);
    second.pause();
    await sleep(5000);
    second.resume();
    await sleep(6000);
  } catch (err) {
    notes.push(err instanceof Error ? err.message : String(err));
  } finally {
    await receiver.stop();
    for (const publisher of publishers) await publisher.kill();
    await server.stop();
  }
  return analyse(input, file, notes);
}

async function analyse(input: TrackCase, file: string, notes: string[]): Promise<TrackCaseResult> {
  const empty: TrackCaseResult = {
    input,
    spanSeconds: 0,
    videoFrames: 0,
    videoExpected: 0,
    audioFrames: 0,
    audioExpected: 0,
    sizes: [],
    audioFormats: [],
    audibleSeconds: 0,
    monotonic: false,
    videoGapMs: NaN,
    audioGapMs: NaN,
    notes,
  };
  try {
    const streams = await probeStreams(file);
    if (!streams.video) notes.push('no video track');
    if (!streams.audio) notes.push('no audio track');
    const packets = await probePackets(file);
    const video = checkTimeline(packets.video);
    const audio = checkTimeline(packets.audio);
    const firsts = [video.firstDtsMs, audio.firstDtsMs].filter(Number.isFinite);
    const lasts = [video.lastDtsMs, audio.lastDtsMs].filter(Number.isFinite);
    const spanSeconds = firsts.length === 0 ? 0 : (Math.max(...lasts) - Math.min(...firsts)) / 1000;
    return {
      ...empty,
      spanSeconds,
      videoFrames: video.count,
      videoExpected: Math.round(spanSeconds * fps),
      audioFrames: audio.count,
      audioExpected: Math.round(spanSeconds * aacFramesPerSecond),
      sizes: streams.video ? await frameSizes(file) : [],
      audioFormats: streams.audio ? await audioFormats(file) : [],
      audibleSeconds: streams.audio
        ? await audibleSeconds(file, (audio.lastDtsMs - audio.firstDtsMs) / 1000)
        : 0,
      monotonic: video.monotonic && audio.monotonic,
      videoGapMs: video.count > 1 ? largestGap(packets.video).gapMs : NaN,
      audioGapMs: audio.count > 1 ? largestGap(packets.audio).gapMs : NaN,
    };
  } catch (err) {
    notes.push(`recording unreadable: ${err instanceof Error ? err.message : String(err)}`);
    return empty;
  }
}

/** Both inputs, one after the other. */
export async function runTrackCases(log: (line: string) => void): Promise<TrackCaseResult[]> {
  const results: TrackCaseResult[] = [];
  for (const input of ['video-only', 'audio-only'] as const) results.push(await runTrackCase(input, log));
  return results;
}

const percent = (got: number, expected: number): string =>
  expected > 0 ? `${((got / expected) * 100).toFixed(0)} %` : '-';
const ms = (value: number): string => (Number.isFinite(value) ? value.toFixed(0) : 'none');

/** The markdown table of the one-track inputs. */
export function trackCasesTable(results: readonly TrackCaseResult[]): string {
  const rows = results.map((r) =>
    [
      r.input,
      r.spanSeconds.toFixed(1),
      `${r.videoFrames} / ${r.videoExpected} (${percent(r.videoFrames, r.videoExpected)})`,
      `${r.audioFrames} / ${r.audioExpected} (${percent(r.audioFrames, r.audioExpected)})`,
      r.sizes.join(', ') || 'none',
      r.audioFormats.join(', ') || 'none',
      r.audibleSeconds.toFixed(1),
      r.monotonic ? 'yes' : 'no',
      ms(r.videoGapMs),
      ms(r.audioGapMs),
    ].join(' | '),
  );
  return [
    '| input | span s | video frames got / due | AAC frames got / due | sizes | audio formats | audible s | monotonic | largest video hole ms | largest audio hole ms |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...rows.map((row) => `| ${row} |`),
  ].join('\n');
}

// Run alone: `npx tsx bench/continuity-tracks.ts` (needs `npm run build`: the bench runs bin/restream.js).
if (process.argv[1]?.endsWith('continuity-tracks.ts') === true) {
  runTrackCases((line) => {
    console.error(line);
  }).then(
    (results) => {
      console.log(trackCasesTable(results));
      for (const r of results) for (const note of r.notes) console.log(`- ${r.input}: ${note}`);
      process.exit(0);
    },
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
