import { describe, expect, it } from 'vitest';
import { BitReader, unescapeRbsp } from '../../../src/media/bit-reader.js';
import { MediaError } from '../../../src/media/errors.js';

/** Packs a string of '0'/'1' (spaces ignored) MSB first, zero-padded to whole bytes. */
function bits(pattern: string): Buffer {
  const clean = pattern.replace(/\s/g, '');
  const out = Buffer.alloc(Math.ceil(clean.length / 8));
  for (let i = 0; i < clean.length; i++) if (clean[i] === '1') out[i >>> 3]! |= 0x80 >>> (i & 7);
  return out;
}

describe('BitReader', () => {
  it('reads bits MSB first across byte boundaries', () => {
    const r = new BitReader(Buffer.from([0b10110011, 0b01011100]));
    expect(r.readBit()).toBe(1);
    expect(r.readBits(3)).toBe(0b011);
    expect(r.readBits(8)).toBe(0b00110101);
    expect(r.bitsLeft).toBe(4);
    expect(r.readFlag()).toBe(true);
    expect(r.bitPosition).toBe(13);
  });

  it('reads 32 bits as an unsigned number and starts at a byte offset', () => {
    const r = new BitReader(Buffer.from([0xaa, 0xff, 0xff, 0xff, 0xfe]), 1);
    expect(r.readBits(32)).toBe(0xfffffffe);
    expect(r.bitsLeft).toBe(0);
  });

  it.each([
    ['1', 0],
    ['010', 1],
    ['011', 2],
    ['00100', 3],
    ['00101', 4],
    ['00110', 5],
    ['00111', 6],
    ['0001000', 7],
    ['0001110', 13],
    ['000010000', 15],
    ['00000000 1 00000000', 255],
    ['0000000000000000 1 0000000000000000', 65535],
    ['00000000000000000000000000000000 1 00000000000000000000000000000000', 2 ** 32 - 1],
  ])('ue(v) %s = %i', (pattern, value) => {
    expect(new BitReader(bits(pattern)).readUE()).toBe(value);
  });

  it.each([
    ['1', 0],
    ['010', 1],
    ['011', -1],
    ['00100', 2],
    ['00101', -2],
    ['00110', 3],
    ['00111', -3],
    ['0001000', 4],
  ])('se(v) %s = %i', (pattern, value) => {
    expect(new BitReader(bits(pattern)).readSE()).toBe(value);
  });

  it('reads consecutive exp-Golomb codes', () => {
    const r = new BitReader(bits('1 010 011 00100 00111 1'));
    expect([r.readUE(), r.readUE(), r.readUE(), r.readUE(), r.readSE(), r.readUE()]).toEqual([
      0, 1, 2, 3, -3, 0,
    ]);
  });

  it('reads AV1 uvlc, saturating at 32 leading zeros', () => {
    expect(new BitReader(bits('00101')).readUvlc()).toBe(4);
    expect(new BitReader(Buffer.from([0, 0, 0, 0, 0x80])).readUvlc()).toBe(2 ** 32 - 1);
  });

  it('throws MediaError CONFIG_MALFORMED past the end, for overlong codes, and for >32-bit reads', () => {
    const expectMalformed = (fn: () => unknown): void => {
      try {
        fn();
        expect.unreachable();
      } catch (err) {
        expect(err).toBeInstanceOf(MediaError);
        expect((err as MediaError).code).toBe('CONFIG_MALFORMED');
      }
    };
    expectMalformed(() => new BitReader(Buffer.from([0xff])).readBits(9));
    expectMalformed(() => new BitReader(Buffer.alloc(0)).readBit());
    expectMalformed(() => new BitReader(Buffer.from([0x00])).readUE()); // zeros run off the end
    expectMalformed(() => new BitReader(Buffer.alloc(8)).readUE()); // 33+ leading zeros
    expectMalformed(() => new BitReader(Buffer.alloc(8)).readBits(33));
    expectMalformed(() => {
      new BitReader(Buffer.from([0x01])).skipBits(9);
    });
  });
});

describe('unescapeRbsp', () => {
  it('drops the 0x03 of each 00 00 03 and keeps everything else', () => {
    expect(unescapeRbsp(Buffer.from([0x00, 0x00, 0x03, 0x01, 0x00, 0x00, 0x03, 0x00, 0x00, 0x03]))).toEqual(
      Buffer.from([0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00]),
    );
  });

  it('counts zeros afresh after an emulation prevention byte', () => {
    // 00 00 03 | 00 03: the second 03 follows only one zero, so it is data.
    expect(unescapeRbsp(Buffer.from([0x00, 0x00, 0x03, 0x00, 0x03]))).toEqual(
      Buffer.from([0x00, 0x00, 0x00, 0x03]),
    );
  });

  it('returns the same buffer when there is nothing to drop', () => {
    const nal = Buffer.from([0x67, 0x64, 0x00, 0x1f, 0x00, 0x03]);
    expect(unescapeRbsp(nal)).toBe(nal);
  });
});
