/** Options of an exponential backoff with jitter. */
export interface BackoffOptions {
  /** First delay. */
  initialMs: number;
  /** Largest delay. */
  maxMs: number;
  /** Growth per attempt. */
  factor: number;
  /** Fraction of the delay randomised either way (0.2 = +/-20 %). */
  jitter: number;
}

/** Transient-failure retry policy of outputs: 1 s doubling to a 60 s cap, +/-20 % jitter. */
export const defaultBackoff: BackoffOptions = { initialMs: 1000, maxMs: 60_000, factor: 2, jitter: 0.2 };

/** Delay before retry number `attempt` (0-based). `random` is injectable for tests. */
export function backoffDelayMs(attempt: number, options: BackoffOptions, random = Math.random): number {
  const base = Math.min(options.maxMs, options.initialMs * options.factor ** Math.max(0, attempt));
  const spread = base * options.jitter * (random() * 2 - 1);
  return Math.max(0, Math.round(Math.min(options.maxMs, base + spread)));
}
