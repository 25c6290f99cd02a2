import { BitReader } from './bit-reader.js';
import { MediaError, wrapMediaErrors } from './errors.js';
import type { AudioConfig } from './codec-config.js';

/** samplingFrequencyIndex → Hz (ISO/IEC 14496-3 1.6.3.4, Table 1.18); 13 and 14 are reserved. */
const SAMPLE_RATES = [
  96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350,
];
/** channelConfiguration → channel count (14496-3 Table 1.19, amended); 0 = described by a PCE. */
const CHANNELS = [0, 1, 2, 3, 4, 5, 6, 8, 0, 0, 0, 7, 8, 24, 8];

const AOT_SBR = 5;
const AOT_PS = 29;
const AOT_ER_BSAC = 22;
const SYNC_SBR = 0x2b7;
const SYNC_PS = 0x548;
/** Object types whose specific config is GASpecificConfig (14496-3 1.6.2.1). */
const GA_TYPES = new Set([1, 2, 3, 4, 6, 7, 17, 19, 20, 21, 22, 23]);

/**
 * AudioSpecificConfig (ISO/IEC 14496-3 1.6.2.1), the body of an AAC sequence header:
 *
 *  audioObjectType:5 [if 31: 32 + audioObjectTypeExt:6]
 *  samplingFrequencyIndex:4 [if 15: samplingFrequency:24]
 *  channelConfiguration:4
 *  if audioObjectType is 5 (SBR) or 29 (PS):        explicit hierarchical HE-AAC signalling
 *    extensionSamplingFrequencyIndex:4 [if 15: :24]
 *    audioObjectType:5 (+ escape)                   the core, normally 2 (LC)
 *  GASpecificConfig …
 *  [syncExtensionType:11 = 0x2b7, extensionAudioObjectType:5, sbrPresentFlag:1, extension rate,
 *   [syncExtensionType:11 = 0x548, psPresentFlag:1]]   backward-compatible explicit signalling
 *
 * Sample rate and channels are what a decoder outputs (the SBR rate; stereo for PS), as ffprobe reports.
 */
export function parseAacAudioSpecificConfig(asc: Buffer): AudioConfig {
  return wrapMediaErrors('CONFIG_MALFORMED', 'AAC AudioSpecificConfig', () => parse(asc));
}

function parse(asc: Buffer): AudioConfig {
  const r = new BitReader(asc);
  let aot = readObjectType(r);
  if (aot === 0) throw new MediaError('CONFIG_MALFORMED', 'AAC audioObjectType 0');
  const coreRate = readSampleRate(r);
  const channelConfig = r.readBits(4);
  let sbr = false;
  let ps = false;
  let extRate = 0;
  if (aot === AOT_SBR || aot === AOT_PS) {
    sbr = true;
    ps = aot === AOT_PS;
    extRate = readSampleRate(r);
    aot = readObjectType(r);
    if (aot === AOT_ER_BSAC) r.readBits(4); // extensionChannelConfiguration
  } else if (GA_TYPES.has(aot) && channelConfig !== 0) {
    // Optional trailing signalling: a config that ends early, or oddly, is still a valid LC config.
    try {
      const ext = readBackwardCompatibleExtension(r, aot);
      sbr = ext.sbr;
      ps = ext.ps;
      extRate = ext.extRate;
    } catch {
      sbr = false;
    }
  }
  const channelCount = CHANNELS[channelConfig] ?? 0;
  const signalled = ps ? AOT_PS : sbr ? AOT_SBR : aot;
  return {
    codec: 'aac',
    profile: aacProfileName(signalled),
    sampleRate: sbr && extRate > 0 ? extRate : coreRate,
    channels: ps && channelCount === 1 ? 2 : channelCount,
    codecString: `mp4a.40.${signalled}`,
  };
}

function readObjectType(r: BitReader): number {
  const aot = r.readBits(5);
  return aot === 31 ? 32 + r.readBits(6) : aot;
}

function readSampleRate(r: BitReader): number {
  const index = r.readBits(4);
  if (index === 15) return r.readBits(24);
  const rate = SAMPLE_RATES[index];
  if (rate === undefined) throw new MediaError('CONFIG_MALFORMED', `AAC sampling frequency index ${index}`);
  return rate;
}

/** GASpecificConfig (14496-3 4.4.1), then the 0x2b7 / 0x548 sync extensions. */
function readBackwardCompatibleExtension(
  r: BitReader,
  aot: number,
): { sbr: boolean; ps: boolean; extRate: number } {
  const none = { sbr: false, ps: false, extRate: 0 };
  r.readBit(); // frameLengthFlag
  if (r.readFlag()) r.readBits(14); // dependsOnCoreCoder → coreCoderDelay
  const extensionFlag = r.readFlag();
  if (aot === 6 || aot === 20) r.readBits(3); // layerNr
  if (extensionFlag) {
    if (aot === AOT_ER_BSAC) r.readBits(5 + 11); // numOfSubFrame, layer_length
    if (aot === 17 || aot === 19 || aot === 20 || aot === 23) r.readBits(3); // resilience flags
    r.readBit(); // extensionFlag3
  }
  if (r.bitsLeft < 16 || r.readBits(11) !== SYNC_SBR) return none;
  if (readObjectType(r) !== AOT_SBR || !r.readFlag()) return none;
  const extRate = readSampleRate(r);
  const ps = r.bitsLeft >= 12 && r.readBits(11) === SYNC_PS && r.readFlag();
  return { sbr: true, ps, extRate };
}

/** AAC profile names as libavcodec (and so ffprobe) prints them. */
export function aacProfileName(aot: number): string {
  switch (aot) {
    case 1:
      return 'Main';
    case 2:
      return 'LC';
    case 3:
      return 'SSR';
    case 4:
      return 'LTP';
    case AOT_SBR:
      return 'HE-AAC';
    case AOT_PS:
      return 'HE-AACv2';
    case 23:
      return 'LD';
    case 39:
      return 'ELD';
    default:
      return `AOT ${aot}`;
  }
}
