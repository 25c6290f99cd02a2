/**
 * Digital silence as AAC-LC, made in-process for any sample rate and the usual channel layouts, so that
 * a video-only stream can carry an audio track in the fallback's format (platforms such as Facebook
 * require audio, and players break when a track comes and goes at each switch).
 *
 * AudioSpecificConfig (ISO/IEC 14496-3 1.6.2.1), 2 bytes (5 with an explicit rate):
 *   audioObjectType:5 = 2 (LC) | samplingFrequencyIndex:4 [= 15: samplingFrequency:24]
 *   channelConfiguration:4 | frameLengthFlag:1 = 0 | dependsOnCoreCoder:1 = 0 | extensionFlag:1 = 0
 *
 * A silent raw_data_block (14496-3 4.4.2.1): per channel element, an individual_channel_stream with no
 * scale factor bands (max_sfb = 0), so no spectral data at all; then ID_END, zero-padded to a byte:
 *   SCE/LFE: id_syn_ele:3 element_instance_tag:4 ics
 *   CPE:     id_syn_ele:3 element_instance_tag:4 common_window:1 = 0 ics ics
 *   ics:     global_gain:8 | ics_info: ics_reserved_bit:1 window_sequence:2 (0 = long)
 *            window_shape:1 max_sfb:6 = 0 predictor_data_present:1 = 0
 *            | pulse_data_present:1 tns_data_present:1 gain_control_data_present:1 (all 0)
 * Each frame is 1024 samples.
 */
import { MediaError } from './errors.js';

/** Samples per AAC-LC frame. */
export const aacFrameSamples = 1024;

const sampleRates = [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350];

const SCE = 0;
const CPE = 1;
const LFE = 3;
const END = 7;

/** Channel elements of each channelConfiguration (14496-3 Table 1.19), keyed by channel count. */
const layouts: Readonly<Record<number, { config: number; elements: readonly number[] }>> = {
  1: { config: 1, elements: [SCE] },
  2: { config: 2, elements: [CPE] },
  3: { config: 3, elements: [SCE, CPE] },
  4: { config: 4, elements: [SCE, CPE, SCE] },
  5: { config: 5, elements: [SCE, CPE, CPE] },
  6: { config: 6, elements: [SCE, CPE, CPE, LFE] },
  8: { config: 7, elements: [SCE, CPE, CPE, CPE, LFE] },
};

/** MSB-first bit writer, just enough for these two structures. */
class BitWriter {
  readonly #bits: number[] = [];

  write(value: number, count: number): void {
    for (let i = count - 1; i >= 0; i--) this.#bits.push(Math.floor(value / 2 ** i) % 2);
  }

  bytes(): Buffer {
    const out = Buffer.alloc(Math.ceil(this.#bits.length / 8));
    this.#bits.forEach((bit, i) => {
      if (bit) out.writeUInt8(out.readUInt8(i >> 3) | (0x80 >> (i & 7)), i >> 3);
    });
    return out;
  }
}

function layoutOf(channels: number): { config: number; elements: readonly number[] } {
  const layout = layouts[channels];
  if (!layout) throw new MediaError('CODEC_UNSUPPORTED', `no AAC channel layout for ${channels} channels`);
  return layout;
}

/** The AudioSpecificConfig of AAC-LC at `sampleRate` Hz with `channels` channels. */
export function aacLcConfig(sampleRate: number, channels: number): Buffer {
  const { config } = layoutOf(channels);
  const w = new BitWriter();
  w.write(2, 5);
  const index = sampleRates.indexOf(sampleRate);
  if (index === -1) {
    w.write(15, 4);
    w.write(sampleRate, 24);
  } else {
    w.write(index, 4);
  }
  w.write(config, 4);
  w.write(0, 3);
  return w.bytes();
}

/** One silent AAC-LC frame (raw, without ADTS) for `channels` channels; the same bytes at any rate. */
export function silentAacFrame(channels: number): Buffer {
  const { elements } = layoutOf(channels);
  const w = new BitWriter();
  const ics = (): void => {
    w.write(100, 8); // global_gain: no spectral data follows, so any value decodes to zeros
    w.write(0, 1 + 2 + 1 + 6 + 1);
    w.write(0, 3);
  };
  const tags = new Map<number, number>();
  for (const element of elements) {
    const tag = tags.get(element) ?? 0;
    tags.set(element, tag + 1);
    w.write(element, 3);
    w.write(tag, 4);
    if (element === CPE) {
      w.write(0, 1); // common_window
      ics();
    }
    ics();
  }
  w.write(END, 3);
  return w.bytes();
}

/** FLV AAC audio tag byte 0: AAC, and the fixed "44 kHz, 16-bit, stereo" flags the FLV spec asks for. */
const aacTagByte = 0xaf;

/** The FLV/RTMP audio payload of an AAC sequence header for this format. */
export function aacSequenceHeaderTag(sampleRate: number, channels: number): Buffer {
  return Buffer.concat([Buffer.from([aacTagByte, 0]), aacLcConfig(sampleRate, channels)]);
}

/** The FLV/RTMP audio payload of one silent AAC frame. */
export function silentAacTag(channels: number): Buffer {
  return Buffer.concat([Buffer.from([aacTagByte, 1]), silentAacFrame(channels)]);
}
