import { MediaError, wrapMediaErrors } from './errors.js';
import { parseAacAudioSpecificConfig } from './aac.js';
import { fourCcToString } from './video-tag.js';
import type { AudioCodec, AudioConfig } from './codec-config.js';

export type { AudioCodec, AudioConfig } from './codec-config.js';

/** What an audio tag header says, read without touching the codec payload. */
export interface AudioTagInfo {
  /** Codec from SoundFormat (10 = AAC, 2/14 = MP3) or the FourCC. */
  codec: AudioCodec;
  /** The FourCC of an Enhanced RTMP header ('mp4a', 'Opus', 'fLaC', 'ac-3', 'ec-3', '.mp3'); absent for legacy. */
  fourCc?: string;
  /** AAC sequence header (AACPacketType 0) or E-RTMP SequenceStart. */
  sequenceHeader: boolean;
  /** Byte offset where the codec payload (config or frames) starts. */
  dataOffset: number;
  /** Enhanced RTMP v2 multitrack message; `dataOffset` points at the first track's payload. */
  multitrack: boolean;
}

const SOUND_MP3 = 2;
const SOUND_EX_HEADER = 9;
const SOUND_AAC = 10;
const SOUND_MP3_8K = 14;

const PACKET = {
  sequenceStart: 0,
  codedFrames: 1,
  sequenceEnd: 2,
  multichannelConfig: 4,
  multitrack: 5,
  modEx: 7,
};
const ONE_TRACK = 0;

/** Known FourCCs as big-endian uint32 → [codec, name]: the hot path compares numbers, allocates no strings. */
const FOURCCS = new Map<number, readonly [AudioCodec, string]>(
  (
    [
      ['mp4a', 'aac'],
      ['Opus', 'opus'],
      ['fLaC', 'flac'],
      ['ac-3', 'ac3'],
      ['ec-3', 'eac3'],
      ['.mp3', 'mp3'],
    ] as const
  ).map(([name, codec]) => [Buffer.from(name, 'latin1').readUInt32BE(0), [codec, name]]),
);

/**
 * Reads the audio tag header: legacy AudioTagHeader (FLV spec v10.1 E.4.2.1) or the Enhanced RTMP v2
 * ExAudioTagHeader. On the per-packet path: no parsing beyond the header.
 *
 * Legacy:                                        Enhanced (SoundFormat = 9):
 *  byte 0  SoundFormat:4 SoundRate:2              byte 0  1001 AudioPacketType:4
 *          SoundSize:1 SoundType:1                [ModEx: size UI8(+1) (UI16(+1) if 256) data, ModExType:4 PacketType:4]*
 *  if SoundFormat 10 (AAC):                        if PacketType 5 (Multitrack): MultitrackType:4 PacketType:4
 *   byte 1  AACPacketType (0 = config, 1 = raw)       FourCC UI32 unless ManyTracksManyCodecs
 *  then data                                       else FourCC UI32
 *                                                  multitrack: [FourCC if ManyCodecs] TrackId UI8 [Size UI24]
 */
export function inspectAudioTag(payload: Buffer): AudioTagInfo {
  const h = scratch;
  try {
    readHeader(payload, h);
  } catch (err) {
    if (err instanceof MediaError) throw err;
    const message = err instanceof Error ? err.message : String(err);
    throw new MediaError('TAG_MALFORMED', `audio tag header: ${message}`, { cause: err });
  }
  const info: AudioTagInfo = {
    codec: h.codec,
    sequenceHeader: h.sequenceHeader,
    dataOffset: h.dataOffset,
    multitrack: h.multitrack,
  };
  if (h.fourCc !== 0) info.fourCc = FOURCCS.get(h.fourCc)?.[1] ?? fourCcToString(h.fourCc);
  return info;
}

/**
 * The packet-path classifier: true for an AAC sequence header or E-RTMP SequenceStart, false for anything
 * else, including a payload that does not parse (an empty one is RTMP's "silence" message). Allocates nothing.
 */
export function isAudioSequenceHeader(payload: Buffer): boolean {
  try {
    readHeader(payload, scratch);
  } catch {
    return false;
  }
  return scratch.sequenceHeader;
}

/** The header fields as numbers: one module-level instance, so the packet path allocates nothing. */
interface Header {
  codec: AudioCodec;
  /** FourCC as uint32; 0 for a legacy header. */
  fourCc: number;
  sequenceHeader: boolean;
  dataOffset: number;
  multitrack: boolean;
}

const scratch: Header = {
  codec: 'other',
  fourCc: 0,
  sequenceHeader: false,
  dataOffset: 0,
  multitrack: false,
};

function set(
  h: Header,
  codec: AudioCodec,
  fourCc: number,
  header: boolean,
  offset: number,
  multi: boolean,
): void {
  h.codec = codec;
  h.fourCc = fourCc;
  h.sequenceHeader = header;
  h.dataOffset = offset;
  h.multitrack = multi;
}

