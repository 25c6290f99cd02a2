/** ffprobe/ffmpeg as the judge of what a platform received: codecs, sizes, timelines, decode errors. */
import { execFile } from 'node:child_process';
import { requireProgram } from './programs.js';

/** The video and audio streams of a recording, as a platform would see them. */
export interface ProbedStreams {
  /** First video stream, if any. */
  video?: { codec: string; width: number; height: number; profile: string; fps: number };
  /** First audio stream, if any. */
  audio?: { codec: string; sampleRate: number; channels: number };
  /** Container duration in seconds (NaN when unknown). */
  durationSec: number;
}

/** One demuxed packet. Times in milliseconds; NaN where ffprobe says N/A. */
export interface ProbedPacket {
  dtsMs: number;
  ptsMs: number;
  keyframe: boolean;
  sizeBytes: number;
}

/** Packets of a recording, per stream. */
export interface ProbedPackets {
  /** Packets of the first video stream. */
  video: ProbedPacket[];
  /** Packets of the first audio stream. */
  audio: ProbedPacket[];
  /** Packets of every stream by index. */
  byStream: Map<number, ProbedPacket[]>;
}

/** What a timeline of packets looks like. */
export interface Timeline {
  /** No DTS goes backwards (equal DTS are allowed). */
  monotonic: boolean;
  /** Largest step between consecutive DTS. */
  maxGapMs: number;
  /** Number of packets. */
  count: number;
  /** First DTS (NaN when empty). */
  firstDtsMs: number;
  /** Last DTS (NaN when empty). */
  lastDtsMs: number;
  /** Index of the first packet whose DTS is lower than its predecessor's. */
  backwardsAt?: number;
}

const TIMEOUT_MS = 120_000;

function run(program: string, args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  return new Promise((resolve, reject) => {
    execFile(program, args, { maxBuffer: 512 * 1024 * 1024, timeout: TIMEOUT_MS }, (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number') {
        reject(new Error(`${program} ${args.join(' ')} failed: ${err.message}\n${stderr}`));
        return;
      }
      resolve({ stdout, stderr, code: typeof err?.code === 'number' ? err.code : 0 });
    });
  });
}

async function ffprobeJson(args: string[], file: string): Promise<unknown> {
  const ffprobe = requireProgram('ffmpeg', 'ffprobe');
  const { stdout, stderr, code } = await run(ffprobe, ['-v', 'error', ...args, '-of', 'json', file]);
  if (code !== 0) throw new Error(`ffprobe ${file} exited ${code}: ${stderr.trim()}`);
  return JSON.parse(stdout) as unknown;
}

interface RawStream {
  codec_type?: string;
  codec_name?: string;
  profile?: string;
  width?: number;
  height?: number;
  avg_frame_rate?: string;
  r_frame_rate?: string;
  sample_rate?: string;
  channels?: number;
}

function rate(text: string | undefined): number {
  if (text === undefined) return NaN;
  const [num, den] = text.split('/').map(Number);
  if (num === undefined || den === undefined || !den) return NaN;
  return num / den;
}

/** Codec, size, profile and frame rate of the video; codec, rate and channels of the audio. */
export async function probeStreams(file: string): Promise<ProbedStreams> {
  const json = (await ffprobeJson(['-show_streams', '-show_format'], file)) as {
    streams?: RawStream[];
    format?: { duration?: string };
  };
  const streams = json.streams ?? [];
  const result: ProbedStreams = { durationSec: Number(json.format?.duration ?? NaN) };
  const v = streams.find((s) => s.codec_type === 'video');
  if (v) {
    const avg = rate(v.avg_frame_rate);
    result.video = {
      codec: v.codec_name ?? '',
      width: v.width ?? 0,
      height: v.height ?? 0,
      profile: v.profile ?? '',
      fps: Number.isFinite(avg) && avg > 0 ? avg : rate(v.r_frame_rate),
    };
  }
  const a = streams.find((s) => s.codec_type === 'audio');
  if (a) {
    result.audio = {
      codec: a.codec_name ?? '',
      sampleRate: Number(a.sample_rate ?? NaN),
      channels: a.channels ?? 0,
    };
  }
  return result;
}

interface RawPacket {
  codec_type?: string;
  stream_index?: number;
  dts_time?: string;
  pts_time?: string;
  flags?: string;
  size?: string;
}

function ms(time: string | undefined): number {
  const seconds = Number(time ?? NaN);
  // Round to the µs: FLV times are whole ms, and this keeps float noise out of comparisons.
  return Number.isFinite(seconds) ? Math.round(seconds * 1_000_000) / 1000 : NaN;
}

