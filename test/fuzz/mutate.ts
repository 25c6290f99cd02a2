/**
 * Deterministic, seeded mutations of captured RTMP sessions. The same seed always yields the same bytes,
 * so a failing case is reproduced from its seed alone (`npm run fuzz -- --seed N --cases 1`).
 */

/** A small fast PRNG (mulberry32): uniform floats in [0, 1). */
export type Random = () => number;

export function prng(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An integer in [0, n). */
export function below(random: Random, n: number): number {
  return Math.floor(random() * n);
}

function pick<T>(random: Random, items: readonly T[]): T {
  const item = items[below(random, items.length)];
  if (item === undefined) throw new RangeError('pick from an empty list');
  return item;
}

/** Values that make length and size fields interesting: zero, one, off-by-one, and all-ones. */
const EDGE_VALUES = [
  0, 1, 2, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x10000, 0xfffffe, 0xffffff, 0x1000000, 0x7fffffff, 0xffffffff,
];

export type MutationKind = 'bitflip' | 'byte' | 'insert' | 'delete' | 'truncate' | 'bump' | 'duplicate';
const KINDS: readonly MutationKind[] = [
  'bitflip',
  'byte',
  'insert',
  'delete',
  'truncate',
  'bump',
  'duplicate',
];

/** Applies one mutation; returns the new bytes (the input is never modified). */
export function mutateOnce(input: Buffer, random: Random, kind: MutationKind = pick(random, KINDS)): Buffer {
  const out = Buffer.from(input);
  if (out.length === 0) return Buffer.from([below(random, 256)]);
  const at = below(random, out.length);
  switch (kind) {
    case 'bitflip':
      out.writeUInt8(out.readUInt8(at) ^ (1 << below(random, 8)), at);
      return out;
    case 'byte':
      out.writeUInt8(below(random, 256), at);
      return out;
    case 'insert': {
      const n = 1 + below(random, 8);
      const bytes = Buffer.from(Array.from({ length: n }, () => below(random, 256)));
      return Buffer.concat([out.subarray(0, at), bytes, out.subarray(at)]);
    }
    case 'delete':
      return Buffer.concat([
        out.subarray(0, at),
        out.subarray(Math.min(out.length, at + 1 + below(random, 16))),
      ]);
    case 'truncate':
      return out.subarray(0, at);
    case 'bump': {
      // A length/size/timestamp field: overwrite 1-4 bytes big-endian with an edge value or a nudge.
      const width = 1 + below(random, 4);
      if (at + width > out.length) return out;
      const current = out.readUIntBE(at, width);
      const max = 2 ** (8 * width) - 1;
      const value =
        random() < 0.5 ? pick(random, EDGE_VALUES) : current + pick(random, [-2, -1, 1, 2, 16, 128, 4096]);
      out.writeUIntBE(Math.min(max, Math.max(0, value)), at, width);
      return out;
    }
    case 'duplicate': {
      const end = Math.min(out.length, at + 1 + below(random, 64));
      return Buffer.concat([out.subarray(0, end), out.subarray(at, end), out.subarray(end)]);
    }
  }
}

/** 1-4 seeded mutations of `input`. */
export function mutate(input: Buffer, random: Random): Buffer {
  let out = input;
  const rounds = 1 + below(random, 4);
  for (let i = 0; i < rounds; i++) out = mutateOnce(out, random);
  return out;
}

/** Cuts `input` into random pieces (1 byte to `maxPiece`), as a socket might deliver it. */
export function randomPieces(input: Buffer, random: Random, maxPiece = 4096): Buffer[] {
  const pieces: Buffer[] = [];
  let pos = 0;
  while (pos < input.length) {
    const n = random() < 0.3 ? 1 + below(random, 8) : 1 + below(random, maxPiece);
    pieces.push(input.subarray(pos, pos + n));
    pos += n;
  }
  return pieces;
}
