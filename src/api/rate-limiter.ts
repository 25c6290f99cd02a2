/** Options of a fixed-window rate limiter. */
export interface RateLimitOptions {
  /** Attempts allowed per key and window. */
  max: number;
  /** Window length. */
  windowMs: number;
  /** Keys tracked at most; beyond, the oldest are forgotten so an address sweep cannot grow memory. */
  maxKeys?: number;
  /** Clock (tests inject a fake). */
  now?: () => number;
}

/** Outcome of one attempt. */
export type RateLimitResult = { allowed: true } | { allowed: false; retryAfterSeconds: number };

interface Window {
  startedAt: number;
  count: number;
}

/**
 * A fixed-window counter per key (the client address, for login). In memory on purpose: one process
 * serves the API, and a restart forgetting the counts is harmless.
 */
export class RateLimiter {
  readonly #max: number;
  readonly #windowMs: number;
  readonly #maxKeys: number;
  readonly #now: () => number;
  readonly #windows = new Map<string, Window>();

  constructor(options: RateLimitOptions) {
    this.#max = options.max;
    this.#windowMs = options.windowMs;
    this.#maxKeys = options.maxKeys ?? 10_000;
    this.#now = options.now ?? Date.now;
  }

  /** Counts one attempt for `key` and says whether it may proceed. */
  hit(key: string): RateLimitResult {
    const now = this.#now();
    let window = this.#windows.get(key);
    if (!window || now - window.startedAt >= this.#windowMs) {
      this.#windows.delete(key);
      this.#makeRoom(now);
      window = { startedAt: now, count: 0 };
      this.#windows.set(key, window);
    }
    window.count += 1;
    if (window.count <= this.#max) return { allowed: true };
    return {
      allowed: false,
      retryAfterSeconds: Math.max(1, Math.ceil((window.startedAt + this.#windowMs - now) / 1000)),
    };
  }

  /** Forgets a key (after a successful login, so the admin's own typos stop counting). */
  reset(key: string): void {
    this.#windows.delete(key);
  }

  #makeRoom(now: number): void {
    if (this.#windows.size < this.#maxKeys) return;
    for (const [key, window] of this.#windows) {
      if (now - window.startedAt >= this.#windowMs) this.#windows.delete(key);
    }
    // Still full: drop the oldest (Map iterates in insertion order).
    for (const key of this.#windows.keys()) {
      if (this.#windows.size < this.#maxKeys) break;
      this.#windows.delete(key);
    }
  }
}