/** Every packet's DTS, PTS, keyframe flag and size, per stream. */
export async function probePackets(file: string): Promise<ProbedPackets> {
  const json = (await ffprobeJson(
    ['-show_packets', '-show_entries', 'packet=stream_index,codec_type,dts_time,pts_time,flags,size'],
    file,
  )) as { packets?: RawPacket[] };
  const result: ProbedPackets = { video: [], audio: [], byStream: new Map() };
  let videoIndex: number | undefined;
  let audioIndex: number | undefined;
  for (const raw of json.packets ?? []) {
    const index = raw.stream_index ?? -1;
    const packet: ProbedPacket = {
      dtsMs: ms(raw.dts_time),
      ptsMs: ms(raw.pts_time),
      keyframe: raw.flags?.includes('K') ?? false,
      sizeBytes: Number(raw.size ?? 0),
    };
    let list = result.byStream.get(index);
    if (!list) {
      list = [];
      result.byStream.set(index, list);
    }
    list.push(packet);
    if (raw.codec_type === 'video' && (videoIndex ??= index) === index) result.video.push(packet);
    if (raw.codec_type === 'audio' && (audioIndex ??= index) === index) result.audio.push(packet);
  }
  return result;
}

/** Check one stream's DTS timeline: monotonic or not, where it first went back, the largest gap. */
export function checkTimeline(packets: readonly ProbedPacket[]): Timeline {
  const timeline: Timeline = {
    monotonic: true,
    maxGapMs: 0,
    count: packets.length,
    firstDtsMs: packets[0]?.dtsMs ?? NaN,
    lastDtsMs: packets[packets.length - 1]?.dtsMs ?? NaN,
  };
  for (let i = 1; i < packets.length; i++) {
    const step = packets[i]!.dtsMs - packets[i - 1]!.dtsMs;
    if (step < 0 && timeline.monotonic) {
      timeline.monotonic = false;
      timeline.backwardsAt = i;
    }
    if (step > timeline.maxGapMs) timeline.maxGapMs = step;
  }
  return timeline;
}

/** What `ffmpeg -v error -i FILE -f null -` complains about while decoding everything; '' when clean. */
export async function decodeErrors(file: string): Promise<string> {
  const ffmpeg = requireProgram('ffmpeg', 'ffmpeg');
  const { stderr, code } = await run(ffmpeg, [
    '-hide_banner',
    '-nostdin',
    '-v',
    'error',
    '-i',
    file,
    // Decode every frame as it is, on the recording's own millisecond time base: re-timed onto a 1/fps
    // grid, two frames of a splice can round to one tick and ffmpeg then complains about its own output.
    '-fps_mode',
    'passthrough',
    '-enc_time_base',
    '-1',
    '-f',
    'null',
    '-',
  ]);
  const text = stderr.trim();
  return code === 0 ? text : `${text}\n[ffmpeg exited ${code}]`.trim();
}

/** The distinct decoded video frame sizes of a recording (`['640x360']` when it never changed). */
export async function frameSizes(file: string): Promise<string[]> {
  const ffprobe = requireProgram('ffprobe', 'ffprobe');
  const out = await new Promise<string>((resolve, reject) => {
    execFile(
      ffprobe,
      [
        '-v',
        'error',
        '-select_streams',
        'v:0',
        '-show_entries',
        'frame=width,height',
        '-of',
        'csv=p=0',
        file,
      ],
      { maxBuffer: 64 * 1024 * 1024, timeout: TIMEOUT_MS },
      (err: Error | null, stdout) => {
        if (err) reject(err);
        else resolve(stdout);
      },
    );
  });
  // Some frames carry side data that adds empty CSV fields: only the first two are width and height.
  const sizes = out
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => line.trim().split(',').slice(0, 2).join('x'));
  return [...new Set(sizes)];
}

/** The largest gap between consecutive packets of a track, and where it starts (ms). */
export function largestGap(packets: readonly ProbedPacket[]): { gapMs: number; atMs: number } {
  let gapMs = 0;
  let atMs = Number.NaN;
  for (let i = 1; i < packets.length; i++) {
    const gap = packets[i]!.dtsMs - packets[i - 1]!.dtsMs;
    if (gap > gapMs) {
      gapMs = gap;
      atMs = packets[i - 1]!.dtsMs;
    }
  }
  return { gapMs, atMs };
}
