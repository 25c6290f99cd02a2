import { BitReader, unescapeRbsp } from './bit-reader.js';
import { MediaError, wrapMediaErrors } from './errors.js';
import type { ColourDescription, VideoConfig } from './codec-config.js';
import { readVuiColour } from './vui-colour.js';

/**
 * AVCDecoderConfigurationRecord (ISO/IEC 14496-15 5.3.3.1), the body of an AVC sequence header:
 *
 *  byte 0    configurationVersion = 1
 *  byte 1    AVCProfileIndication (profile_idc)
 *  byte 2    profile_compatibility (constraint_set0..5 flags)
 *  byte 3    AVCLevelIndication (level_idc)
 *  byte 4    111111 lengthSizeMinusOne:2
 *  byte 5    111 numOfSequenceParameterSets:5
 *  then      { sequenceParameterSetLength UI16, SPS NAL unit } x numOfSequenceParameterSets
 *            numOfPictureParameterSets UI8, { UI16 length, PPS NAL unit } x n
 *            (High profiles: chroma_format, bit depths, SPS extensions; not needed here)
 *
 * Width and height come from the first SPS (ITU-T H.264 7.3.2.1.1), with frame cropping applied.
 */
export function parseAvcDecoderConfig(record: Buffer): VideoConfig {
  return wrapMediaErrors('CONFIG_MALFORMED', 'AVC decoder configuration record', () => parse(record));
}

function parse(record: Buffer): VideoConfig {
  const version = record.readUInt8(0);
  if (version !== 1) throw new MediaError('CONFIG_MALFORMED', `avcC version ${version}, expected 1`);
  const spsCount = record.readUInt8(5) & 0x1f;
  if (spsCount === 0) throw new MediaError('CONFIG_MALFORMED', 'avcC has no SPS');
  const spsLength = record.readUInt16BE(6);
  if (spsLength < 4 || 8 + spsLength > record.length) {
    throw new MediaError('CONFIG_MALFORMED', `avcC SPS length ${spsLength} does not fit`);
  }
  const sps = record.subarray(8, 8 + spsLength);
  const nalType = sps.readUInt8(0) & 0x1f;
  if (nalType !== 7) throw new MediaError('CONFIG_MALFORMED', `avcC SPS has NAL type ${nalType}`);
  const info = parseAvcSps(unescapeRbsp(sps.subarray(1)));
  const hex = (n: number): string => n.toString(16).padStart(2, '0');
  return {
    codec: 'avc',
    profile: info.profile,
    level: info.level,
    width: info.width,
    height: info.height,
    // From the record's own bytes 1-3, which browsers and MSE expect to match the SPS.
    codecString: `avc1.${hex(record.readUInt8(1))}${hex(record.readUInt8(2))}${hex(record.readUInt8(3))}`,
    ...(info.colour !== undefined && { colour: info.colour }),
  };
}

/** What the SPS says about the picture. */
export interface AvcSpsInfo {
  profileIdc: number;
  constraintFlags: number;
  levelIdc: number;
  profile: string;
  level: string;
  width: number;
  height: number;
  /** From the VUI's video_signal_type, when present (H.264 E.1.1). */
  colour?: ColourDescription;
}

/** profile_idc values whose SPS carries chroma_format_idc, bit depths and scaling lists (H.264 7.3.2.1.1). */
const HIGH_PROFILES = new Set([100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135, 144]);

/**
 * seq_parameter_set_data() RBSP, after the NAL header byte (H.264 7.3.2.1.1), up to frame cropping:
 *  profile_idc u(8), constraint_set flags u(8), level_idc u(8), seq_parameter_set_id ue(v),
 *  [high profiles: chroma_format_idc ue, (separate_colour_plane u1), bit depths ue ue, bypass u1,
 *   seq_scaling_matrix_present u1 → 8 or 12 scaling lists], log2_max_frame_num_minus4 ue,
 *  pic_order_cnt_type ue (+ its fields), max_num_ref_frames ue, gaps u1, pic_width_in_mbs_minus1 ue,
 *  pic_height_in_map_units_minus1 ue, frame_mbs_only_flag u1, (mb_adaptive u1), direct_8x8 u1,
 *  frame_cropping_flag u1, (crop left/right/top/bottom ue).
 */
