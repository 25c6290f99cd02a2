const wrap = 2 ** 32;

/**
 * Turns 32-bit RTMP timestamps into an unwrapped millisecond timeline: past 2^32 ms (49.7 days, or much
 * sooner when an encoder starts with a large offset) it keeps counting instead of jumping back to 0. A
 * small step backwards stays a step backwards; only a jump of more than 2^31 is taken for a wrap.
 */
export class TimestampUnwrapper {
  #last: number | undefined;

  unwrap(timestamp32: number): number {
    if (this.#last === undefined) {
      this.#last = timestamp32;
      return timestamp32;
    }
    const forward = (((timestamp32 - this.#last) % wrap) + wrap) % wrap;
    this.#last = forward < wrap / 2 ? this.#last + forward : this.#last - (wrap - forward);
    return this.#last;
  }
}
