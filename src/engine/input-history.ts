import type { BitrateSeries } from '../contract/index.js';

/** Options of the input bitrate history. */
export interface InputHistoryOptions {
  /** Ids of every channel to sample. */
  channels: () => string[];
  /** A channel's input bitrate now, in kbit/s (0 or undefined when nothing comes in). */
  bitrateKbps: (channelId: string) => number | undefined;
  /** Sample period (default 1000 ms). */
  intervalMs?: number;
  /** How much history is kept (default 300 s, the dashboard's "last five minutes"). */
  keepSec?: number;
  /** Wall clock in ms (tests inject a fake). */
  now?: () => number;
}

/**
 * The last minutes of each channel's input bitrate, sampled every second whether or not anyone is
 * watching, so that `/api/status` can hand a freshly loaded dashboard (a reload, a phone) its chart at
 * once instead of an empty one that fills over five minutes.
 */
export class InputHistory {
  readonly #options: InputHistoryOptions;
  readonly #keepSec: number;
  readonly #series = new Map<string, BitrateSeries>();
  readonly #timer: NodeJS.Timeout;
  readonly #now: () => number;

  constructor(options: InputHistoryOptions) {
    this.#options = options;
    this.#keepSec = options.keepSec ?? 300;
    this.#now = options.now ?? Date.now;
    this.#timer = setInterval(() => {
      this.sample();
    }, options.intervalMs ?? 1000);
    this.#timer.unref();
  }

  /** Takes one sample of every channel now (the timer calls it; tests may too). */
  sample(): void {
    const t = Math.round(this.#now() / 1000);
    const cut = t - this.#keepSec;
    const ids = new Set(this.#options.channels());
    for (const id of this.#series.keys()) if (!ids.has(id)) this.#series.delete(id);
    for (const id of ids) {
      let series = this.#series.get(id);
      if (!series) {
        series = { t: [], v: [] };
        this.#series.set(id, series);
      }
      if (series.t.at(-1) === t) continue;
      series.t.push(t);
      series.v.push(this.#options.bitrateKbps(id) ?? 0);
      let drop = 0;
      while (drop < series.t.length && (series.t[drop] ?? 0) < cut) drop++;
      if (drop > 0) {
        series.t.splice(0, drop);
        series.v.splice(0, drop);
      }
    }
  }

  /** A copy of a channel's history (empty when none is kept). */
  series(channelId: string): BitrateSeries {
    const series = this.#series.get(channelId);
    return series ? { t: [...series.t], v: [...series.v] } : { t: [], v: [] };
  }

  close(): void {
    clearInterval(this.#timer);
  }
}
