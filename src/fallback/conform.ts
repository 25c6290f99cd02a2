import { existsSync, readdirSync } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { silentLogger, type Logger } from '../shared/logger.js';
import { remuxMp4ToEflv } from './eflv-remux.js';
import { FallbackError } from './errors.js';
import {
  defaultPrograms,
  probeMedia,
  runProgram,
  UPLOAD_INPUT_OPTIONS,
  type FfmpegPrograms,
  type ProbedMedia,
} from './ffmpeg.js';
import type { RenditionParams } from './params.js';

/** Options of {@link conform} and {@link renderSlate}. */
export interface ConformOptions {
  /** 0-100 as ffmpeg advances (every progress line; throttle in the caller). */
  onProgress?: (percent: number) => void;
  /** Kills ffmpeg; the promise rejects with CONFORM_FAILED and no output is left behind. */
  signal?: AbortSignal;
  /** Which executables to run. */
  programs?: FfmpegPrograms;
  /** The input as probed already (saves a probe run); probed here when absent. */
  probe?: ProbedMedia;
  /** Longest rendition to make, in seconds (a loop source holds its rendition in memory). */
  maxDurationSec?: number;
  /** Where to say that a slate has no text. */
  logger?: Logger;
}

/** Keyframe interval platforms ask for (YouTube, Twitch: 2 s). */
const GOP_SEC = 2;
/**
 * A static card loops invisibly, so two GOPs are enough, and they render in a fraction of the time of
 * ten seconds: at 1080p60 on a busy machine the slate for new parameters must be ready before a drop.
 */
const SLATE_SEC = 4;
const SLATE_COLOR = '0x101820';
/** Rendition bitrate: ~0.1 bit per pixel per frame, enough for a clip that is looped, within a platform's cap. */
const BITS_PER_PIXEL = 0.1;
const MIN_VIDEO_KBPS = 200;
const MAX_VIDEO_KBPS = 6000;
/** Background work: let the relay have the CPU first. */
const NICE = 10;

/**
 * Transcodes `input` into an FLV rendition at `output` with ONE ffmpeg run: H.264 at the params' profile,
 * size (scaled to fit and padded, never stretched) and frame rate, closed GOP every 2 s without scene-cut
 * keyframes, AAC-LC at the params' rate and channels (silence when the input has none), audio and video
 * ending together. Written to `output.partial`, renamed on success, so `output` is always whole.
 */
export async function conform(
  input: string,
  output: string,
  params: RenditionParams,
  options: ConformOptions = {},
): Promise<void> {
  const probe = options.probe ?? (await probeMedia(input, pick(options)));
  // The video decides the length; audio is padded with silence or cut to it. (Cutting both to the shorter
  // track, as first planned, would drop video for a slightly short audio track; and Matroska reports no
  // per-stream durations to take the minimum of.)
  let durationSec = probe.video?.durationSec ?? probe.durationSec;
  if (!Number.isFinite(durationSec) || durationSec <= 0) durationSec = probe.durationSec;
  if (options.maxDurationSec !== undefined) durationSec = Math.min(durationSec, options.maxDurationSec);
  const vf = [
    'yadif=deint=interlaced', // only touches frames flagged interlaced (camcorder uploads)
    `fps=${fpsArg(params.fps)}`,
    `scale=${params.width}:${params.height}:force_original_aspect_ratio=decrease:force_divisible_by=2${scaleColour(params)}`,
    `pad=${params.width}:${params.height}:(ow-iw)/2:(oh-ih)/2:color=black`,
    'setsar=1',
    `format=${params.profile === 'main10' ? 'yuv420p10le' : 'yuv420p'}`,
  ].join(',');
  const args = [...UPLOAD_INPUT_OPTIONS, '-i', input];
  if (probe.audio) {
    // async=1:first_pts=0 fills a late-starting track with silence; apad lets -shortest/-t cut it at the
    // video's end, so a slightly short audio track never shortens the video.
    args.push('-map', '0:V:0', '-map', '0:a:0', '-af', 'aresample=async=1:first_pts=0,apad');
  } else {
    const silence = `anullsrc=r=${params.sampleRate}:cl=stereo`; // -ac below makes it mono if need be
    args.push('-f', 'lavfi', '-i', silence, '-map', '0:V:0', '-map', '1:a:0');
  }
  args.push('-vf', vf, ...encodeArgs(params));
  // -t bounds the infinite silence/padding even where ffmpeg 5.1's -shortest overshoots.
  args.push('-t', durationSec.toFixed(3), '-shortest', '-map_metadata', '-1', '-map_chapters', '-1');
  await runToFile(params.codec, args, output, durationSec, options);
}

/**
 * Renders the built-in slate for `params`: a dark card with `text` (when this ffmpeg has drawtext and a
 * font is installed; plain otherwise, logged), silent audio, 4 s, encoded exactly like {@link conform}.
 */