/** Throws RangeError (read past the end) or MediaError on a garbled header. */
function readHeader(p: Buffer, h: Header): void {
  const b0 = p.readUInt8(0);
  const soundFormat = b0 >>> 4;
  if (soundFormat === SOUND_AAC) {
    set(h, 'aac', 0, p.readUInt8(1) === 0, 2, false);
    return;
  }
  if (soundFormat !== SOUND_EX_HEADER) {
    set(h, soundFormat === SOUND_MP3 || soundFormat === SOUND_MP3_8K ? 'mp3' : 'other', 0, false, 1, false);
    return;
  }
  let packetType = b0 & 0x0f;
  let pos = 1;
  while (packetType === PACKET.modEx) {
    let size = p.readUInt8(pos++) + 1;
    if (size === 256) {
      size = p.readUInt16BE(pos) + 1;
      pos += 2;
    }
    pos += size;
    packetType = p.readUInt8(pos++) & 0x0f;
  }
  let multitrack = false;
  let multitrackType = ONE_TRACK;
  if (packetType === PACKET.multitrack) {
    multitrack = true;
    const b = p.readUInt8(pos++);
    multitrackType = b >>> 4;
    packetType = b & 0x0f;
  }
  // With one codec for all tracks the FourCC is here; with many, the first track's body opens with it.
  const fourCc = p.readUInt32BE(pos);
  pos += 4;
  if (multitrack) {
    p.readUInt8(pos++); // TrackId
    if (multitrackType !== ONE_TRACK) {
      p.readUIntBE(pos, 3); // sizeOfAudioTrack
      pos += 3;
    }
  }
  if (pos > p.length) throw new MediaError('TAG_MALFORMED', 'audio tag header runs past the payload');
  switch (packetType) {
    case PACKET.sequenceStart:
    case PACKET.codedFrames:
    case PACKET.sequenceEnd:
    case PACKET.multichannelConfig:
      set(h, FOURCCS.get(fourCc)?.[0] ?? 'other', fourCc, packetType === 0, pos, multitrack);
      return;
    default:
      throw new MediaError('TAG_MALFORMED', `audio tag: unknown packet type ${packetType}`);
  }
}

/**
 * Parses an audio payload into its config: the AAC AudioSpecificConfig / Opus ID header / FLAC STREAMINFO
 * of a sequence header, or, for codecs without one (MP3, AC-3, E-AC-3), the first frame header. Legacy
 * formats other than AAC fall back to the rate and channels of the tag's first byte.
 */
export function audioConfigOf(payload: Buffer): AudioConfig {
  const tag = inspectAudioTag(payload);
  return wrapMediaErrors('CONFIG_MALFORMED', `${tag.codec} audio config`, () => {
    const data = payload.subarray(tag.dataOffset);
    switch (tag.codec) {
      case 'aac':
        if (!tag.sequenceHeader)
          throw new MediaError('CONFIG_MALFORMED', 'AAC payload is not a sequence header');
        return parseAacAudioSpecificConfig(data);
      case 'mp3':
        return parseMp3FrameHeader(data) ?? legacyConfig(payload, 'mp3');
      case 'opus':
        return parseOpusHead(data);
      case 'flac':
        return parseFlacStreamInfo(data);
      case 'ac3':
      case 'eac3':
        return parseAc3SyncFrame(data);
      case 'other':
        if (tag.fourCc !== undefined) {
          throw new MediaError('CODEC_UNSUPPORTED', `no config parser for audio codec ${tag.fourCc}`);
        }
        return legacyConfig(payload, 'other');
    }
  });
}

const LEGACY_RATES = [5512, 11025, 22050, 44100];
const LEGACY_NAMES = ['PCM', 'ADPCM', 'MP3', 'PCM LE', 'Nellymoser 16kHz', 'Nellymoser 8kHz', 'Nellymoser'];
const LEGACY_EXTRA_NAMES: Partial<Record<number, string>> = {
  7: 'G.711 A-law',
  8: 'G.711 mu-law',
  11: 'Speex',
  14: 'MP3',
};

/** Rate and channels from the AudioTagHeader flags (FLV spec E.4.2.1), with the fixed-rate formats. */
function legacyConfig(payload: Buffer, codec: 'mp3' | 'other'): AudioConfig {
  const b0 = payload.readUInt8(0);
  const format = b0 >>> 4;
  let sampleRate = LEGACY_RATES[(b0 >>> 2) & 3] ?? 44100;
  let channels = (b0 & 1) + 1;
  if (format === 4 || format === 11) [sampleRate, channels] = [16000, 1]; // Nellymoser 16k, Speex
  if (format === 5 || format === 7 || format === 8 || format === 14) sampleRate = 8000; // Nellymoser 8k, G.711, MP3 8k
  if (format === 5) channels = 1;
  return {
    codec,
    profile: LEGACY_EXTRA_NAMES[format] ?? LEGACY_NAMES[format] ?? `SoundFormat ${format}`,
    sampleRate,
    channels,
    codecString: codec === 'mp3' ? 'mp4a.6B' : `flv-sound.${format}`,
  };
}

/**
 * MPEG audio frame header (ISO/IEC 11172-3 2.4.1.3): sync:11 version:2 layer:2 protection:1 bitrate:4
 * sampling_frequency:2 padding:1 private:1 mode:2 …  Undefined when `data` does not start with one.
 */
