import { BitReader } from './bit-reader.js';
import { MediaError, wrapMediaErrors } from './errors.js';
import type { ColourDescription, VideoConfig } from './codec-config.js';

/**
 * AV1CodecConfigurationRecord (AV1 Codec ISO Media File Format Binding, section 2.3.3), the body of an
 * AV1 SequenceStart:
 *
 *  byte 0   marker:1 (=1) version:7 (=1)
 *  byte 1   seq_profile:3 seq_level_idx_0:5
 *  byte 2   seq_tier_0:1 high_bitdepth:1 twelve_bit:1 monochrome:1 chroma_subsampling_x:1
 *           chroma_subsampling_y:1 chroma_sample_position:2
 *  byte 3   reserved:3 initial_presentation_delay_present:1 initial_presentation_delay_minus_one:4
 *  4..      configOBUs: low-overhead OBUs, normally one OBU_SEQUENCE_HEADER (type 1)
 *
 * Width and height are the sequence header's max_frame_width/height (AV1 spec 5.5.1).
 */
export function parseAv1CodecConfig(record: Buffer): VideoConfig {
  return wrapMediaErrors('CONFIG_MALFORMED', 'AV1 codec configuration record', () => parse(record));
}

const OBU_SEQUENCE_HEADER = 1;
const PROFILE_NAMES = ['Main', 'High', 'Professional'] as const;

function parse(record: Buffer): VideoConfig {
  const b0 = record.readUInt8(0);
  if (b0 !== 0x81) throw new MediaError('CONFIG_MALFORMED', `av1C marker/version byte 0x${b0.toString(16)}`);
  const b1 = record.readUInt8(1);
  const b2 = record.readUInt8(2);
  record.readUInt8(3);
  const profile = b1 >>> 5;
  const levelIdx = b1 & 0x1f;
  const tier = b2 >>> 7;
  const bitDepth = b2 & 0x40 ? (b2 & 0x20 ? 12 : 10) : 8;
  const { width, height, colour } = parseAv1SequenceHeader(findSequenceHeader(record, 4));
  return {
    codec: 'av1',
    profile: PROFILE_NAMES[profile] ?? `Profile ${profile}`,
    // seq_level_idx maps to level X.Y as X = 2 + (idx >> 2), Y = idx & 3 (AV1 spec Annex A.3); 31 = no limit.
    level: levelIdx === 31 ? 'max' : `${2 + (levelIdx >>> 2)}.${levelIdx & 3}`,
    width,
    height,
    codecString: `av01.${profile}.${String(levelIdx).padStart(2, '0')}${tier ? 'H' : 'M'}.${String(bitDepth).padStart(2, '0')}`,
    ...(colour !== undefined && { colour }),
  };
}

/**
 * Walks low-overhead OBUs (AV1 spec 5.3.1):
 *  obu_header: forbidden:1 obu_type:4 obu_extension_flag:1 obu_has_size_field:1 reserved:1
 *              [extension byte] [obu_size leb128]
 * and returns the payload of the first sequence header OBU.
 */
function findSequenceHeader(buf: Buffer, start: number): Buffer {
  let pos = start;
  while (pos < buf.length) {
    const header = buf.readUInt8(pos++);
    const type = (header >>> 3) & 0x0f;
    if (header & 0x04) pos++; // obu_extension_header
    let size = buf.length - pos;
    if (header & 0x02) {
      size = 0;
      for (let i = 0; i < 8; i++) {
        const byte = buf.readUInt8(pos++);
        size += (byte & 0x7f) * 2 ** (7 * i);
        if ((byte & 0x80) === 0) break;
      }
    }
    if (pos + size > buf.length) throw new MediaError('CONFIG_MALFORMED', 'OBU runs past the end');
    if (type === OBU_SEQUENCE_HEADER) return buf.subarray(pos, pos + size);
    pos += size;
  }
  throw new MediaError('CONFIG_MALFORMED', 'av1C has no sequence header OBU');
}

/**
 * sequence_header_obu() (AV1 spec 5.5.1) up to max_frame_height_minus_1:
 *  seq_profile f(3) still_picture f(1) reduced_still_picture_header f(1)
 *  reduced: seq_level_idx[0] f(5)
 *  else:    timing_info_present f(1) [timing_info, decoder_model_info_present f(1) [decoder_model_info]]
 *           initial_display_delay_present f(1) operating_points_cnt_minus_1 f(5)
 *           per op: idc f(12) seq_level_idx f(5) [tier f(1) if idx > 7] [decoder model] [display delay]
 *  frame_width_bits_minus_1 f(4) frame_height_bits_minus_1 f(4)
 *  max_frame_width_minus_1 f(n) max_frame_height_minus_1 f(n)
 */