export async function renderSlate(
  output: string,
  params: RenditionParams,
  text = 'Stream will be right back',
  options: ConformOptions = {},
): Promise<void> {
  const logger = options.logger ?? silentLogger;
  const font = await slateFont(options.programs ?? defaultPrograms);
  const inputs = [
    '-f', 'lavfi', '-i', `color=c=${SLATE_COLOR}:s=${params.width}x${params.height}:r=${fpsArg(params.fps)}`,
    '-f', 'lavfi', '-i', `anullsrc=r=${params.sampleRate}:cl=stereo`,
    '-map', '0:V:0', '-map', '1:a:0',
  ]; // prettier-ignore
  const tail = [...encodeArgs(params), '-t', String(SLATE_SEC)];
  const slateFormat = `format=${params.profile === 'main10' ? 'yuv420p10le' : 'yuv420p'}`;
  if (font !== undefined && text !== '') {
    const size = Math.max(12, Math.round(params.height / 14));
    const drawtext =
      `drawtext=fontfile=${escapeFilterValue(font)}:expansion=none:text=${escapeFilterValue(text)}` +
      `:fontcolor=white:fontsize=${size}:x=(w-text_w)/2:y=(h-text_h)/2`;
    try {
      await runToFile(
        params.codec,
        [...inputs, '-vf', `${drawtext},${slateFormat}`, ...tail],
        output,
        SLATE_SEC,
        options,
      );
      return;
    } catch (err) {
      if (options.signal?.aborted || (err instanceof FallbackError && err.code === 'FFMPEG_MISSING'))
        throw err;
      logger.warn({ err }, 'slate with text failed; rendering a plain slate instead');
    }
  } else {
    logger.warn('ffmpeg has no drawtext filter or no font is installed: the slate has no text');
  }
  await runToFile(params.codec, [...inputs, '-vf', slateFormat, ...tail], output, SLATE_SEC, options);
}

/** The video and audio encoder settings shared by conform and slate: what platforms must see unchanged. */
function encodeArgs(p: RenditionParams): string[] {
  const gop = String(Math.max(1, Math.round(p.fps * GOP_SEC)));
  const kbps = Math.round(
    Math.min(MAX_VIDEO_KBPS, Math.max(MIN_VIDEO_KBPS, (p.width * p.height * p.fps * BITS_PER_PIXEL) / 1000)),
  );
  const pixFmt = p.profile === 'main10' ? 'yuv420p10le' : 'yuv420p';
  // Closed GOP of exactly 2 s: keyint = min-keyint, no scene-cut keyframes, and forced keys on the 2 s
  // grid so a fractional frame rate (29.97) cannot drift off it.
  const gopArgs = ['-g', gop, '-keyint_min', gop, '-force_key_frames', `expr:gte(t,n_forced*${GOP_SEC})`];
  const rate = ['-b:v', `${kbps}k`, '-maxrate', `${kbps}k`, '-bufsize', `${kbps * 2}k`];
  let video: string[];
  switch (p.codec) {
    case 'h264':
      video = [
        '-c:v', 'libx264', '-preset', 'veryfast', '-profile:v', p.profile, '-pix_fmt', pixFmt,
        ...(p.level === undefined ? [] : ['-level:v', p.level]),
        '-sc_threshold', '0', '-x264-params', `keyint=${gop}:min-keyint=${gop}:scenecut=0:open-gop=0`,
        ...gopArgs, ...rate,
      ]; // prettier-ignore
      break;
    case 'hevc': {
      const level = p.level === undefined ? '' : `:level-idc=${p.level}`;
      video = [
        '-c:v', 'libx265', '-preset', 'veryfast', '-profile:v', p.profile, '-pix_fmt', pixFmt, '-tag:v', 'hvc1',
        '-x265-params', `keyint=${gop}:min-keyint=${gop}:scenecut=0:open-gop=0:log-level=error${level}`,
        ...gopArgs, ...rate,
      ]; // prettier-ignore
      break;
    }
    case 'av1':
      // SVT-AV1 is the fast AV1 encoder Debian ships; its key frames are closed (intra refresh type 2).
      video = ['-c:v', 'libsvtav1', '-preset', '10', '-pix_fmt', pixFmt, ...gopArgs, '-b:v', `${kbps}k`];
      break;
  }
  return [
    ...video,
    ...colourArgs(p),
    // Debian's ffmpeg has no HE-AAC encoder (no libfdk_aac): an HE-AAC live gets AAC-LC at the rate and
    // channel count its decoder outputs, which is what players hear and show.
    '-c:a', 'aac', '-profile:a', 'aac_low', '-b:a', `${Math.min(320, 64 * p.channels)}k`,
    '-ar', String(p.sampleRate), '-ac', String(p.channels),
  ]; // prettier-ignore
}

/** The live stream's colour description, tagged in the rendition's VUI / sequence header. */
function colourArgs(p: RenditionParams): string[] {
  const c = p.colour;
  if (c === undefined) return [];
  return [
    '-color_primaries', String(c.primaries), '-color_trc', String(c.transfer),
    '-colorspace', String(c.matrix), '-color_range', c.fullRange ? 'pc' : 'tv',
  ]; // prettier-ignore
}

/** The scale filter's output matrix and range, so the pixels are what the tags say. */
function scaleColour(p: RenditionParams): string {
  const c = p.colour;
  if (c === undefined) return '';
  const matrix = MATRIX_NAMES[c.matrix];
  return `${matrix === undefined ? '' : `:out_color_matrix=${matrix}`}:out_range=${c.fullRange ? 'pc' : 'tv'}`;
}

