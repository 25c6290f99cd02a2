import { systemClock, type Clock } from '../shared/clock.js';
import type { Logger } from '../shared/logger.js';

/** Options of a {@link RefusalLog}. */
export interface RefusalLogOptions {
  /** One line per address and code per window (default 60 s). */
  windowMs?: number;
  /** Most address+code pairs remembered; the oldest is forgotten first (default 10,000). */
  maxKeys?: number;
  clock?: Clock;
}

interface Window {
  remote: string;
  code: string;
  startedAt: number;
  /** Refusals since the line that opened this window. */
  suppressed: number;
}

/**
 * Logs refused connections once per address and code per minute, so a peer refused a million times
 * writes a line a minute, not a million lines. How many were left out is said when the window ends.
 */
export class RefusalLog {
  readonly #log: Logger;
  readonly #windowMs: number;
  readonly #maxKeys: number;
  readonly #clock: Clock;
  /** In the order windows opened (a key is re-inserted when its window reopens), so expiry is from the front. */
  readonly #windows = new Map<string, Window>();

  constructor(log: Logger, options: RefusalLogOptions = {}) {
    this.#log = log;
    this.#windowMs = options.windowMs ?? 60_000;
    this.#maxKeys = options.maxKeys ?? 10_000;
    this.#clock = options.clock ?? systemClock;
  }

  /** Records one refusal; logs it (returning true) unless this address and code had a line this window. */
  refused(remote: string, code: string, fields: Record<string, unknown> = {}, msg = 'rtmp refused'): boolean {
    const now = this.#clock.now();
    this.#expire(now);
    const key = `${remote}\u0000${code}`;
    const open = this.#windows.get(key);
    if (open !== undefined && now - open.startedAt < this.#windowMs) {
      open.suppressed++;
      return false;
    }
    this.#windows.delete(key);
    this.#windows.set(key, { remote, code, startedAt: now, suppressed: 0 });
    if (this.#windows.size > this.#maxKeys) {
      const oldest = this.#windows.keys().next();
      if (oldest.done !== true) this.#windows.delete(oldest.value); // its count is lost: memory is bounded
    }
    this.#log.warn({ remote, code, ...fields }, msg);
    return true;
  }

  /** Forgets windows that ended, saying how many refusals each left out (one line per window at most). */
  #expire(now: number): void {
    for (const [key, window] of this.#windows) {
      if (now - window.startedAt < this.#windowMs) return;
      this.#windows.delete(key);
      const { remote, code, suppressed } = window;
      if (suppressed > 0) this.#log.warn({ remote, code, suppressed }, 'rtmp refusals left out of the log');
    }
  }
}
