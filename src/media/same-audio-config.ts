import { audioConfigOf } from './audio-tag.js';

/**
 * Whether two audio sequence header tags configure a decoder the same way. AAC configs are compared by
 * what they say (object type, output sample rate, channels): OBS sends the 2-byte AudioSpecificConfig
 * and ffmpeg a 5-byte one with the SBR sync extension saying "no SBR", which decode identically, so a
 * switch between them must not re-send a header (a mid-stream header makes some platform transcoders
 * restart; MediaMTX #5468 rejected OBS on exactly this byte compare). Other codecs, and anything that
 * does not parse, compare byte for byte.
 */
export function sameAudioConfig(a: Buffer, b: Buffer): boolean {
  if (a.equals(b)) return true;
  try {
    const left = audioConfigOf(a);
    const right = audioConfigOf(b);
    if (left.codec !== 'aac' || right.codec !== 'aac') return false;
    return (
      left.codecString === right.codecString &&
      left.sampleRate === right.sampleRate &&
      left.channels === right.channels &&
      left.channels !== 0
    );
  } catch {
    return false;
  }
}
