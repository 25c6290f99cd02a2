import { BitReader, unescapeRbsp } from './bit-reader.js';
import { MediaError, wrapMediaErrors } from './errors.js';
import type { ColourDescription, VideoConfig } from './codec-config.js';
import { readVuiColour } from './vui-colour.js';

/**
 * HEVCDecoderConfigurationRecord (ISO/IEC 14496-15 8.3.3.1.2), the body of an HEVC SequenceStart:
 *
 *  byte 0       configurationVersion = 1
 *  byte 1       general_profile_space:2 general_tier_flag:1 general_profile_idc:5
 *  bytes 2-5    general_profile_compatibility_flags
 *  bytes 6-11   general_constraint_indicator_flags (48 bits)
 *  byte 12      general_level_idc
 *  bytes 13-14  1111 min_spatial_segmentation_idc:12
 *  byte 15      111111 parallelismType:2
 *  byte 16      111111 chromaFormat:2
 *  byte 17      11111 bitDepthLumaMinus8:3
 *  byte 18      11111 bitDepthChromaMinus8:3
 *  bytes 19-20  avgFrameRate
 *  byte 21      constantFrameRate:2 numTemporalLayers:3 temporalIdNested:1 lengthSizeMinusOne:2
 *  byte 22      numOfArrays
 *  then         { array_completeness:1 0:1 NAL_unit_type:6, numNalus UI16, { UI16 length, NAL unit } x n } x n
 *
 * Width and height come from the first SPS (NAL type 33, ITU-T H.265 7.3.2.2) minus its conformance window.
 */
export function parseHevcDecoderConfig(record: Buffer): VideoConfig {
  return wrapMediaErrors('CONFIG_MALFORMED', 'HEVC decoder configuration record', () => parse(record));
}

const NAL_SPS = 33;

function parse(record: Buffer): VideoConfig {
  const version = record.readUInt8(0);
  // Some early muxers wrote version 0; the layout is the same.
  if (version > 1) throw new MediaError('CONFIG_MALFORMED', `hvcC version ${version}, expected 1`);
  const b1 = record.readUInt8(1);
  const profileSpace = b1 >>> 6;
  const tier = (b1 >>> 5) & 1;
  const profileIdc = b1 & 0x1f;
  const compatibility = record.readUInt32BE(2);
  const levelIdc = record.readUInt8(12);
  const sps = findSps(record);
  const { width, height, colour } = parseHevcSps(unescapeRbsp(sps.subarray(2)));
  return {
    codec: 'hevc',
    profile: hevcProfileName(profileIdc),
    level: `${Math.floor(levelIdc / 30)}.${Math.floor((levelIdc % 30) / 3)}`,
    width,
    height,
    codecString: hevcCodecString(record, profileSpace, tier, profileIdc, compatibility, levelIdc),
    ...(colour !== undefined && { colour }),
  };
}

function findSps(record: Buffer): Buffer {
  const arrays = record.readUInt8(22);
  let pos = 23;
  for (let a = 0; a < arrays; a++) {
    const type = record.readUInt8(pos) & 0x3f;
    const count = record.readUInt16BE(pos + 1);
    pos += 3;
    for (let n = 0; n < count; n++) {
      const length = record.readUInt16BE(pos);
      pos += 2;
      if (pos + length > record.length)
        throw new MediaError('CONFIG_MALFORMED', 'hvcC NAL unit runs past the end');
      const nal = record.subarray(pos, pos + length);
      pos += length;
      if (type === NAL_SPS && length > 2 && ((nal.readUInt8(0) >>> 1) & 0x3f) === NAL_SPS) return nal;
    }
  }
  throw new MediaError('CONFIG_MALFORMED', 'hvcC has no SPS');
}

/**
 * seq_parameter_set_rbsp() after the 2-byte NAL header (H.265 7.3.2.2.1), up to the conformance window:
 *  sps_video_parameter_set_id u(4), sps_max_sub_layers_minus1 u(3), temporal_id_nesting u(1),
 *  profile_tier_level(1, max_sub_layers_minus1) (7.3.3), sps_seq_parameter_set_id ue(v),
 *  chroma_format_idc ue(v), (separate_colour_plane_flag u1), pic_width_in_luma_samples ue(v),
 *  pic_height_in_luma_samples ue(v), conformance_window_flag u(1), (offsets left/right/top/bottom ue(v)).
 */
