import { audioConfigOf } from '../media/audio-tag.js';
import type { MediaPacket } from '../media/packet.js';
import { aacSequenceHeaderTag } from '../media/silent-aac.js';
import { paramsFromHeaders, type RenditionParams } from './params.js';

/**
 * The rendition parameters of a live stream with one track, so its fallback is made before the first
 * drop: a video-only stream's video with the audio format it is given silence in (`base`'s, the
 * fallback's current); an audio-only stream's audio with `base`'s picture (the one it borrows).
 * Undefined when the one track cannot be matched (not H.264, not AAC, unknown frame rate).
 */
export function oneTrackParams(
  video: MediaPacket | undefined,
  audio: MediaPacket | undefined,
  fps: number | undefined,
  base: RenditionParams,
): RenditionParams | undefined {
  if (video && !audio) {
    const silence: MediaPacket = {
      kind: 'audio',
      dts: 0,
      payload: aacSequenceHeaderTag(base.sampleRate, base.channels),
      keyframe: false,
      header: true,
    };
    return paramsFromHeaders(video, silence, fps);
  }
  if (audio && !video) {
    try {
      const config = audioConfigOf(audio.payload);
      if (config.codec !== 'aac' || config.channels < 1 || config.channels > 8) return undefined;
      return { ...base, sampleRate: config.sampleRate, channels: config.channels };
    } catch {
      return undefined;
    }
  }
  return undefined;
}