export function parseAv1SequenceHeader(obu: Buffer): {
  width: number;
  height: number;
  colour?: ColourDescription;
} {
  const r = new BitReader(obu);
  const seqProfile = r.readBits(3);
  r.readBit(); // still_picture
  const reduced = r.readFlag();
  if (reduced) {
    r.readBits(5); // seq_level_idx[0]
  } else {
    let decoderModelInfoPresent = false;
    let bufferDelayLength = 0;
    if (r.readFlag()) {
      // timing_info()
      r.readBits(32); // num_units_in_display_tick
      r.readBits(32); // time_scale
      if (r.readFlag()) r.readUvlc(); // equal_picture_interval → num_ticks_per_picture_minus_1
      decoderModelInfoPresent = r.readFlag();
      if (decoderModelInfoPresent) {
        bufferDelayLength = r.readBits(5) + 1;
        r.readBits(32); // num_units_in_decoding_tick
        r.readBits(5); // buffer_removal_time_length_minus_1
        r.readBits(5); // frame_presentation_time_length_minus_1
      }
    }
    const initialDisplayDelayPresent = r.readFlag();
    const operatingPoints = r.readBits(5) + 1;
    for (let i = 0; i < operatingPoints; i++) {
      r.readBits(12); // operating_point_idc
      const levelIdx = r.readBits(5);
      if (levelIdx > 7) r.readBit(); // seq_tier
      if (decoderModelInfoPresent && r.readFlag()) {
        r.readBits(bufferDelayLength); // decoder_buffer_delay
        r.readBits(bufferDelayLength); // encoder_buffer_delay
        r.readBit(); // low_delay_mode_flag
      }
      if (initialDisplayDelayPresent && r.readFlag()) r.readBits(4);
    }
  }
  const widthBits = r.readBits(4) + 1;
  const heightBits = r.readBits(4) + 1;
  const width = r.readBits(widthBits) + 1;
  const height = r.readBits(heightBits) + 1;
  let colour: ColourDescription | undefined;
  try {
    colour = readColourConfig(r, seqProfile, reduced);
  } catch {
    colour = undefined; // a header cut after the size still tells the size
  }
  return colour === undefined ? { width, height } : { width, height, colour };
}

const SELECT_SCREEN_CONTENT_TOOLS = 2;
const CP_BT709 = 1;
const TC_SRGB = 13;
const MC_IDENTITY = 0;
const UNSPECIFIED = 2;

/**
 * The rest of sequence_header_obu() (AV1 spec 5.5.1) to color_config() (5.5.2): frame id lengths, tool
 * flags, order hints, superres/cdef/restoration, then high_bitdepth [twelve_bit] [mono_chrome]
 * color_description_present [color_primaries f(8) transfer_characteristics f(8) matrix_coefficients f(8)]
 * color_range f(1) (implied full for sRGB identity).
 */
function readColourConfig(r: BitReader, seqProfile: number, reduced: boolean): ColourDescription {
  if (!reduced && r.readFlag()) r.readBits(4 + 3); // frame id length fields
  r.readBits(3); // use_128x128_superblock, enable_filter_intra, enable_intra_edge_filter
  if (!reduced) {
    r.readBits(4); // interintra, masked compound, warped motion, dual filter
    const orderHint = r.readFlag();
    if (orderHint) r.readBits(2); // enable_jnt_comp, enable_ref_frame_mvs
    const forceScreenContent = r.readFlag() ? SELECT_SCREEN_CONTENT_TOOLS : r.readBit();
    if (forceScreenContent > 0 && !r.readFlag()) r.readBit(); // seq_choose_integer_mv, seq_force_integer_mv
    if (orderHint) r.readBits(3); // order_hint_bits_minus_1
  }
  r.readBits(3); // enable_superres, enable_cdef, enable_restoration
  const highBitdepth = r.readFlag();
  if (seqProfile === 2 && highBitdepth) r.readBit(); // twelve_bit
  const mono = seqProfile === 1 ? false : r.readFlag();
  let primaries = UNSPECIFIED;
  let transfer = UNSPECIFIED;
  let matrix = UNSPECIFIED;
  if (r.readFlag()) {
    primaries = r.readBits(8);
    transfer = r.readBits(8);
    matrix = r.readBits(8);
  }
  const srgb = !mono && primaries === CP_BT709 && transfer === TC_SRGB && matrix === MC_IDENTITY;
  return { primaries, transfer, matrix, fullRange: srgb ? true : r.readFlag() };
}
