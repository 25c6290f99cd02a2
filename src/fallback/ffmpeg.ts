/** ffprobe + ffmpeg as the judges of an upload: what it holds, and whether it is whole. */
import { open } from 'node:fs/promises';
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

/**
 * The demuxers an upload may be read with: real media containers only. Never a playlist (hls), a
 * concat list, an image sequence (image2) or anything else that makes ffmpeg open other files: a
 * crafted upload must not read the server's own files into a fallback. av_match_list matches any name
 * of a demuxer's list, so 'mov' stands for 'mov,mp4,m4a,3gp,3g2,mj2' and 'matroska' for 'matroska,webm'.
 */
export const ALLOWED_DEMUXERS = ['mov', 'matroska', 'flv', 'mpegts', 'avi'] as const;

/** What the uploader is told is accepted. */
const ACCEPTED_TEXT = 'MP4/MOV, Matroska/WebM, FLV, MPEG-TS or AVI';

/**
 * Input options that go before every `-i` of an upload: only the allowed demuxers, only local files
 * (no http/concat/subfile… protocols a demuxer might follow), and no external MP4 data references.
 */
export const UPLOAD_INPUT_OPTIONS: readonly string[] = Object.freeze([
  '-format_whitelist', ALLOWED_DEMUXERS.join(','),
  '-protocol_whitelist', 'file',
]); // prettier-ignore

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
    ['-v', 'error', ...UPLOAD_INPUT_OPTIONS, '-show_streams', '-show_format', '-of', 'json', file],
    {
      timeoutMs: PROBE_TIMEOUT_MS,
    },
  );
  const stderr = hidePath(probe.stderrTail, file).trim();
  if (probe.code !== 0) {
    if (/moov atom not found/i.test(stderr) && (await looksLikeMp4(file))) {
      throw new FallbackError(
        'TRUNCATED',
        'the file is incomplete: its MP4 index is missing (the copy or the recording was cut short)',
        ffmpegSaid(stderr),
      );
    }
    const what = await sniffText(file);
    if (what !== undefined || /not on whitelist/i.test(stderr)) {
      throw new FallbackError(
        'NOT_MEDIA',
        `${what ?? 'the file'} is not an accepted video file: upload ${ACCEPTED_TEXT}`,
        ffmpegSaid(stderr),
      );
    }
    throw new FallbackError('NOT_MEDIA', 'not a media file we can read', ffmpegSaid(stderr));
  }
  const json = parseJson(probe.stdout) as {
    streams?: RawStream[];
    format?: { format_name?: string; duration?: string };
  };
  const formatName = json.format?.format_name ?? '';
  // The whitelist already refused every other demuxer; this says so in words if ffprobe ever differs.
  const names = formatName.split(',');
  if (!ALLOWED_DEMUXERS.some((d) => names.includes(d))) {
    throw new FallbackError('NOT_MEDIA', `a '${formatName}' file is not accepted: upload ${ACCEPTED_TEXT}`);
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
    [...base, ...UPLOAD_INPUT_OPTIONS, '-i', file, ...maps, '-c', 'copy', '-f', 'null', '-'],
    more,
  );
  const problem = demux.matches[0];
  if (problem !== undefined) {
    throw new FallbackError(
      'TRUNCATED',
      'the file is damaged or incomplete (it ends before its own index says it should)',
      ffmpegSaid(hidePath(problem, file)),
    );
  }
  if (demux.code !== 0) {
    const last = demux.stderrTail.trim().split('\n').at(-1) ?? '';
    throw new FallbackError(
      'NOT_MEDIA',
      'the file cannot be read as video',
      ffmpegSaid(hidePath(last, file)),
    );
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
  const head = [
    '-t',
    String(HEAD_DECODE_SEC),
    ...UPLOAD_INPUT_OPTIONS,
    '-i',
    file,
    ...maps,
    '-f',
    'null',
    '-',
  ];
  const decode = await run(programs.ffmpeg, [...base, ...head], more);
  if (decode.code !== 0 || decode.frames === 0) {
    const last = decode.stderrTail.trim().split('\n').at(-1) ?? '';
    throw new FallbackError(
      'NOT_MEDIA',
      'the video does not decode (damaged, or a codec ffmpeg lacks)',
      ffmpegSaid(hidePath(last, file)),
    );
  }
}

/** ffmpeg's own words, kept as the error's cause (for logs) rather than shown to the uploader. */
function ffmpegSaid(stderr: string): { cause: Error } {
  return { cause: new Error(stderr || 'ffmpeg gave no reason') };
}

/** Whether the file starts with an MP4 box (ftyp, mdat…): then a missing index means a cut upload, not noise. */
async function looksLikeMp4(file: string): Promise<boolean> {
  const head = await readHead(file, 12);
  return /^(ftyp|moov|mdat|free|skip|wide|pnot)$/.test(head.toString('latin1', 4, 8));
}

async function readHead(file: string, bytes: number): Promise<Buffer> {
  try {
    const handle = await open(file, 'r');
    try {
      const buf = Buffer.alloc(bytes);
      const { bytesRead } = await handle.read(buf, 0, bytes, 0);
      return buf.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  } catch {
    return Buffer.alloc(0);
  }
}

/** Names a text file that ffmpeg would treat as a list of other files, for a refusal the uploader understands. */
async function sniffText(file: string): Promise<string | undefined> {
  const head = (await readHead(file, 4096)).toString('latin1');
  if (/^(\xEF\xBB\xBF)?\s*#EXTM3U/.test(head)) return 'an HLS/M3U playlist';
  if (/^\s*ffconcat\b/.test(head) || /^\s*file\s+\S/m.test(head)) return 'a concat list';
  if (/^\s*\[playlist\]|^\s*<\?xml|^\s*<(smil|MPD|asx)/i.test(head)) return 'a playlist';
  return undefined;
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
