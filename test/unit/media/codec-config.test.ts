/**
 * Decoder configuration parsers on hand-built bitstreams, for the syntax paths the ffmpeg fixtures do not
 * reach (POC type 1, field coding with cropping, scaling lists, sub-layers, AV1 decoder models, HE-AAC).
 */
import { describe, expect, it } from 'vitest';
import { parseAacAudioSpecificConfig } from '../../../src/media/aac.js';
import { parseAv1CodecConfig } from '../../../src/media/av1.js';
import { parseAvcDecoderConfig } from '../../../src/media/avc.js';
import { MediaError } from '../../../src/media/errors.js';
import { parseHevcDecoderConfig } from '../../../src/media/hevc.js';

/** MSB-first bit writer with exp-Golomb, the inverse of BitReader. */
class BitWriter {
  #bits: number[] = [];
  u(count: number, value: number): this {
    for (let i = count - 1; i >= 0; i--) this.#bits.push(Math.floor(value / 2 ** i) % 2);
    return this;
  }
  ue(value: number): this {
    const code = value + 1;
    const length = Math.floor(Math.log2(code)) + 1;
    return this.u(length - 1, 0).u(length, code);
  }
  se(value: number): this {
    return this.ue(value <= 0 ? -2 * value : 2 * value - 1);
  }
  /** rbsp_trailing_bits: a one, then zeros to the byte boundary. */
  trailing(): this {
    this.#bits.push(1);
    while (this.#bits.length % 8 !== 0) this.#bits.push(0);
    return this;
  }
  bytes(): Buffer {
    const out = Buffer.alloc(Math.ceil(this.#bits.length / 8));
    this.#bits.forEach((bit, i) => {
      if (bit) out[i >>> 3]! |= 0x80 >>> (i & 7);
    });
    return out;
  }
}

/** RBSP → NAL payload: inserts emulation_prevention_three_byte after 00 00 before a byte <= 3. */
function escape(rbsp: Buffer): Buffer {
  const out: number[] = [];
  let zeros = 0;
  for (const byte of rbsp) {
    if (zeros >= 2 && byte <= 3) {
      out.push(3);
      zeros = 0;
    }
    out.push(byte);
    zeros = byte === 0 ? zeros + 1 : 0;
  }
  return Buffer.from(out);
}

function expectMalformed(fn: () => unknown): void {
  try {
    fn();
    expect.unreachable();
  } catch (err) {
    expect(err).toBeInstanceOf(MediaError);
    expect((err as MediaError).code).toBe('CONFIG_MALFORMED');
  }
}

function avcC(sps: Buffer): Buffer {
  const nal = Buffer.concat([Buffer.from([0x67]), escape(sps)]);
  const length = Buffer.alloc(2);
  length.writeUInt16BE(nal.length);
  return Buffer.concat([
    Buffer.from([1, sps[0]!, sps[1]!, sps[2]!, 0xff, 0xe1]),
    length,
    nal,
    Buffer.from([1, 0, 2, 0x68, 0xce]),
  ]);
}

describe('parseAvcDecoderConfig on built SPSs', () => {
  it('High 4:2:2, POC type 1, field coding, cropping in field units, scaling lists', () => {
    const sps = new BitWriter()
      .u(8, 122)
      .u(8, 0)
      .u(8, 41)
      .ue(0) // sps id
      .ue(2) // chroma_format_idc 4:2:2
      .ue(2) // bit_depth_luma_minus8
      .ue(2)
      .u(1, 0)
      .u(1, 1); // seq_scaling_matrix_present_flag
    for (let i = 0; i < 8; i++) {
      sps.u(1, i % 2); // list present for odd i
      if (i % 2) for (let j = 0; j < (i < 6 ? 16 : 64); j++) sps.se(j === 0 ? 8 : 1);
    }
    sps
      .ue(0) // log2_max_frame_num_minus4
      .ue(1) // pic_order_cnt_type 1
      .u(1, 0)
      .se(-2)
      .se(3)
      .ue(3) // num_ref_frames_in_pic_order_cnt_cycle
      .se(1)
      .se(-1)
      .se(7)
      .ue(4) // max_num_ref_frames
      .u(1, 0)
      .ue(119) // pic_width_in_mbs_minus1: 1920
      .ue(33) // pic_height_in_map_units_minus1: 34 field MB rows = 1088
      .u(1, 0) // frame_mbs_only_flag = 0
      .u(1, 1) // mb_adaptive_frame_field_flag
      .u(1, 1)
      .u(1, 1) // frame_cropping_flag
      .ue(0)
      .ue(0)
      .ue(0)
      .ue(2) // bottom: 2 * CropUnitY (1 * 2) = 4 rows
      .u(1, 0) // vui_parameters_present_flag
      .trailing();
    expect(parseAvcDecoderConfig(avcC(sps.bytes()))).toEqual({
      codec: 'avc',
      profile: 'High 4:2:2',
      level: '4.1',
      width: 1920,
      height: 1084,
      codecString: 'avc1.7a0029',
    });
  });

  it('4:4:4 with separate colour planes crops in luma units; emulation prevention is removed', () => {
    const sps = new BitWriter()
      .u(8, 244)
      .u(8, 0x10) // constraint_set3: Intra
      .u(8, 0) // level 0, then 16 zeros of a long ue(v): 00 00 00 in the RBSP needs an escape
      .ue(65535)
      .ue(3)
      .u(1, 1) // separate_colour_plane_flag
      .ue(0)
      .ue(0)
      .u(1, 0)
      .u(1, 0)
      .ue(0)
      .ue(2) // POC type 2
      .ue(1)
      .u(1, 0)
      .ue(53) // 864
      .ue(30) // 496
      .u(1, 1)
      .u(1, 1)
      .u(1, 1)
      .ue(4)
      .ue(5)
      .ue(7)
      .ue(8)
      .u(1, 0)
      .trailing();
    expect(escape(sps.bytes()).length).toBeGreaterThan(sps.bytes().length);
    expect(parseAvcDecoderConfig(avcC(sps.bytes()))).toMatchObject({
      profile: 'High 4:4:4 Intra',
      width: 855,
      height: 481,
    });
  });

  it('Baseline level 1b and Main', () => {
    const base = (profile: number, constraints: number, level: number): Buffer =>
      new BitWriter()
        .u(8, profile)
        .u(8, constraints)
        .u(8, level)
        .ue(0)
        .ue(0)
        .ue(2)
        .ue(1)
        .u(1, 0)
        .ue(10)
        .ue(8)
        .u(1, 1)
        .u(1, 1)
        .u(1, 0)
        .u(1, 0)
        .trailing()
        .bytes();
    expect(parseAvcDecoderConfig(avcC(base(66, 0x10, 11)))).toMatchObject({
      profile: 'Baseline',
      level: '1b',
    });
    expect(parseAvcDecoderConfig(avcC(base(66, 0x50, 30)))).toMatchObject({
      profile: 'Constrained Baseline',
      level: '3.0',
      width: 176,
      height: 144,
    });
    expect(parseAvcDecoderConfig(avcC(base(77, 0, 9)))).toMatchObject({ profile: 'Main', level: '1b' });
  });

  it('rejects bad records', () => {
    expectMalformed(() => parseAvcDecoderConfig(Buffer.alloc(0)));
    expectMalformed(() => parseAvcDecoderConfig(Buffer.from([2, 0x64, 0, 0x1f, 0xff, 0xe1, 0, 0])));
    expectMalformed(() => parseAvcDecoderConfig(Buffer.from([1, 0x64, 0, 0x1f, 0xff, 0xe0]))); // no SPS
    expectMalformed(() =>
      parseAvcDecoderConfig(Buffer.from([1, 0x64, 0, 0x1f, 0xff, 0xe1, 0, 40, 0x67, 0x64])),
    );
    expectMalformed(() =>
      parseAvcDecoderConfig(Buffer.from([1, 0x64, 0, 0x1f, 0xff, 0xe1, 0, 4, 0x68, 0x64, 0, 0])),
    ); // a PPS
  });
});

describe('parseHevcDecoderConfig on a built SPS', () => {
  function hvcC(
    sps: Buffer,
    profileByte: number,
    compat: number,
    constraints: number[],
    level: number,
  ): Buffer {
    const head = Buffer.alloc(23);
    head.writeUInt8(1, 0);
    head.writeUInt8(profileByte, 1);
    head.writeUInt32BE(compat, 2);
    constraints.forEach((c, i) => head.writeUInt8(c, 6 + i));
    head.writeUInt8(level, 12);
    head.writeUInt8(2, 22); // numOfArrays: a VPS array, then the SPS array
    const nal = Buffer.concat([Buffer.from([0x42, 0x01]), escape(sps)]);
    const vps = Buffer.from([0x20, 0, 1, 0, 3, 0x40, 0x01, 0x0c]);
    const spsArray = Buffer.alloc(5);
    spsArray.writeUInt8(0x80 | 33, 0);
    spsArray.writeUInt16BE(1, 1);
    spsArray.writeUInt16BE(nal.length, 3);
    return Buffer.concat([head, vps, spsArray, nal]);
  }

  it('sub-layers in profile_tier_level, 4:2:2 conformance window, codec string', () => {
    const sps = new BitWriter()
      .u(4, 0)
      .u(3, 2) // sps_max_sub_layers_minus1
      .u(1, 1)
      .u(2, 0)
      .u(1, 1) // high tier
      .u(5, 4)
      .u(32, 0x08000000)
      .u(48, 0)
      .u(8, 153)
      .u(1, 1) // sub-layer 0: profile present
      .u(1, 1) // sub-layer 0: level present
      .u(1, 0)
      .u(1, 1)
      .u(12, 0) // reserved_zero_2bits for i = 2..7
      .u(88, 0)
      .u(8, 120)
      .u(8, 90)
      .ue(0)
      .ue(2) // 4:2:2
      .ue(1288)
      .ue(728)
      .u(1, 1)
      .ue(1) // left: 2 luma columns
      .ue(3) // right: 6
      .ue(4) // top: 4 rows
      .ue(4)
      .trailing();
    const record = hvcC(sps.bytes(), 0x24, 0x08000000, [0x9e, 0x08, 0, 0, 0, 0], 153);
    expect(parseHevcDecoderConfig(record)).toEqual({
      codec: 'hevc',
      profile: 'Rext',
      level: '5.1',
      width: 1280,
      height: 720,
      codecString: 'hvc1.4.10.H153.9E.8',
    });
  });

  it('Main: codec string with the compatibility flags bit-reversed', () => {
    const sps = new BitWriter()
      .u(4, 0)
      .u(3, 0)
      .u(1, 1)
      .u(96, 0)
      .ue(0)
      .ue(1)
      .ue(1920)
      .ue(1088)
      .u(1, 1)
      .ue(0)
      .ue(0)
      .ue(0)
      .ue(4) // 8 rows in 4:2:0
      .trailing();
    expect(
      parseHevcDecoderConfig(hvcC(sps.bytes(), 0x01, 0x60000000, [0x90, 0, 0, 0, 0, 0], 123)),
    ).toMatchObject({
      profile: 'Main',
      level: '4.1',
      width: 1920,
      height: 1080,
      codecString: 'hvc1.1.6.L123.90',
    });
  });

  it('rejects a record without an SPS, and truncated ones', () => {
    const head = Buffer.alloc(23);
    head.writeUInt8(1, 0);
    expectMalformed(() => parseHevcDecoderConfig(head));
    expectMalformed(() =>
      parseHevcDecoderConfig(Buffer.concat([head.subarray(0, 22), Buffer.from([1, 0xa1, 0, 1, 0, 9])])),
    );
    expectMalformed(() => parseHevcDecoderConfig(Buffer.from([1, 1, 0x60])));
  });
});

describe('parseAv1CodecConfig on a built sequence header', () => {
  function obu(type: number, payload: Buffer, { size = true, extension = false } = {}): Buffer {
    const header = (type << 3) | (extension ? 0x04 : 0) | (size ? 0x02 : 0);
    const parts = [Buffer.from([header])];
    if (extension) parts.push(Buffer.from([0x08]));
    if (size) {
      let n = payload.length;
      const leb: number[] = [];
      do {
        leb.push((n & 0x7f) | (n > 0x7f ? 0x80 : 0));
        n >>>= 7;
      } while (n > 0);
      parts.push(Buffer.from(leb));
    }
    return Buffer.concat([...parts, payload]);
  }

  const fullHeader = new BitWriter()
    .u(3, 0)
    .u(1, 0)
    .u(1, 0)
    .u(1, 1) // timing_info_present_flag
    .u(32, 1001)
    .u(32, 60000)
    .u(1, 1) // equal_picture_interval
    .u(5, 0)
    .u(6, 0b100000) // uvlc: 5 leading zeros then 1 + 5 bits = 31
    .u(1, 1) // decoder_model_info_present_flag
    .u(5, 9) // buffer_delay_length_minus_1 → n = 10
    .u(32, 1001)
    .u(5, 31)
    .u(5, 22)
    .u(1, 1) // initial_display_delay_present_flag
    .u(5, 1) // two operating points
    .u(12, 0x103)
    .u(5, 12) // level 5.0 → tier bit
    .u(1, 1)
    .u(1, 1) // decoder_model_present_for_this_op
    .u(10, 500)
    .u(10, 500)
    .u(1, 0)
    .u(1, 1) // initial_display_delay_present_for_this_op
    .u(4, 9)
    .u(12, 0x101)
    .u(5, 4)
    .u(1, 0)
    .u(1, 0)
    .u(4, 11) // frame_width_bits_minus_1
    .u(4, 12)
    .u(12, 3839)
    .u(13, 2159)
    .trailing()
    .bytes();

  it('timing info, decoder model and two operating points; skips other OBUs first', () => {
    const record = Buffer.concat([
      Buffer.from([0x81, (0 << 5) | 12, 0xc0, 0]),
      obu(5, Buffer.from([1, 2, 3])), // OBU_METADATA
      obu(1, fullHeader, { extension: true }),
    ]);
    expect(parseAv1CodecConfig(record)).toEqual({
      codec: 'av1',
      profile: 'Main',
      level: '5.0',
      width: 3840,
      height: 2160,
      codecString: 'av01.0.12H.10',
    });
  });

  it('a reduced still picture header, in an OBU without a size field', () => {
    const still = new BitWriter()
      .u(3, 1)
      .u(1, 1)
      .u(1, 1)
      .u(5, 31)
      .u(4, 7)
      .u(4, 7)
      .u(8, 99)
      .u(8, 49)
      .trailing()
      .bytes();
    expect(
      parseAv1CodecConfig(
        Buffer.concat([Buffer.from([0x81, 0x3f, 0x00, 0]), obu(1, still, { size: false })]),
      ),
    ).toMatchObject({
      profile: 'High',
      level: 'max',
      width: 100,
      height: 50,
      codecString: 'av01.1.31M.08',
    });
  });

  it('rejects a bad marker, a record without a sequence header, and an OBU past the end', () => {
    expectMalformed(() => parseAv1CodecConfig(Buffer.from([0x01, 0, 0, 0])));
    expectMalformed(() => parseAv1CodecConfig(Buffer.from([0x81, 0, 0, 0])));
    expectMalformed(() => parseAv1CodecConfig(Buffer.from([0x81, 0, 0, 0, 0x0a, 0x20, 0])));
  });
});

describe('parseAacAudioSpecificConfig', () => {
  const asc = (build: (w: BitWriter) => BitWriter): Buffer => build(new BitWriter()).trailing().bytes();

  it.each([
    ['LC 44.1 kHz stereo', Buffer.from([0x12, 0x10]), 'LC', 44100, 2, 'mp4a.40.2'],
    ['LC 48 kHz mono', Buffer.from([0x11, 0x88]), 'LC', 48000, 1, 'mp4a.40.2'],
    [
      'Main 7.1 (channelConfiguration 7)',
      asc((w) => w.u(5, 1).u(4, 3).u(4, 7)),
      'Main',
      48000,
      8,
      'mp4a.40.1',
    ],
    [
      'HE-AAC, explicit hierarchical',
      asc((w) => w.u(5, 5).u(4, 6).u(4, 2).u(4, 3).u(5, 2)),
      'HE-AAC',
      48000,
      2,
      'mp4a.40.5',
    ],
    [
      'HE-AACv2, explicit hierarchical, mono core → stereo',
      asc((w) => w.u(5, 29).u(4, 6).u(4, 1).u(4, 3).u(5, 2)),
      'HE-AACv2',
      48000,
      2,
      'mp4a.40.29',
    ],
    [
      'HE-AACv2, backward-compatible sync extensions',
      asc((w) => w.u(5, 2).u(4, 7).u(4, 1).u(3, 0).u(11, 0x2b7).u(5, 5).u(1, 1).u(4, 4).u(11, 0x548).u(1, 1)),
      'HE-AACv2',
      44100,
      2,
      'mp4a.40.29',
    ],
    [
      'HE-AAC, backward-compatible, sbrPresentFlag 0 stays LC',
      asc((w) => w.u(5, 2).u(4, 7).u(4, 2).u(3, 0).u(11, 0x2b7).u(5, 5).u(1, 0)),
      'LC',
      22050,
      2,
      'mp4a.40.2',
    ],
    [
      'escape sample rate (index 15)',
      asc((w) => w.u(5, 2).u(4, 15).u(24, 37800).u(4, 2)),
      'LC',
      37800,
      2,
      'mp4a.40.2',
    ],
    [
      'object type escape (31 → 32 + 10 = 42)',
      asc((w) => w.u(5, 31).u(6, 10).u(4, 4).u(4, 2)),
      'AOT 42',
      44100,
      2,
      'mp4a.40.42',
    ],
  ])('%s', (_name, bytes, profile, sampleRate, channels, codecString) => {
    expect(parseAacAudioSpecificConfig(bytes)).toEqual({
      codec: 'aac',
      profile,
      sampleRate,
      channels,
      codecString,
    });
  });

  it('rejects object type 0, reserved rate indexes and cut configs', () => {
    expectMalformed(() => parseAacAudioSpecificConfig(Buffer.from([0x00, 0x10])));
    expectMalformed(() => parseAacAudioSpecificConfig(asc((w) => w.u(5, 2).u(4, 13).u(4, 2))));
    expectMalformed(() => parseAacAudioSpecificConfig(Buffer.from([0x12])));
    expectMalformed(() => parseAacAudioSpecificConfig(Buffer.alloc(0)));
  });
});
