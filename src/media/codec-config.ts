/**
 * What a stream's codec configuration says, as the tag readers (video-tag.ts, audio-tag.ts) and the
 * codec parsers (avc.ts, hevc.ts, av1.ts, aac.ts) report it. A leaf: the parsers depend on these
 * shapes, the tag readers on the parsers, and nothing here on either.
 */
import type { AudioCodecName, VideoCodecName } from '../contract/index.js';

/** Video codec of a tag, from the legacy CodecID or the Enhanced RTMP FourCC (named by the contract). */
export type VideoCodec = VideoCodecName;

/** Width, height and profile of a video stream, from its decoder configuration record. */
export interface VideoConfig {
  /** Which codec. */
  codec: VideoCodec;
  /** Profile name as ffprobe spells it: 'High', 'Main 10', … */
  profile: string;
  /** Level as 'major.minor' ('3.1', '4.0'), or '1b'. */
  level?: string;
  /** Displayed width in pixels (after cropping / conformance window). */
  width: number;
  /** Displayed height in pixels. */
  height: number;
  /** e.g. 'avc1.64001f' */
  codecString: string;
  /** The colour description of the SPS VUI (AVC, HEVC) or sequence header (AV1), when the stream carries one. */
  colour?: ColourDescription;
}

/** ITU-T H.273 code points, as the SPS VUI carries them (1 = BT.709, 6 = BT.601 525, 9 = BT.2020 …). */
export interface ColourDescription {
  /** colour_primaries. */
  primaries: number;
  /** transfer_characteristics. */
  transfer: number;
  /** matrix_coefficients. */
  matrix: number;
  /** video_full_range_flag: 0-255 ('pc') rather than 16-235 ('tv'). */
  fullRange: boolean;
}

/** Audio codec of a tag, from the legacy SoundFormat or the Enhanced RTMP v2 FourCC (named by the contract). */
export type AudioCodec = AudioCodecName;

/** Sample rate, channels and profile of an audio stream. */
export interface AudioConfig {
  /** Which codec. */
  codec: AudioCodec;
  /** AAC: 'LC', 'HE-AAC' … */
  profile: string;
  /** Output sample rate in Hz. */
  sampleRate: number;
  /** Output channel count (0 when an AAC program_config_element describes them). */
  channels: number;
  /** RFC 6381 codec string: 'mp4a.40.2', 'opus', 'mp4a.6B' … */
  codecString: string;
}