/** H.273 matrix_coefficients → swscale's names. */
const MATRIX_NAMES: Partial<Record<number, string>> = {
  1: 'bt709',
  5: 'bt601',
  6: 'bt601',
  9: 'bt2020',
  4: 'fcc',
  7: 'smpte240m',
};

/** 29.97 → 30000/1001 (the exact NTSC rate); integers as they are; anything else to the ms. */
function fpsArg(fps: number): string {
  const ntsc = Math.round(fps * 1.001);
  if (!Number.isInteger(fps) && Math.abs(fps - (ntsc * 1000) / 1001) < 0.001) return `${ntsc * 1000}/1001`;
  return String(Math.round(fps * 1000) / 1000);
}

/** Runs ffmpeg into `output.partial` and renames it over `output` only when ffmpeg succeeded. */
async function runToFile(
  codec: RenditionParams['codec'],
  args: string[],
  output: string,
  durationSec: number,
  options: ConformOptions,
): Promise<void> {
  const partial = `${output}.partial`;
  await mkdir(dirname(output), { recursive: true });
  const head = ['-hide_banner', '-nostdin', '-nostats', '-v', 'error', '-y', '-progress', 'pipe:1'];
  options.onProgress?.(0);
  try {
    // ffmpeg 5.1 writes only H.264 into FLV: HEVC and AV1 go through an MP4, remuxed to E-FLV below.
    const direct = codec === 'h264';
    const target = direct ? ['-f', 'flv', partial] : ['-f', 'mp4', `${partial}.mp4`];
    const result = await runProgram(
      (options.programs ?? defaultPrograms).ffmpeg,
      [...head, ...args, ...target],
      {
        ...pick(options),
        progress: true,
        durationSec,
        nice: NICE,
        ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      },
    );
    if (result.code !== 0) {
      throw new FallbackError(
        'CONFORM_FAILED',
        `ffmpeg exited ${result.code}: ${lastLines(result.stderrTail) || 'no message'}`,
      );
    }
    if (!direct)
      await remuxMp4ToEflv(`${partial}.mp4`, partial, options.programs ?? defaultPrograms, options.signal);
    if ((await stat(partial)).size === 0)
      throw new FallbackError('CONFORM_FAILED', 'ffmpeg wrote an empty file');
    // Checked just before the rename: an abort (a newer upload, shutdown) must not publish an old rendition.
    if (options.signal?.aborted)
      throw new FallbackError('CONFORM_FAILED', 'ffmpeg aborted', { cause: options.signal.reason });
    await rename(partial, output);
  } catch (err) {
    await rm(partial, { force: true });
    throw err;
  } finally {
    await rm(`${partial}.mp4`, { force: true });
  }
  options.onProgress?.(100);
}

/** The end of ffmpeg's stderr, short enough for a job's `error` field: the cause is in the last lines. */
function lastLines(text: string): string {
  return text.trim().split('\n').slice(-3).join(' | ').slice(-500);
}

function pick(options: ConformOptions): { signal?: AbortSignal; programs?: FfmpegPrograms } {
  return {
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.programs ? { programs: options.programs } : {}),
  };
}

/**
 * A filter option value escaped for both levels ffmpeg parses (filter options, then the filtergraph):
 * font paths and the slate text may hold ':' ',' '\'' and the like.
 */
function escapeFilterValue(value: string): string {
  const option = value.replace(/[\\':]/g, (c) => `\\${c}`);
  return option.replace(/[\\'[\],;]/g, (c) => `\\${c}`);
}

let fontLookup: Promise<string | undefined> | undefined;

/** A TrueType font for drawtext, found once: drawtext must exist, then fc-match, then a font directory. */
function slateFont(programs: FfmpegPrograms): Promise<string | undefined> {
  fontLookup ??= (async () => {
    try {
      const filters = await runProgram(programs.ffmpeg, ['-hide_banner', '-filters']);
      if (!/^\s*\S+\s+drawtext\s/m.test(filters.stdout)) return undefined;
      const match = await runProgram('fc-match', ['-f', '%{file}', 'DejaVu Sans:bold']).catch(
        () => undefined,
      );
      const file = match?.stdout.trim();
      if (match?.code === 0 && file && /\.(ttf|otf)$/i.test(file) && existsSync(file)) return file;
      return fontFromDirs(['/usr/share/fonts', '/usr/local/share/fonts']);
    } catch {
      return undefined;
    }
  })();
  return fontLookup;
}

function fontFromDirs(dirs: string[]): string | undefined {
  for (const dir of dirs) {
    let files: string[];
    try {
      files = readdirSync(dir, { recursive: true, encoding: 'utf8' });
    } catch {
      continue;
    }
    const ttf = files.filter((f) => /\.ttf$/i.test(f)).sort();
    const best = ttf.find((f) => /DejaVuSans(-Bold)?\.ttf$/i.test(f)) ?? ttf[0];
    if (best !== undefined) return join(dir, best);
  }
  return undefined;
}
