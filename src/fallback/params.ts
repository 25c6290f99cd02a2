import { audioConfigOf } from '../media/audio-tag.js';
import type { RenditionCodec, RenditionProfile } from '../contract/index.js';
import type { MediaPacket } from '../media/packet.js';
import type { ColourDescription, VideoConfig } from '../media/codec-config.js';
import { videoConfigOf } from '../media/video-tag.js';

export type { ColourDescription } from '../media/codec-config.js';

export type { RenditionCodec, RenditionProfile } from '../contract/index.js';

/** What a fallback rendition must match so platforms never see settings change. */
export interface RenditionParams {
  /** Video codec: the live stream's own. */
  codec: RenditionCodec;
  /** Video width in pixels (even: 4:2:0). */
  width: number;
  /** Video height in pixels (even). */
  height: number;
  /** Frames per second, e.g. 30 or 29.97. */
  fps: number;
  /** Profile family (`renditionProfiles` of the contract). */
  profile: RenditionProfile;
  /** The live stream's level ('4.1'), so a player's buffer model stays the same; absent: the encoder picks. */
  level?: string;
  /** The live stream's colour description (SPS VUI), tagged on the rendition; absent: untagged. */
  colour?: ColourDescription;
  /** AAC sample rate in Hz (what a decoder outputs). */
  sampleRate: number;
  /** AAC channel count (what a decoder outputs). */
  channels: number;
}

/** Used when no live was ever seen: 1280x720 at 30 fps, H.264 High, AAC 48 kHz stereo. */
export const defaultParams: RenditionParams = Object.freeze({
  codec: 'h264',
  width: 1280,
  height: 720,
  fps: 30,
  profile: 'high',
  sampleRate: 48000,
  channels: 2,
});

/**
 * What a platform would see change if it changed: codec, size and audio format, e.g.
 * 'h264-1280x720-48000hz-2ch'. Two renditions with the same safe key can stand in for each other.
 */
export function safeKey(p: RenditionParams): string {
  return `${p.codec}-${int(p.width)}x${int(p.height)}-${int(p.sampleRate)}hz-${int(p.channels)}ch`;
}

/**
 * The file-name key of a rendition: its safe key, then frame rate, profile, level and colour, e.g.
 * 'h264-1280x720-48000hz-2ch-30fps-high-l4.1-c1.1.1'. Only [a-z0-9.-], so it is safe as a path segment;
 * fps is rounded to 3 decimals so 30000/1001 and 29.97 share a key.
 */
export function renditionKey(p: RenditionParams): string {
  const fps = String(Math.round(p.fps * 1000) / 1000);
  let key = `${safeKey(p)}-${fps}fps-${p.profile}`;
  if (p.level !== undefined && /^[0-9]{1,2}(\.[0-9])?$/.test(p.level)) key += `-l${p.level}`;
  const c = p.colour;
  if (c !== undefined)
    key += `-c${int(c.primaries)}.${int(c.transfer)}.${int(c.matrix)}${c.fullRange ? 'f' : ''}`;
  return key;
}

function int(n: number): number {
  return Math.max(0, Math.round(n));
}

/** The video half of the params from a video sequence header; undefined for codecs we cannot encode. */
export function videoParamsOf(
  header: MediaPacket,
): Pick<RenditionParams, 'codec' | 'width' | 'height' | 'profile' | 'level' | 'colour'> | undefined {
  let video: VideoConfig;
  try {
    video = videoConfigOf(header.payload);
  } catch {
    return undefined; // a garbled or unsupported header: the live params are unknown
  }
  const codec = renditionCodec(video.codec);
  const profile = codec === undefined ? undefined : profileFamily(codec, video.profile);
  // 4:2:0 encoders cannot encode odd sizes, so such a live stream cannot be matched exactly.
  const sizeOk = video.width > 0 && video.height > 0 && video.width % 2 === 0 && video.height % 2 === 0;
  if (codec === undefined || profile === undefined || !sizeOk) return undefined;
  return {
    codec,
    width: video.width,
    height: video.height,
    profile,
    ...(video.level !== undefined && codec !== 'av1' && { level: video.level }),
    ...(video.colour !== undefined && { colour: video.colour }),
  };
}

/** The audio half of the params from an AAC sequence header; undefined for other codecs. */
export function audioParamsOf(
  header: MediaPacket,
): Pick<RenditionParams, 'sampleRate' | 'channels'> | undefined {
  try {
    const audio = audioConfigOf(header.payload);
    // Channel count 0 means a program_config_element describes them: not something we can reproduce.
    if (audio.codec !== 'aac' || audio.sampleRate <= 0 || audio.channels < 1 || audio.channels > 8)
      return undefined;
    return { sampleRate: audio.sampleRate, channels: audio.channels };
  } catch {
    return undefined;
  }
}

/** The params of the live input from its sequence headers and a frame rate; undefined if any is unusable. */
export function paramsFromHeaders(
  videoHeader: MediaPacket | undefined,
  audioHeader: MediaPacket | undefined,
  fps: number | undefined,
): RenditionParams | undefined {
  if (videoHeader === undefined || audioHeader === undefined) return undefined;
  if (fps === undefined || !Number.isFinite(fps) || fps < 1 || fps > 240) return undefined;
  const video = videoParamsOf(videoHeader);
  const audio = audioParamsOf(audioHeader);
  if (video === undefined || audio === undefined) return undefined;
  return { ...video, fps, ...audio };
}

function renditionCodec(codec: VideoConfig['codec']): RenditionCodec | undefined {
  if (codec === 'avc') return 'h264';
  if (codec === 'hevc' || codec === 'av1') return codec;
  return undefined;
}

/** ffprobe-style profile name ('Constrained Baseline', 'High 10', 'Main 10'…) to the family we encode. */
function profileFamily(codec: RenditionCodec, name: string): RenditionProfile | undefined {
  switch (codec) {
    case 'h264':
      if (name === 'Baseline' || name === 'Constrained Baseline') return 'baseline';
      if (name === 'Main' || name === 'Extended') return 'main';
      // High 10/4:2:2/4:4:4 lives are rare; the nearest 8-bit 4:2:0 family a platform accepts is High.
      if (/^(Progressive |Constrained )?High/.test(name)) return 'high';
      return undefined;
    case 'hevc':
      if (name === 'Main' || name === 'Main Still Picture') return 'main';
      // Rext (4:2:2/4:4:4, 12-bit) is not a platform format; Main 10 is the nearest one that is.
      if (name === 'Main 10' || name === 'Rext') return 'main10';
      return undefined;
    case 'av1':
      return 'main';
  }
}
