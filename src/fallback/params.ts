import { audioConfigOf } from '../media/audio-tag.js';
import type { MediaPacket } from '../media/packet.js';
import { videoConfigOf } from '../media/video-tag.js';

/** What a fallback rendition must match so platforms never see settings change. */
export interface RenditionParams {
  /** Video width in pixels (even: H.264 4:2:0). */
  width: number;
  /** Video height in pixels (even). */
  height: number;
  /** Frames per second, e.g. 30 or 29.97. */
  fps: number;
  /** H.264 profile family */
  profile: 'baseline' | 'main' | 'high';
  /** AAC sample rate in Hz. */
  sampleRate: number;
  /** AAC channel count. */
  channels: number;
}

/** Used when no live was ever seen: 1280x720 at 30 fps, H.264 High, AAC 48 kHz stereo. */
export const defaultParams: RenditionParams = Object.freeze({
  width: 1280,
  height: 720,
  fps: 30,
  profile: 'high',
  sampleRate: 48000,
  channels: 2,
});

/**
 * The file-name key of a rendition, e.g. 'h264-high-1280x720-30fps-48000hz-2ch'. Only [a-z0-9.-], so it
 * is safe as a path segment; fps is rounded to 3 decimals so 30000/1001 and 29.97 share a key.
 */
export function renditionKey(p: RenditionParams): string {
  const fps = String(Math.round(p.fps * 1000) / 1000);
  return `h264-${p.profile}-${int(p.width)}x${int(p.height)}-${fps}fps-${int(p.sampleRate)}hz-${int(p.channels)}ch`;
}

function int(n: number): number {
  return Math.max(0, Math.round(n));
}

/** The params of the live input from its sequence headers + metadata fps; undefined if not H.264+AAC or unknown. */
export function paramsFromHeaders(
  videoHeader: MediaPacket | undefined,
  audioHeader: MediaPacket | undefined,
  fps: number | undefined,
): RenditionParams | undefined {
  if (videoHeader === undefined || audioHeader === undefined) return undefined;
  if (fps === undefined || !Number.isFinite(fps) || fps < 1 || fps > 240) return undefined;
  try {
    const video = videoConfigOf(videoHeader.payload);
    const audio = audioConfigOf(audioHeader.payload);
    if (video.codec !== 'avc' || audio.codec !== 'aac') return undefined;
    const profile = profileFamily(video.profile);
    // libx264 with yuv420p cannot encode odd sizes, so such a live stream cannot be matched exactly.
    const sizeOk = video.width > 0 && video.height > 0 && video.width % 2 === 0 && video.height % 2 === 0;
    // Channel count 0 means a program_config_element describes them: not something we can reproduce.
    const audioOk = audio.sampleRate > 0 && audio.channels >= 1 && audio.channels <= 8;
    if (profile === undefined || !sizeOk || !audioOk) return undefined;
    return {
      width: video.width,
      height: video.height,
      fps,
      profile,
      sampleRate: audio.sampleRate,
      channels: audio.channels,
    };
  } catch {
    return undefined; // a garbled header: the live params are unknown
  }
}

/** ffprobe-style AVC profile name ('Constrained Baseline', 'High 10', …) to the family libx264 encodes. */
function profileFamily(name: string): RenditionParams['profile'] | undefined {
  if (name === 'Baseline' || name === 'Constrained Baseline') return 'baseline';
  if (name === 'Main' || name === 'Extended') return 'main';
  // High 10/4:2:2/4:4:4 lives are rare; the nearest 8-bit 4:2:0 family a platform accepts is High.
  if (/^(Progressive |Constrained )?High/.test(name)) return 'high';
  return undefined;
}