function parseMp3FrameHeader(data: Buffer): AudioConfig | undefined {
  if (data.length < 4 || data.readUInt8(0) !== 0xff || (data.readUInt8(1) & 0xe0) !== 0xe0) return undefined;
  const version = (data.readUInt8(1) >>> 3) & 3; // 3 = MPEG-1, 2 = MPEG-2, 0 = MPEG-2.5
  const layer = 4 - ((data.readUInt8(1) >>> 1) & 3);
  const rateIndex = (data.readUInt8(2) >>> 2) & 3;
  const base = [44100, 48000, 32000][rateIndex];
  if (version === 1 || layer === 4 || base === undefined) return undefined;
  const divisor = version === 3 ? 1 : version === 2 ? 2 : 4;
  const versionName = version === 3 ? '1' : version === 2 ? '2' : '2.5';
  return {
    codec: 'mp3',
    profile: `MPEG-${versionName} Layer ${'I'.repeat(layer)}`,
    sampleRate: base / divisor,
    channels: data.readUInt8(3) >>> 6 === 3 ? 1 : 2,
    codecString: version === 3 ? 'mp4a.6B' : 'mp4a.69',
  };
}

/** Opus ID header (RFC 7845 5.1): 'OpusHead' version:8 channels:8 pre_skip:16le input_rate:32le … */
function parseOpusHead(data: Buffer): AudioConfig {
  // An empty SequenceStart means mono/stereo without an ID header (E-RTMP v2); Opus always decodes at 48 kHz.
  let channels = 2;
  if (data.length > 0) {
    if (data.toString('latin1', 0, 8) !== 'OpusHead') throw new MediaError('CONFIG_MALFORMED', 'no OpusHead');
    channels = data.readUInt8(9);
  }
  return { codec: 'opus', profile: '', sampleRate: 48000, channels, codecString: 'opus' };
}

/**
 * 'fLaC', then METADATA_BLOCK_HEADER (last:1 type:7 length:24), then STREAMINFO (FLAC format 8.2):
 * min/max block size 16+16, min/max frame size 24+24, sample rate:20, channels-1:3, bits-1:5, …
 */
function parseFlacStreamInfo(data: Buffer): AudioConfig {
  let pos = data.toString('latin1', 0, 4) === 'fLaC' ? 4 : 0;
  if ((data.readUInt8(pos) & 0x7f) !== 0)
    throw new MediaError('CONFIG_MALFORMED', 'FLAC: first block is not STREAMINFO');
  pos += 4 + 10;
  const rateBits = data.readUIntBE(pos, 3); // sample rate:20 channels-1:3 bps high bit:1
  return {
    codec: 'flac',
    profile: '',
    sampleRate: rateBits >>> 4,
    channels: ((rateBits >>> 1) & 7) + 1,
    codecString: 'flac',
  };
}

const AC3_RATES = [48000, 44100, 32000];
const ACMOD_CHANNELS = [2, 1, 2, 3, 3, 4, 4, 5];

/**
 * AC-3 syncinfo + bsi (ATSC A/52 5.3.1-2): 0x0B77 crc1:16 fscod:2 frmsizecod:6 bsid:5 bsmod:3 acmod:3
 * [cmixlev:2] [surmixlev:2] [dsurmod:2] lfeon:1.  E-AC-3 (bsid 16, A/52 E.1.2): 0x0B77 strmtyp:2
 * substreamid:3 frmsiz:11 fscod:2 (fscod2 | numblkscod):2 acmod:3 lfeon:1.
 */
function parseAc3SyncFrame(data: Buffer): AudioConfig {
  if (data.readUInt16BE(0) !== 0x0b77) throw new MediaError('CONFIG_MALFORMED', 'no AC-3 sync word');
  const bsid = data.readUInt8(5) >>> 3;
  let sampleRate: number | undefined;
  let acmod: number;
  let lfeon: number;
  if (bsid <= 10) {
    sampleRate = AC3_RATES[data.readUInt8(4) >>> 6];
    const bits = data.readUInt16BE(6); // acmod:3 then the optional fields, then lfeon
    acmod = bits >>> 13;
    let shift = 12;
    if (acmod & 1 && acmod !== 1) shift -= 2;
    if (acmod & 4) shift -= 2;
    if (acmod === 2) shift -= 2;
    lfeon = (bits >>> shift) & 1;
  } else {
    const b4 = data.readUInt8(4);
    const fscod = b4 >>> 6;
    sampleRate = fscod === 3 ? [24000, 22050, 16000][(b4 >>> 4) & 3] : AC3_RATES[fscod];
    acmod = (b4 >>> 1) & 7;
    lfeon = b4 & 1;
  }
  if (sampleRate === undefined) throw new MediaError('CONFIG_MALFORMED', 'AC-3 reserved sample rate code');
  const eac3 = bsid > 10;
  return {
    codec: eac3 ? 'eac3' : 'ac3',
    profile: '',
    sampleRate,
    channels: (ACMOD_CHANNELS[acmod] ?? 2) + lfeon,
    codecString: eac3 ? 'ec-3' : 'ac-3',
  };
}
