/** ffprobe + ffmpeg as the judges of an upload: what it holds, and whether it is whole. */
import { FallbackError } from './errors.js';
import {
  defaultPrograms,
  runProgram,
  type FfmpegPrograms,
  type RunOptions,
  type RunResult,
} from './child-process.js';

export {
  defaultPrograms,
  runProgram,
  type FfmpegPrograms,
  type RunOptions,
  type RunResult,
} from './child-process.js';

/** What {@link probeMedia} learnt about an upload. */
export interface ProbedMedia {
  /** Playable length in seconds (container duration, or what demuxing found when it has none). */
  durationSec: number;
  /** The first real video stream (cover art is not video). */
  video?: { codec: string; width: number; height: number; fps: number; durationSec?: number };
  /** The first audio stream. */
  audio?: { codec: string; sampleRate: number; channels: number; durationSec?: number };
}

/** Options of {@link probeMedia}. */
export interface ProbeOptions {
  /** Stops ffprobe/ffmpeg (rejects with CONFORM_FAILED). */
  signal?: AbortSignal;
  /** Which executables to run. */
  programs?: FfmpegPrograms;
}

interface RawStream {
  codec_type?: string;
  codec_name?: string;
  width?: number;
  height?: number;
  avg_frame_rate?: string;
  r_frame_rate?: string;
  sample_rate?: string;
  channels?: number;
  duration?: string;
  disposition?: { attached_pic?: number };
}

/** Demuxer messages that mean the file stops before its own index says it should. */
const TRUNCATION =
  /partial file|moov atom not found|ended prematurely|truncat|unexpected end|premature end|invalid data found when processing input/i;
/** How much of an upload is decoded to prove it decodes; all of it is demuxed. */
const HEAD_DECODE_SEC = 5;
const PROBE_TIMEOUT_MS = 60_000;
const CHECK_TIMEOUT_MS = 5 * 60_000;

/**
 * Checks an upload with ffprobe, then reads it with ffmpeg to prove it is whole and decodes. Throws
 * FallbackError NOT_MEDIA (not media, a still image, no decodable video), NO_VIDEO (audio only) or
 * TRUNCATED (cut short), FFMPEG_MISSING, or CONFORM_FAILED on abort.
 */
export async function probeMedia(file: string, options: ProbeOptions = {}): Promise<ProbedMedia> {
  const programs = options.programs ?? defaultPrograms;
  const run = (program: string, args: string[], more: RunOptions = {}): Promise<RunResult> =>
    runProgram(program, args, { ...more, ...(options.signal ? { signal: options.signal } : {}) });
  const probe = await run(
    programs.ffprobe,
    ['-v', 'error', '-show_streams', '-show_format', '-of', 'json', file],
    {
      timeoutMs: PROBE_TIMEOUT_MS,
    },
  );
  const stderr = hidePath(probe.stderrTail, file).trim();
  if (probe.code !== 0) {
    if (TRUNCATION.test(stderr) && /moov atom not found/i.test(stderr)) {
      throw new FallbackError('TRUNCATED', `the file is incomplete (no MP4 index): ${stderr}`);
    }
    throw new FallbackError('NOT_MEDIA', `not a media file ffmpeg can read${stderr ? `: ${stderr}` : ''}`);
  }
  const json = parseJson(probe.stdout) as {
    streams?: RawStream[];
    format?: { format_name?: string; duration?: string };
  };
  const formatName = json.format?.format_name ?? '';
  // ffprobe reads images and ANSI text as one-frame "video"; a fallback needs a moving clip.
  if (/(^|,)(image2|tty)(,|$)|_pipe(,|$)/.test(formatName)) {
    throw new FallbackError('NOT_MEDIA', `a ${formatName} file is not a video clip`);
  }
  const streams = json.streams ?? [];
  const v = streams.find((s) => s.codec_type === 'video' && s.disposition?.attached_pic !== 1);
  const a = streams.find((s) => s.codec_type === 'audio');
  if (v === undefined) {
    if (a !== undefined) throw new FallbackError('NO_VIDEO', 'the file has no video track (audio only)');
    throw new FallbackError('NOT_MEDIA', 'the file has no audio or video streams');
  }
  if (!v.width || !v.height) throw new FallbackError('NOT_MEDIA', 'the video track has no picture size');
  const media: ProbedMedia = { durationSec: seconds(json.format?.duration) };
  media.video = { codec: v.codec_name ?? 'unknown', width: v.width, height: v.height, fps: frameRate(v) };
  const videoDuration = seconds(v.duration);
  if (Number.isFinite(videoDuration)) media.video.durationSec = videoDuration;
  if (a !== undefined) {
    media.audio = {
      codec: a.codec_name ?? 'unknown',
      sampleRate: Number(a.sample_rate ?? 0),
      channels: a.channels ?? 0,
    };
    const audioDuration = seconds(a.duration);
    if (Number.isFinite(audioDuration)) media.audio.durationSec = audioDuration;
  }
  if (!Number.isFinite(media.durationSec)) media.durationSec = videoDuration;
  await checkIntegrity(file, media, programs, run);
  return media;
}