export function parseHevcSps(rbsp: Buffer): { width: number; height: number; colour?: ColourDescription } {
  const r = new BitReader(rbsp);
  r.readBits(4); // sps_video_parameter_set_id
  const maxSubLayersMinus1 = r.readBits(3);
  r.readBit(); // sps_temporal_id_nesting_flag
  skipProfileTierLevel(r, maxSubLayersMinus1);
  r.readUE(); // sps_seq_parameter_set_id
  const chromaFormatIdc = r.readUE();
  if (chromaFormatIdc > 3)
    throw new MediaError('CONFIG_MALFORMED', `SPS chroma_format_idc ${chromaFormatIdc}`);
  const separateColourPlane = chromaFormatIdc === 3 ? r.readFlag() : false;
  let width = r.readUE();
  let height = r.readUE();
  if (r.readFlag()) {
    // Offsets are in chroma sample units (H.265 Table 6-1 SubWidthC / SubHeightC).
    const chromaArrayType = separateColourPlane ? 0 : chromaFormatIdc;
    const subWidthC = chromaArrayType === 1 || chromaArrayType === 2 ? 2 : 1;
    const subHeightC = chromaArrayType === 1 ? 2 : 1;
    const left = r.readUE();
    const right = r.readUE();
    const top = r.readUE();
    const bottom = r.readUE();
    width -= subWidthC * (left + right);
    height -= subHeightC * (top + bottom);
  }
  if (width <= 0 || height <= 0) throw new MediaError('CONFIG_MALFORMED', `SPS size ${width}x${height}`);
  let colour: ColourDescription | undefined;
  try {
    colour = readSpsColour(r, maxSubLayersMinus1);
  } catch {
    colour = undefined; // the size is what matters most; an SPS we cannot walk further has no colour for us
  }
  return colour === undefined ? { width, height } : { width, height, colour };
}

/**
 * The rest of seq_parameter_set_rbsp() after the conformance window (H.265 7.3.2.2.1), walked to the VUI's
 * colour description (E.2.1): bit depths, poc lsb, sub-layer ordering, block sizes, scaling lists, AMP/SAO,
 * PCM, short-term RPS (7.3.7), long-term refs, TMVP, strong intra smoothing, then
 * vui_parameters_present u1: aspect_ratio_info [idc u8 [= 255: u16 u16]], overscan [u1],
 * video_signal_type [video_format u3 full_range u1 colour_description [primaries u8 transfer u8 matrix u8]].
 */
function readSpsColour(r: BitReader, maxSubLayersMinus1: number): ColourDescription | undefined {
  r.readUE(); // bit_depth_luma_minus8
  r.readUE(); // bit_depth_chroma_minus8
  const log2MaxPocLsb = r.readUE() + 4;
  const orderingForAll = r.readFlag();
  for (let i = orderingForAll ? 0 : maxSubLayersMinus1; i <= maxSubLayersMinus1; i++) {
    r.readUE(); // sps_max_dec_pic_buffering_minus1
    r.readUE(); // sps_max_num_reorder_pics
    r.readUE(); // sps_max_latency_increase_plus1
  }
  for (let i = 0; i < 6; i++) r.readUE(); // coding/transform block sizes, transform hierarchy depths
  if (r.readFlag() && r.readFlag()) skipScalingListData(r);
  r.readBit(); // amp_enabled_flag
  r.readBit(); // sample_adaptive_offset_enabled_flag
  if (r.readFlag()) {
    r.readBits(8); // pcm sample bit depths (4 + 4)
    r.readUE(); // log2_min_pcm_luma_coding_block_size_minus3
    r.readUE(); // log2_diff_max_min_pcm_luma_coding_block_size
    r.readBit(); // pcm_loop_filter_disabled_flag
  }
  const sets = r.readUE();
  if (sets > 64) throw new MediaError('CONFIG_MALFORMED', `SPS num_short_term_ref_pic_sets ${sets}`);
  const deltaPocs: number[] = [];
  for (let i = 0; i < sets; i++) deltaPocs.push(skipShortTermRefPicSet(r, i, deltaPocs));
  if (r.readFlag()) {
    const longTerm = r.readUE();
    if (longTerm > 32) throw new MediaError('CONFIG_MALFORMED', `SPS num_long_term_ref_pics_sps ${longTerm}`);
    for (let i = 0; i < longTerm; i++) r.skipBits(log2MaxPocLsb + 1);
  }
  r.readBit(); // sps_temporal_mvp_enabled_flag
  r.readBit(); // strong_intra_smoothing_enabled_flag
  if (!r.readFlag()) return undefined; // no VUI
  return readVuiColour(r);
}

