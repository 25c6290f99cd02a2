import { inspectVideoTag } from './video-tag.js';

/**
 * Whether a video keyframe tag is a point where a decoder can start with nothing before it: the only
 * safe place to splice one source into another. FLV's keyframe flag is not enough: with open GOP an
 * encoder flags I pictures whose leading B pictures reference the previous GOP (H.264 recovery point
 * I slices, HEVC CRA), which decode as garbage after a splice.
 *
 *   H.264 (ISO 14496-10 7.4.1.2): an IDR slice, nal_unit_type 5.
 *   HEVC (ITU-T H.265 7.4.2.2): IDR_W_RADL 19, IDR_N_LP 20 (and BLA 16-18, built for splicing: their
 *     leading pictures are dropped); CRA 21 is not (its RASL pictures reference the previous GOP).
 *   AV1 (AV1 spec 5.9.2, 7.5): a temporal unit with a sequence header and a frame header whose
 *     show_existing_frame is 0 and frame_type KEY_FRAME (0).
 *
 * NAL units in FLV are length-prefixed; `lengthSize` comes from the decoder configuration (4 for every
 * encoder seen). Returns undefined when it cannot tell (another codec, a payload that does not parse):
 * the caller then trusts the FLV flag.
 */
export function isRandomAccess(payload: Buffer, lengthSize = 4): boolean | undefined {
  let info;
  try {
    info = inspectVideoTag(payload);
  } catch {
    return undefined;
  }
  if (!info.keyframe || info.multitrack) return info.keyframe ? undefined : false;
  const data = payload.subarray(info.dataOffset);
  try {
    switch (info.codec) {
      case 'avc':
        return someNal(data, lengthSize, (first) => (first & 0x1f) === 5);
      case 'hevc':
        return someNal(data, lengthSize, (first) => {
          const type = (first >>> 1) & 0x3f;
          return type >= 16 && type <= 20;
        });
      case 'av1':
        return av1KeyTemporalUnit(data);
      case 'vp9':
      case 'vp8':
      case 'other':
        return undefined;
    }
  } catch {
    return undefined;
  }
}

/** Walks length-prefixed NAL units; throws RangeError on a length that runs past the data. */
function someNal(data: Buffer, lengthSize: number, test: (firstByte: number) => boolean): boolean {
  let pos = 0;
  let found = false;
  while (pos < data.length) {
    const length = data.readUIntBE(pos, lengthSize);
    pos += lengthSize;
    if (length === 0 || pos + length > data.length) throw new RangeError('NAL unit runs past the frame');
    if (test(data.readUInt8(pos))) found = true;
    pos += length;
  }
  return found;
}

const obuSequenceHeader = 1;
const obuFrameHeader = 3;
const obuFrame = 6;

/** OBUs with size fields (as in FLV/MP4): a sequence header and a KEY_FRAME header. */
function av1KeyTemporalUnit(data: Buffer): boolean {
  let pos = 0;
  let sequenceHeader = false;
  let keyFrame = false;
  while (pos < data.length) {
    const header = data.readUInt8(pos);
    const type = (header >>> 3) & 0x0f;
    const hasExtension = (header & 0x04) !== 0;
    const hasSize = (header & 0x02) !== 0;
    pos += 1 + (hasExtension ? 1 : 0);
    let size = data.length - pos;
    if (hasSize) {
      size = 0;
      for (let i = 0; i < 8; i++) {
        const byte = data.readUInt8(pos++);
        size += (byte & 0x7f) * 2 ** (7 * i);
        if ((byte & 0x80) === 0) break;
      }
    }
    if (pos + size > data.length) throw new RangeError('OBU runs past the frame');
    if (type === obuSequenceHeader) sequenceHeader = true;
    if ((type === obuFrame || type === obuFrameHeader) && size > 0) {
      // uncompressed_header: show_existing_frame:1, frame_type:2 (0 = KEY_FRAME); not a reduced
      // still-picture header, which a live stream does not use.
      const first = data.readUInt8(pos);
      if ((first & 0x80) === 0 && (first & 0x60) === 0) keyFrame = true;
    }
    pos += size;
  }
  return sequenceHeader && keyFrame;
}

/** The NAL length size of an AVC/HEVC sequence header tag (4 when it cannot be read). */
export function nalLengthSize(sequenceHeader: Buffer | undefined): number {
  if (!sequenceHeader) return 4;
  try {
    const info = inspectVideoTag(sequenceHeader);
    const record = sequenceHeader.subarray(info.dataOffset);
    if (info.codec === 'avc' && record.length > 4) return (record.readUInt8(4) & 0x03) + 1;
    if (info.codec === 'hevc' && record.length > 21) return (record.readUInt8(21) & 0x03) + 1;
  } catch {
    // garbled: the usual size
  }
  return 4;
}
