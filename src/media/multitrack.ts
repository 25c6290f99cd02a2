/**
 * Enhanced RTMP v2 multitrack, reduced to its default track for a platform that takes one track
 * (Twitch, YouTube, Facebook and Kick read the first FourCC and the bytes after it as one stream).
 *
 * Multitrack video / audio tag (veovera/enhanced-rtmp v2, "Multitrack"):
 *   byte 0   video: 1 FrameType:3 PacketType:4 = 6      audio: SoundFormat:4 = 9 PacketType:4 = 5
 *   byte 1   AvMultitrackType:4 (0 OneTrack, 1 ManyTracks, 2 ManyTracksManyCodecs) | PacketType:4
 *   [FourCC:32 unless ManyTracksManyCodecs]
 *   then per track: [FourCC:32 if ManyTracksManyCodecs] TrackId:8 [SizeOfTrack:UI24 unless OneTrack]
 *                   the track's body (what follows the FourCC in a single-track tag)
 * Track 0 is the default one. The single-track tag is byte 0 with the inner PacketType, the FourCC,
 * then the body. ModEx prefixes are not reduced (the message is left whole).
 */

const videoMultitrack = 6;
const audioMultitrack = 5;
const audioExHeader = 9;
const oneTrack = 0;
const manyCodecs = 2;
const defaultTrackId = 0;

/**
 * The default track of a multitrack video or audio payload as a single-track one; `null` when the
 * message carries no default track (it is another track's: not for this platform); `undefined` when
 * the payload is not multitrack (or not one this can read): send it as it is.
 */
export function defaultTrackOf(kind: 'audio' | 'video', payload: Buffer): Buffer | null | undefined {
  if (payload.length < 2) return undefined;
  const b0 = payload.readUInt8(0);
  let first: number;
  if (kind === 'video') {
    if ((b0 & 0x80) === 0 || (b0 & 0x0f) !== videoMultitrack) return undefined;
    first = 0x80 | (b0 & 0x70);
  } else {
    if (b0 >>> 4 !== audioExHeader || (b0 & 0x0f) !== audioMultitrack) return undefined;
    first = audioExHeader << 4;
  }
  try {
    return reduce(payload, first);
  } catch {
    return undefined; // cut short: leave it to the platform, as before
  }
}

function reduce(payload: Buffer, first: number): Buffer | null {
  const b1 = payload.readUInt8(1);
  const type = b1 >>> 4;
  const packetType = b1 & 0x0f;
  let pos = 2;
  let sharedFourCc: Buffer | undefined;
  if (type !== manyCodecs) {
    sharedFourCc = payload.subarray(pos, pos + 4);
    pos += 4;
  }
  while (pos < payload.length) {
    let fourCc = sharedFourCc;
    if (type === manyCodecs) {
      fourCc = payload.subarray(pos, pos + 4);
      pos += 4;
    }
    const trackId = payload.readUInt8(pos);
    pos += 1;
    let end = payload.length;
    if (type !== oneTrack) {
      end = pos + 3 + payload.readUIntBE(pos, 3);
      pos += 3;
    }
    if (end > payload.length || !fourCc || fourCc.length < 4)
      throw new RangeError('track runs past the payload');
    if (trackId === defaultTrackId)
      return Buffer.concat([Buffer.from([first | packetType]), fourCc, payload.subarray(pos, end)]);
    if (type === oneTrack) return null;
    pos = end;
  }
  return null;
}
