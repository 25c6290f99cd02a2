/** RSS and open file descriptors of a process, from Linux /proc. */
import { readdirSync, readFileSync } from 'node:fs';

/** Resident set size in MB (VmRSS), or NaN when the process is gone. */
export function rssMb(pid: number): number {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match?.[1] === undefined ? NaN : Number(match[1]) / 1024;
  } catch {
    return NaN;
  }
}

/** Open file descriptors (entries of /proc/PID/fd), or NaN when the process is gone. */
export function openFds(pid: number): number {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return NaN;
  }
}

/** Samples RSS every `everyMs` until stopped; reports the peak. */
export class RssSampler {
  #peak = 0;
  readonly #timer: NodeJS.Timeout;

  constructor(
    readonly pid: number,
    everyMs = 100,
  ) {
    this.#peak = rssMb(pid);
    this.#timer = setInterval(() => {
      const now = rssMb(pid);
      if (now > this.#peak) this.#peak = now;
    }, everyMs);
  }

  /** Stops sampling; returns the peak RSS in MB. */
  stop(): number {
    clearInterval(this.#timer);
    return Math.max(this.#peak, rssMb(this.pid));
  }
}
