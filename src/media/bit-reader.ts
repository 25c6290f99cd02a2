import { MediaError } from './errors.js';

/**
 * MSB-first bit reader for codec bitstreams (H.264/H.265 SPS, AV1 sequence header, AudioSpecificConfig).
 * Reads past the end throw MediaError CONFIG_MALFORMED. Feed it RBSP (see `unescapeRbsp`) for NAL units.
 */
export class BitReader {
  readonly #buf: Buffer;
  #bitPos: number;
  readonly #bitEnd: number;

  constructor(buf: Buffer, byteOffset = 0) {
    this.#buf = buf;
    this.#bitPos = byteOffset * 8;
    this.#bitEnd = buf.length * 8;
  }

  /** Bits not yet read. */
  get bitsLeft(): number {
    return this.#bitEnd - this.#bitPos;
  }

  /** Position in bits from the start of the buffer. */
  get bitPosition(): number {
    return this.#bitPos;
  }

  readBit(): number {
    if (this.#bitPos >= this.#bitEnd) throw new MediaError('CONFIG_MALFORMED', 'bitstream ended early');
    const byte = this.#buf.readUInt8(this.#bitPos >>> 3);
    const bit = (byte >>> (7 - (this.#bitPos & 7))) & 1;
    this.#bitPos++;
    return bit;
  }

  readFlag(): boolean {
    return this.readBit() === 1;
  }

  /** Reads `count` bits (0..32) as an unsigned number. */
  readBits(count: number): number {
    if (count < 0 || count > 32)
      throw new MediaError('CONFIG_MALFORMED', `cannot read ${count} bits at once`);
    if (count > this.bitsLeft) throw new MediaError('CONFIG_MALFORMED', 'bitstream ended early');
    let value = 0;
    for (let i = 0; i < count; i++) value = value * 2 + this.readBit();
    return value;
  }

  skipBits(count: number): void {
    if (count > this.bitsLeft) throw new MediaError('CONFIG_MALFORMED', 'bitstream ended early');
    this.#bitPos += count;
  }

  /** ue(v): unsigned exp-Golomb (H.264 9.1): `leadingZeros` zeros, a one, then that many info bits. */
  readUE(): number {
    let leadingZeros = 0;
    while (this.readBit() === 0) {
      leadingZeros++;
      // 2^32 - 1 is the largest value any syntax element may take; more zeros is garbage.
      if (leadingZeros > 32) throw new MediaError('CONFIG_MALFORMED', 'exp-Golomb code too long');
    }
    return 2 ** leadingZeros - 1 + this.readBits(leadingZeros);
  }

  /** se(v): signed exp-Golomb (H.264 9.1.1): 0, 1, -1, 2, -2, … */
  readSE(): number {
    const k = this.readUE();
    if (k === 0) return 0;
    return k % 2 === 1 ? (k + 1) / 2 : -(k / 2);
  }

  /** uvlc() of AV1 (spec 4.10.3): like ue(v), but 32+ leading zeros mean 2^32 - 1. */
  readUvlc(): number {
    let leadingZeros = 0;
    while (this.readBit() === 0) leadingZeros++;
    if (leadingZeros >= 32) return 2 ** 32 - 1;
    return this.readBits(leadingZeros) + 2 ** leadingZeros - 1;
  }
}

/**
 * NAL unit payload -> RBSP: drops each emulation_prevention_three_byte (the 0x03 of 0x000003, H.264
 * 7.4.1 / H.265 7.4.2). Returns the input itself when there is nothing to drop.
 */
export function unescapeRbsp(nal: Buffer): Buffer {
  let zeros = 0;
  let firstEscape = -1;
  for (let i = 0; i < nal.length; i++) {
    const b = nal.readUInt8(i);
    if (zeros >= 2 && b === 3) {
      firstEscape = i;
      break;
    }
    zeros = b === 0 ? zeros + 1 : 0;
  }
  if (firstEscape < 0) return nal;
  const out = Buffer.allocUnsafe(nal.length);
  nal.copy(out, 0, 0, firstEscape);
  let n = firstEscape;
  zeros = 0;
  for (let i = firstEscape + 1; i < nal.length; i++) {
    const b = nal.readUInt8(i);
    if (zeros >= 2 && b === 3) {
      zeros = 0;
      continue;
    }
    out[n++] = b;
    zeros = b === 0 ? zeros + 1 : 0;
  }
  return out.subarray(0, n);
}
