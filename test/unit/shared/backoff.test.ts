import { describe, expect, it } from 'vitest';
import { backoffDelayMs, defaultBackoff } from '../../../src/shared/backoff.js';

describe('backoff', () => {
  it('doubles from 1 s to a 60 s cap', () => {
    const middle = () => 0.5; // no jitter
    expect([0, 1, 2, 3, 4, 5, 6, 7, 20].map((n) => backoffDelayMs(n, defaultBackoff, middle))).toEqual([
      1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000, 60000,
    ]);
  });

  it('spreads retries by +/-20 % so many outputs do not reconnect in lockstep, never past the cap', () => {
    expect(backoffDelayMs(2, defaultBackoff, () => 0)).toBe(3200);
    expect(backoffDelayMs(2, defaultBackoff, () => 0.999999)).toBe(4800);
    expect(backoffDelayMs(10, defaultBackoff, () => 0.999999)).toBe(60000);
  });
});
