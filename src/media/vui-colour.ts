import type { BitReader } from './bit-reader.js';
import type { ColourDescription } from './codec-config.js';

/** aspect_ratio_idc meaning "SAR given as two u16 that follow". */
const EXTENDED_SAR = 255;
/** H.273 "unspecified": what a VUI without colour_description means. */
const UNSPECIFIED = 2;

/**
 * vui_parameters() up to the colour description, whose start H.264 (E.1.1) and H.265 (E.2.1) share:
 *  aspect_ratio_info_present u1 [aspect_ratio_idc u8 [= 255: sar_width u16 sar_height u16]]
 *  overscan_info_present u1 [overscan_appropriate u1]
 *  video_signal_type_present u1 [video_format u3 video_full_range u1 colour_description_present u1
 *                                [colour_primaries u8 transfer_characteristics u8 matrix_coefficients u8]]
 * `r` stands at the VUI's first bit (after vui_parameters_present_flag).
 */
export function readVuiColour(r: BitReader): ColourDescription | undefined {
  if (r.readFlag() && r.readBits(8) === EXTENDED_SAR) r.readBits(32);
  if (r.readFlag()) r.readBit();
  if (!r.readFlag()) return undefined;
  r.readBits(3); // video_format
  const fullRange = r.readFlag();
  if (!r.readFlag()) return { primaries: UNSPECIFIED, transfer: UNSPECIFIED, matrix: UNSPECIFIED, fullRange };
  return { primaries: r.readBits(8), transfer: r.readBits(8), matrix: r.readBits(8), fullRange };
}
