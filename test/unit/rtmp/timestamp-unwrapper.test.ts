import { describe, expect, it } from 'vitest';
import { TimestampUnwrapper } from '../../../src/rtmp/timestamp-unwrapper.js';

describe('TimestampUnwrapper', () => {
  it('counts on past 2^32 instead of wrapping to 0', () => {
    const u = new TimestampUnwrapper();
    expect(u.unwrap(2 ** 32 - 20)).toBe(2 ** 32 - 20);
    expect(u.unwrap(13)).toBe(2 ** 32 + 13);
    expect(u.unwrap(53)).toBe(2 ** 32 + 53);
  });

  it('keeps a small step backwards a step backwards', () => {
    const u = new TimestampUnwrapper();
    u.unwrap(1000);
    expect(u.unwrap(990)).toBe(990);
    expect(u.unwrap(1010)).toBe(1010);
  });

  it('goes back over the wrap too', () => {
    const u = new TimestampUnwrapper();
    u.unwrap(5);
    expect(u.unwrap(2 ** 32 - 5)).toBe(-5);
  });
});
