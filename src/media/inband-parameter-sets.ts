/**
 * In-band parameter sets for a splice. When one H.264 source replaces another mid-stream, the new
 * source's sequence header (SPS/PPS) is sent as an FLV sequence header tag, but many receivers only read
 * that tag at the start of a stream (ffmpeg's FLV demuxer among them) and go on decoding the new frames
 * with the old PPS. Repeating the new SPS/PPS as NAL units at the head of the first keyframe makes every
 * H.264 decoder switch at exactly that frame, as an encoder with repeat-headers would.
 *
 * Legacy AVC video tag (FLV spec E.4.3.1):
 *   byte 0      frameType:4 (1 = key) | codecId:4 (7 = AVC)
 *   byte 1      AVCPacketType (0 = sequence header, 1 = NALUs)
 *   bytes 2-4   composition time offset (SI24)
 *   then        NALUs, each prefixed by its length (lengthSizeMinusOne + 1 bytes)
 * The sequence header's data is an AVCDecoderConfigurationRecord (ISO 14496-15 5.2.4.1); see avc.ts.
 */

const avcCodecId = 7;
const tagHeaderBytes = 5;

/** The SPS and PPS NAL units of an AVCDecoderConfigurationRecord and its NAL length size. */
export function avcParameterSets(record: Buffer): { lengthSize: number; nalus: Buffer[] } | undefined {
  if (record.length < 7 || record.readUInt8(0) !== 1) return undefined;
  const lengthSize = (record.readUInt8(4) & 0x03) + 1;
  const nalus: Buffer[] = [];
  let offset = 5;
  for (const mask of [0x1f, 0xff]) {
    if (offset >= record.length) return undefined;
    const count = record.readUInt8(offset) & mask;
    offset += 1;
    for (let i = 0; i < count; i++) {
      if (offset + 2 > record.length) return undefined;
      const length = record.readUInt16BE(offset);
      offset += 2;
      if (offset + length > record.length) return undefined;
      nalus.push(record.subarray(offset, offset + length));
      offset += length;
    }
  }
  return { lengthSize, nalus };
}

const nalAud = 9;

/** Bytes of a leading access unit delimiter (length prefix included), 0 when the first NAL is another. */
function audLength(nalus: Buffer, lengthSize: number): number {
  if (nalus.length <= lengthSize) return 0;
  const length = nalus.readUIntBE(0, lengthSize);
  if (length === 0 || lengthSize + length > nalus.length) return 0;
  return (nalus.readUInt8(lengthSize) & 0x1f) === nalAud ? lengthSize + length : 0;
}

/**
 * A copy of the AVC keyframe tag `keyframe` with the parameter sets of the sequence header tag
 * `sequenceHeader` in front of its NAL units; undefined when either is not a legacy AVC tag of the
 * right kind (the caller then sends the keyframe as it is).
 */
export function withInbandParameterSets(keyframe: Buffer, sequenceHeader: Buffer): Buffer | undefined {
  if (keyframe.length <= tagHeaderBytes || sequenceHeader.length <= tagHeaderBytes) return undefined;
  if ((keyframe.readUInt8(0) & 0x0f) !== avcCodecId || keyframe.readUInt8(1) !== 1) return undefined;
  if ((sequenceHeader.readUInt8(0) & 0x0f) !== avcCodecId || sequenceHeader.readUInt8(1) !== 0)
    return undefined;
  const sets = avcParameterSets(sequenceHeader.subarray(tagHeaderBytes));
  if (!sets || sets.nalus.length === 0) return undefined;
  const { lengthSize, nalus } = sets;
  // An access unit delimiter must stay the first NAL unit of the access unit (14496-10 7.4.1.2.3):
  // the parameter sets go right after it when there is one.
  const insertAt = tagHeaderBytes + audLength(keyframe.subarray(tagHeaderBytes), lengthSize);
  const added = nalus.reduce((sum, nalu) => sum + lengthSize + nalu.length, 0);
  const out = Buffer.allocUnsafe(keyframe.length + added);
  keyframe.copy(out, 0, 0, insertAt);
  let offset = insertAt;
  for (const nalu of nalus) {
    out.writeUIntBE(nalu.length, offset, lengthSize);
    offset += lengthSize;
    offset += nalu.copy(out, offset);
  }
  keyframe.copy(out, offset, insertAt);
  return out;
}