export function parseAvcSps(rbsp: Buffer): AvcSpsInfo {
  const r = new BitReader(rbsp);
  const profileIdc = r.readBits(8);
  const constraintFlags = r.readBits(8);
  const levelIdc = r.readBits(8);
  r.readUE(); // seq_parameter_set_id
  let chromaFormatIdc = 1;
  let separateColourPlane = false;
  if (HIGH_PROFILES.has(profileIdc)) {
    chromaFormatIdc = r.readUE();
    if (chromaFormatIdc > 3)
      throw new MediaError('CONFIG_MALFORMED', `SPS chroma_format_idc ${chromaFormatIdc}`);
    if (chromaFormatIdc === 3) separateColourPlane = r.readFlag();
    r.readUE(); // bit_depth_luma_minus8
    r.readUE(); // bit_depth_chroma_minus8
    r.readBit(); // qpprime_y_zero_transform_bypass_flag
    if (r.readFlag()) {
      const lists = chromaFormatIdc === 3 ? 12 : 8;
      for (let i = 0; i < lists; i++) if (r.readFlag()) skipScalingList(r, i < 6 ? 16 : 64);
    }
  }
  r.readUE(); // log2_max_frame_num_minus4
  const pocType = r.readUE();
  if (pocType === 0) {
    r.readUE(); // log2_max_pic_order_cnt_lsb_minus4
  } else if (pocType === 1) {
    r.readBit(); // delta_pic_order_always_zero_flag
    r.readSE(); // offset_for_non_ref_pic
    r.readSE(); // offset_for_top_to_bottom_field
    const cycle = r.readUE();
    if (cycle > 255) throw new MediaError('CONFIG_MALFORMED', `SPS poc cycle length ${cycle}`);
    for (let i = 0; i < cycle; i++) r.readSE();
  } else if (pocType !== 2) {
    throw new MediaError('CONFIG_MALFORMED', `SPS pic_order_cnt_type ${pocType}`);
  }
  r.readUE(); // max_num_ref_frames
  r.readBit(); // gaps_in_frame_num_value_allowed_flag
  const widthMbs = r.readUE() + 1;
  const heightMapUnits = r.readUE() + 1;
  const frameMbsOnly = r.readBit();
  if (frameMbsOnly === 0) r.readBit(); // mb_adaptive_frame_field_flag
  r.readBit(); // direct_8x8_inference_flag
  let cropLeft = 0;
  let cropRight = 0;
  let cropTop = 0;
  let cropBottom = 0;
  if (r.readFlag()) {
    cropLeft = r.readUE();
    cropRight = r.readUE();
    cropTop = r.readUE();
    cropBottom = r.readUE();
  }
  // Crop units (H.264 7.4.2.1.1, Table 6-1): chroma subsampling, and field pairs when not frame-only.
  const chromaArrayType = separateColourPlane ? 0 : chromaFormatIdc;
  const subWidthC = chromaArrayType === 1 || chromaArrayType === 2 ? 2 : 1;
  const subHeightC = chromaArrayType === 1 ? 2 : 1;
  const cropUnitX = chromaArrayType === 0 ? 1 : subWidthC;
  const cropUnitY = (chromaArrayType === 0 ? 1 : subHeightC) * (2 - frameMbsOnly);
  const width = widthMbs * 16 - cropUnitX * (cropLeft + cropRight);
  const height = (2 - frameMbsOnly) * heightMapUnits * 16 - cropUnitY * (cropTop + cropBottom);
  if (width <= 0 || height <= 0) throw new MediaError('CONFIG_MALFORMED', `SPS crops to ${width}x${height}`);
  let colour: ColourDescription | undefined;
  try {
    colour = r.readFlag() ? readVuiColour(r) : undefined;
  } catch {
    colour = undefined; // an SPS cut right after the size still tells the size
  }
  return {
    profileIdc,
    constraintFlags,
    levelIdc,
    profile: avcProfileName(profileIdc, constraintFlags),
    level: avcLevelName(profileIdc, constraintFlags, levelIdc),
    width,
    height,
    ...(colour !== undefined && { colour }),
  };
}

/** scaling_list() (H.264 7.3.2.1.1.1): only read to get past it. */
function skipScalingList(r: BitReader, size: number): void {
  let last = 8;
  let next = 8;
  for (let j = 0; j < size; j++) {
    if (next !== 0) next = (last + r.readSE() + 256) % 256;
    last = next === 0 ? last : next;
  }
}

const CONSTRAINT_SET1 = 0x40;
const CONSTRAINT_SET3 = 0x10;

/** Profile names as libavcodec (and so ffprobe) prints them (H.264 Annex A.2). */
export function avcProfileName(profileIdc: number, constraintFlags: number): string {
  const intra = (constraintFlags & CONSTRAINT_SET3) !== 0;
  switch (profileIdc) {
    case 66:
      return constraintFlags & CONSTRAINT_SET1 ? 'Constrained Baseline' : 'Baseline';
    case 77:
      return 'Main';
    case 88:
      return 'Extended';
    case 100:
      return 'High';
    case 110:
      return intra ? 'High 10 Intra' : 'High 10';
    case 122:
      return intra ? 'High 4:2:2 Intra' : 'High 4:2:2';
    case 144:
      return 'High 4:4:4';
    case 244:
      return intra ? 'High 4:4:4 Intra' : 'High 4:4:4 Predictive';
    case 44:
      return 'CAVLC 4:4:4';
    case 118:
      return 'Multiview High';
    case 128:
      return 'Stereo High';
    default:
      return `Profile ${profileIdc}`;
  }
}

function avcLevelName(profileIdc: number, constraintFlags: number, levelIdc: number): string {
  // Level 1b: level_idc 11 + constraint_set3 in Baseline/Main/Extended, level_idc 9 elsewhere (A.3.1).
  if (levelIdc === 9) return '1b';
  if (levelIdc === 11 && constraintFlags & CONSTRAINT_SET3 && [66, 77, 88].includes(profileIdc)) return '1b';
  return `${Math.floor(levelIdc / 10)}.${levelIdc % 10}`;
}
