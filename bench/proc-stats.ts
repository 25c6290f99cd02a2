/**
 * CPU and memory of process trees from Linux /proc: utime+stime ticks (/proc/PID/stat), VmRSS and VmHWM
 * (/proc/PID/status), Pss (/proc/PID/smaps_rollup), and whole-machine busy time (/proc/stat).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';

/** Clock ticks per second of /proc/PID/stat's utime/stime (USER_HZ, 100 on Linux almost always). */
export const clockTicksPerSec = ((): number => {
  try {
    const value = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    return Number.isFinite(value) && value > 0 ? value : 100;
  } catch {
    return 100;
  }
})();

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** Fields of /proc/PID/stat after the `(comm)`: index 0 is field 3 (state). */
function statFields(pid: number): string[] | undefined {
  const stat = readText(`/proc/${pid}/stat`);
  if (stat === undefined) return undefined;
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** pid -> ppid of every process now. */
function parentMap(): Map<number, number> {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const fields = statFields(Number(entry));
    if (fields?.[1] !== undefined) parents.set(Number(entry), Number(fields[1]));
  }
  return parents;
}

/** `roots` and all their descendants that are alive now. */
export function processTree(roots: readonly number[]): number[] {
  const parents = parentMap();
  const children = new Map<number, number[]>();
  for (const [pid, ppid] of parents) {
    const list = children.get(ppid) ?? [];
    list.push(pid);
    children.set(ppid, list);
  }
  const seen = new Set<number>();
  const stack = roots.filter((pid) => parents.has(pid));
  while (stack.length > 0) {
    const pid = stack.pop()!;
    if (seen.has(pid)) continue;
    seen.add(pid);
    stack.push(...(children.get(pid) ?? []));
  }
  return [...seen];
}

/** The command line of `pid`, shortened (empty when it is gone). */
export function commandLine(pid: number, maxChars = 160): string {
  const text = (readText(`/proc/${pid}/cmdline`) ?? '').split('\0').join(' ').trim();
  return text.length > maxChars ? `${text.slice(0, maxChars)}…` : text;
}

/** utime+stime (ticks) of one process; 0 when it is gone. */
export function cpuTicks(pid: number): number {
  const fields = statFields(pid);
  // utime and stime are fields 14 and 15 (1-based), i.e. index 11 and 12 here.
  return fields === undefined ? 0 : Number(fields[11]) + Number(fields[12]);
}

/** A `VmRSS:`-style line of /proc/PID/status, in kB (0 when absent). */
function statusKb(pid: number, key: 'VmRSS' | 'VmHWM'): number {
  const status = readText(`/proc/${pid}/status`) ?? '';
  const match = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status);
  return match?.[1] === undefined ? 0 : Number(match[1]);
}

/** Proportional set size in kB (shared pages split among the processes sharing them). */
function pssKb(pid: number): number {
  const rollup = readText(`/proc/${pid}/smaps_rollup`) ?? '';
  const match = /^Pss:\s+(\d+) kB/m.exec(rollup);
  return match?.[1] === undefined ? 0 : Number(match[1]);
}

/** Busy and total jiffies of the whole machine (first line of /proc/stat). */
export function hostTicks(): { busy: number; total: number } {
  const line = (readText('/proc/stat') ?? '').split('\n')[0] ?? '';
  const values = line.trim().split(/\s+/).slice(1).map(Number);
  const total = values.reduce((a, b) => a + b, 0);
  // idle + iowait are fields 4 and 5.
  const idle = (values[3] ?? 0) + (values[4] ?? 0);
  return { busy: total - idle, total };
}