/** scaling_list_data() (H.265 7.3.4): only read to get past it. */
function skipScalingListData(r: BitReader): void {
  for (let sizeId = 0; sizeId < 4; sizeId++) {
    for (let matrixId = 0; matrixId < 6; matrixId += sizeId === 3 ? 3 : 1) {
      if (!r.readFlag()) {
        r.readUE(); // scaling_list_pred_matrix_id_delta
        continue;
      }
      if (sizeId > 1) r.readSE(); // scaling_list_dc_coef_minus8
      const coefficients = Math.min(64, 1 << (4 + (sizeId << 1)));
      for (let i = 0; i < coefficients; i++) r.readSE();
    }
  }
}

/** st_ref_pic_set(idx) in an SPS (H.265 7.3.7); returns its NumDeltaPocs for the sets predicted from it. */
function skipShortTermRefPicSet(r: BitReader, idx: number, deltaPocs: readonly number[]): number {
  if (idx !== 0 && r.readFlag()) {
    // inter_ref_pic_set_prediction: from the set just before (delta_idx_minus1 is only in slice headers).
    r.readBit(); // delta_rps_sign
    r.readUE(); // abs_delta_rps_minus1
    let count = 0;
    for (let j = 0; j <= (deltaPocs[idx - 1] ?? 0); j++) {
      const used = r.readFlag();
      if (used || r.readFlag()) count++; // use_delta_flag, inferred 1 when used
    }
    return count;
  }
  const negative = r.readUE();
  const positive = r.readUE();
  if (negative + positive > 32) throw new MediaError('CONFIG_MALFORMED', 'SPS short-term RPS too large');
  for (let i = 0; i < negative + positive; i++) {
    r.readUE(); // delta_poc_minus1
    r.readBit(); // used_by_curr_pic_flag
  }
  return negative + positive;
}

/** profile_tier_level(1, maxNumSubLayersMinus1) (H.265 7.3.3): general part is 88 + 8 bits. */
function skipProfileTierLevel(r: BitReader, maxSubLayersMinus1: number): void {
  r.skipBits(88 + 8);
  const profilePresent: boolean[] = [];
  const levelPresent: boolean[] = [];
  for (let i = 0; i < maxSubLayersMinus1; i++) {
    profilePresent.push(r.readFlag());
    levelPresent.push(r.readFlag());
  }
  if (maxSubLayersMinus1 > 0) r.skipBits(2 * (8 - maxSubLayersMinus1)); // reserved_zero_2bits
  for (let i = 0; i < maxSubLayersMinus1; i++) {
    if (profilePresent[i] === true) r.skipBits(88);
    if (levelPresent[i] === true) r.skipBits(8);
  }
}

/** Profile names as libavcodec (and so ffprobe) prints them (H.265 Annex A.3). */
export function hevcProfileName(profileIdc: number): string {
  switch (profileIdc) {
    case 1:
      return 'Main';
    case 2:
      return 'Main 10';
    case 3:
      return 'Main Still Picture';
    case 4:
      return 'Rext';
    case 9:
      return 'SCC';
    default:
      return `Profile ${profileIdc}`;
  }
}

/**
 * RFC 6381 / ISO 14496-15 Annex E codec string: hvc1.[A-C]profile.compat(bit-reversed hex).
 * (L|H)level[.constraint bytes, trailing zero bytes dropped], e.g. 'hvc1.1.6.L93.B0'.
 */
function hevcCodecString(
  record: Buffer,
  profileSpace: number,
  tier: number,
  profileIdc: number,
  compatibility: number,
  levelIdc: number,
): string {
  let reversed = 0;
  for (let i = 0; i < 32; i++) reversed = reversed * 2 + ((compatibility >>> i) & 1);
  const constraints: number[] = [];
  for (let i = 0; i < 6; i++) constraints.push(record.readUInt8(6 + i));
  while (constraints.length > 0 && constraints[constraints.length - 1] === 0) constraints.pop();
  const space = profileSpace === 0 ? '' : String.fromCharCode(0x40 + profileSpace);
  const tail = constraints.map((b) => `.${b.toString(16).toUpperCase()}`).join('');
  return `hvc1.${space}${profileIdc}.${reversed.toString(16).toUpperCase()}.${tier ? 'H' : 'L'}${levelIdc}${tail}`;
}