type Run = (program: string, args: string[], more?: RunOptions) => Promise<RunResult>;

/**
 * Demuxes the whole file (-c copy: truncation is a container fact, and reading even 2 GB this way takes
 * seconds, where decoding a long 4K clip would keep the uploader waiting minutes), then decodes its first
 * seconds to prove the codecs decode. Decoder warnings alone are not fatal: real phone clips have a few.
 */
async function checkIntegrity(
  file: string,
  media: ProbedMedia,
  programs: FfmpegPrograms,
  run: Run,
): Promise<void> {
  const declared = media.durationSec;
  const base = ['-hide_banner', '-nostdin', '-nostats', '-v', 'warning', '-progress', 'pipe:1'];
  const maps = ['-map', '0:V:0', '-map', '0:a:0?']; // V: video that is not cover art
  const more = { progress: true, watch: TRUNCATION, timeoutMs: CHECK_TIMEOUT_MS };
  const demux = await run(
    programs.ffmpeg,
    [...base, '-i', file, ...maps, '-c', 'copy', '-f', 'null', '-'],
    more,
  );
  const problem = demux.matches[0];
  if (problem !== undefined) {
    throw new FallbackError('TRUNCATED', `the file is damaged or incomplete: ${hidePath(problem, file)}`);
  }
  if (demux.code !== 0) {
    const last = demux.stderrTail.trim().split('\n').at(-1) ?? '';
    throw new FallbackError('NOT_MEDIA', `ffmpeg cannot read the file: ${hidePath(last, file)}`);
  }
  if (demux.frames === 0) throw new FallbackError('NOT_MEDIA', 'the video track holds no frames');
  if (!Number.isFinite(declared)) media.durationSec = demux.outTimeSec;
  else if (declared - demux.outTimeSec > Math.max(1, declared * 0.1)) {
    const found = demux.outTimeSec.toFixed(1);
    throw new FallbackError(
      'TRUNCATED',
      `the file ends at ${found} s but says it lasts ${declared.toFixed(1)} s`,
    );
  }
  const head = ['-t', String(HEAD_DECODE_SEC), '-i', file, ...maps, '-f', 'null', '-'];
  const decode = await run(programs.ffmpeg, [...base, ...head], more);
  if (decode.code !== 0 || decode.frames === 0) {
    const last = decode.stderrTail.trim().split('\n').at(-1) ?? '';
    throw new FallbackError('NOT_MEDIA', `the video does not decode: ${hidePath(last, file)}`);
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new FallbackError('NOT_MEDIA', 'ffprobe output is not JSON', { cause: err });
  }
}

function seconds(text: string | undefined): number {
  const n = Number(text ?? NaN);
  return Number.isFinite(n) && n > 0 ? n : NaN;
}

function frameRate(s: RawStream): number {
  for (const text of [s.avg_frame_rate, s.r_frame_rate]) {
    const [num, den] = (text ?? '').split('/').map(Number);
    if (num !== undefined && den !== undefined && num > 0 && den > 0) return num / den;
  }
  return NaN;
}

/**
 * An ffmpeg message fit for the uploader: the server's path becomes 'upload' (none of their business), and
 * the '[mov,mp4,m4a,3gp,3g2,mj2 @ 0x55cb79918080] ' prefixes go.
 */
function hidePath(text: string, file: string): string {
  return text
    .split(file)
    .join('upload')
    .replace(/\[[^\]\n]* @ 0x[0-9a-f]+\] ?/g, '');
}