/** What a {@link TreeSampler} measured over its window. */
export interface TreeSample {
  /** CPU time of the tree over the window, as % of one core. */
  cpuPercent: number;
  /** Largest sum of VmRSS over the tree seen at any sample (MB). */
  peakRssMb: number;
  /** Largest sum of Pss over the tree seen at any sample (MB): shared libraries counted once. */
  peakPssMb: number;
  /** Sum of VmHWM (each process's own peak RSS since it started) at the end of the window (MB). */
  hwmSumMb: number;
  /** Sum of VmRSS at the last sample (MB). */
  lastRssMb: number;
  /** How many processes the tree had at the end. */
  processes: number;
  /** The most processes the tree had at any sample. */
  maxProcesses: number;
  /** The machine's busy time over the window, as % of all cores. */
  hostBusyPercent: number;
  /** Window length actually measured (s). */
  seconds: number;
  /** (elapsed s, RSS MB) every sample, for growth checks. */
  rssSeries: [number, number][];
}

/**
 * Samples the CPU and memory of the process trees under `roots` (re-walked every sample, so children
 * started later are included) from `start()` to `stop()`.
 */
export class TreeSampler {
  readonly #roots: () => readonly number[];
  readonly #intervalMs: number;
  #timer: NodeJS.Timeout | undefined;
  #startMs = 0;
  #startHost = { busy: 0, total: 0 };
  /** Ticks per pid at start (0 for pids first seen later, which were started inside the window). */
  readonly #startTicks = new Map<number, number>();
  /** Last ticks seen per pid, so a process that exits inside the window still counts. */
  readonly #lastTicks = new Map<number, number>();
  #peakRssKb = 0;
  #peakPssKb = 0;
  #lastRssKb = 0;
  #maxProcesses = 0;
  #series: [number, number][] = [];

  constructor(roots: () => readonly number[], intervalMs = 500) {
    this.#roots = roots;
    this.#intervalMs = intervalMs;
  }

  start(): void {
    this.#startMs = performance.now();
    this.#startHost = hostTicks();
    for (const pid of processTree(this.#roots())) this.#startTicks.set(pid, cpuTicks(pid));
    this.#sample();
    this.#timer = setInterval(() => {
      this.#sample();
    }, this.#intervalMs);
  }

  #sample(): void {
    let rss = 0;
    let pss = 0;
    const pids = processTree(this.#roots());
    this.#maxProcesses = Math.max(this.#maxProcesses, pids.length);
    for (const pid of pids) {
      const ticks = cpuTicks(pid);
      if (ticks > 0) this.#lastTicks.set(pid, ticks);
      if (!this.#startTicks.has(pid)) this.#startTicks.set(pid, 0);
      rss += statusKb(pid, 'VmRSS');
      pss += pssKb(pid);
    }
    this.#peakRssKb = Math.max(this.#peakRssKb, rss);
    this.#peakPssKb = Math.max(this.#peakPssKb, pss);
    this.#lastRssKb = rss;
    this.#series.push([Math.round((performance.now() - this.#startMs) / 100) / 10, Math.round(rss / 1024)]);
  }

  stop(): TreeSample {
    clearInterval(this.#timer);
    this.#sample();
    const seconds = (performance.now() - this.#startMs) / 1000;
    const host = hostTicks();
    let ticks = 0;
    let hwmKb = 0;
    const alive = processTree(this.#roots());
    for (const [pid, start] of this.#startTicks) ticks += (this.#lastTicks.get(pid) ?? start) - start;
    for (const pid of alive) hwmKb += statusKb(pid, 'VmHWM');
    const hostTotal = host.total - this.#startHost.total;
    return {
      cpuPercent: (ticks / clockTicksPerSec / seconds) * 100,
      peakRssMb: this.#peakRssKb / 1024,
      peakPssMb: this.#peakPssKb / 1024,
      hwmSumMb: hwmKb / 1024,
      lastRssMb: this.#lastRssKb / 1024,
      processes: alive.length,
      maxProcesses: this.#maxProcesses,
      hostBusyPercent: hostTotal > 0 ? ((host.busy - this.#startHost.busy) / hostTotal) * 100 : 0,
      seconds,
      rssSeries: this.#series,
    };
  }
}

/** Sum of VmRSS over `roots`' process trees now, MB. */
export function treeRssMb(roots: readonly number[]): number {
  return processTree(roots).reduce((sum, pid) => sum + statusKb(pid, 'VmRSS'), 0) / 1024;
}
