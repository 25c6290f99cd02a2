/**
 * A bounded, deterministic slice of the fuzzer (test/fuzz/run-fuzz.ts runs it for longer): 2000 seeded
 * mutations of the captured session through ChunkReader, decodeAmf0 and ServerHandshake.
 */
import { describe, it, expect } from 'vitest';
import { mutate, mutateOnce, prng, type MutationKind } from '../../fuzz/mutate.js';
import { fuzzCase, type FuzzFailure } from '../../fuzz/targets.js';

describe('fuzzing the wire layer with mutated captures', () => {
  it('mutations are deterministic per seed and leave the input untouched', () => {
    const input = Buffer.from('0123456789abcdef');
    const a = mutate(input, prng(42));
    const b = mutate(input, prng(42));
    expect(a.equals(b)).toBe(true);
    expect(input.toString()).toBe('0123456789abcdef');
    const kinds: MutationKind[] = ['bitflip', 'byte', 'insert', 'delete', 'truncate', 'bump', 'duplicate'];
    for (const kind of kinds) expect(mutateOnce(input, prng(7), kind)).toBeInstanceOf(Buffer);
  });

  it('2000 cases: only RtmpError/Amf0Error thrown, no message above the cap, AMF0 re-encodes stably', () => {
    const failures: FuzzFailure[] = [];
    for (let seed = 1; seed <= 2000; seed++) {
      const failure = fuzzCase(seed);
      if (failure) failures.push(failure);
    }
    expect(failures.map((f) => ({ ...f, error: String(f.error) }))).toEqual([]);
  });
});
