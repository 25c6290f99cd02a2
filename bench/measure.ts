/**
 * One measured run of one system at one N, and the slow-sink case: wait until all N destinations
 * receive, warm up, then measure the relay's CPU and memory (/proc) and what each destination got,
 * counted where it arrives: the sink nginx's `rtmp_stat` per-stream `bytes_in`, read at the start and
 * the end of the window.
 */
import { childPidsSync, waitFor } from '../test/helpers/process.js';
import { fetchStreamStats, type BenchNginx, type StreamStat } from './nginx.js';
import { waitAllLive, type OutputView } from './our-server.js';
import { commandLine, TreeSampler, type TreeSample } from './proc-stats.js';
import { startSystem, type Destination, type RunningSystem, type SystemId } from './systems.js';
import { LatencyProbe, type LatencyFigures } from './latency.js';
import { countSyscalls, type SyscallRates } from './syscalls.js';

/** What one system did at one N. */
export interface RunResult {
  system: SystemId;
  n: number;
  /** Destinations that got bytes during the window. */
  receiving: number;
  /** Relay RSS once started and configured, before the publisher connected (MB). */
  idleRssMb?: number;
  /** Relay CPU and memory over the window. */
  relay: TreeSample;
  /** The sink's CPU over the window (% of one core), for context. */
  sinkCpuPercent: number;
  /** Delivered Mbit/s per destination over the window (0 for one that got nothing). */
  mbpsPerDest: number[];
  mbpsMean: number;
  mbpsMin: number;
  /** Seconds from starting the system until all N were receiving (or the wait gave up). */
  readySeconds: number;
  /** For restream: outputs live at the end, dropped frames and reconnects summed. */
  ours?: { live: number; droppedFrames: number; reconnects: number; states: Record<string, number> };
  /** Relay processes (ffmpeg pullers) that died during the run. */
  exitedEarly: number;
  /** Ingest -> last destination, over the window (undefined: no frame matched). */
  latency?: LatencyFigures;
  /** Syscalls of the relay per second, in a window after the CPU window (or why not counted). */
  syscalls?: SyscallRates | string;
  /** Anything odd seen. */
  notes: string[];
}

/** Timing of a run. */
export interface RunTiming {
  seconds: number;
  warmupSeconds: number;
  /** The strace window after the CPU window, s (0: none). */
  syscallSeconds: number;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Sink streams whose name starts with `prefix`, from the stat page. */
async function sinkStreams(sink: BenchNginx, prefix: string): Promise<Map<string, StreamStat>> {
  const all = await fetchStreamStats(sink.statPort!, 'sink');
  return new Map([...all].filter(([name]) => name.startsWith(prefix)));
}

/** Waits until `keys` are all publishing on the sink with bytes flowing; returns how many were. */
export async function waitReceiving(
  sink: BenchNginx,
  keys: readonly string[],
  timeoutMs: number,
): Promise<number> {
  let count = 0;
  const prefix = commonPrefix(keys);
  try {
    await waitFor(
      async () => {
        const streams = await sinkStreams(sink, prefix);
        count = keys.filter((k) => {
          const s = streams.get(k);
          return s !== undefined && s.publishing && s.bytesIn > 0;
        }).length;
        return count === keys.length;
      },
      { what: `${keys.length} streams on the sink`, timeoutMs, intervalMs: 500 },
    );
  } catch {
    // Measured anyway; the table shows how many were receiving.
  }
  return count;
}

function commonPrefix(keys: readonly string[]): string {
  const first = keys[0] ?? '';
  return first.slice(0, first.lastIndexOf('-') + 1);
}

/**
 * The warm-up of this server: at least `warmupMs`, and until it has had no child process for `quietMs`
 * (bounded). On a first publish it starts a background job (ffmpeg conforming the fallback to the live
 * stream's parameters): real work of the server, but not relaying; the window measures the steady
 * state, and a note says what ran and for how long.
 */
export async function warmUpServer(
  pid: number,
  warmupMs: number,
  notes: string[],
  log: (line: string) => void,
  quietMs = 2000,
): Promise<void> {
  const t0 = performance.now();
  const seen = new Map<number, string>();
  let lastBusy = t0;
  let logged = false;
  for (;;) {
    const now = performance.now();
    const children = childPidsSync(pid);
    for (const child of children) if (!seen.has(child)) seen.set(child, commandLine(child));
    if (children.length > 0) {
      lastBusy = now;
      if (!logged)
        log(`  waiting for the server's child process(es) to end: ${[...seen.values()].join(' | ')}`);
      logged = true;
    }
    if (now - t0 >= warmupMs && now - lastBusy >= quietMs) break;
    if (now - t0 >= 180_000) {
      notes.push('the server still had child processes after 180 s of warm-up: measured anyway');
      break;
    }
    await sleep(250);
  }
  if (seen.size > 0) {
    const seconds = ((lastBusy - t0) / 1000).toFixed(1);
    notes.push(
      `during the warm-up the server ran ${seen.size} child process(es) (the last ended by ${seconds} s): ` +
        [...seen.values()].join(' | '),
    );
  }
}

/** Per-key Mbit/s between two stat snapshots taken `seconds` apart. */
function rates(
  keys: readonly string[],
  before: Map<string, StreamStat>,
  after: Map<string, StreamStat>,
  seconds: number,
  notes: string[],
): number[] {
  return keys.map((key) => {
    const b = before.get(key)?.bytesIn ?? 0;
    const a = after.get(key)?.bytesIn;
    if (a === undefined) return 0;
    if (a < b) {
      notes.push(`${key}: stream restarted on the sink during the window`);
      return (a * 8) / seconds / 1e6;
    }
    return ((a - b) * 8) / seconds / 1e6;
  });
}

/** Measures CPU/RSS of the relay, the sink's CPU, and delivered rates of `keys` over `seconds`. */
export async function window(
  system: RunningSystem,
  sink: BenchNginx,
  keys: readonly string[],
  seconds: number,
  notes: string[],
): Promise<{ relay: TreeSample; sinkCpu: number; mbps: number[] }> {
  const prefix = commonPrefix(keys);
  const relay = new TreeSampler(() => system.relayRoots());
  const sinkSampler = new TreeSampler(() => sink.pids(), 2000);
  const before = await sinkStreams(sink, prefix);
  const t0 = performance.now();
  relay.start();
  sinkSampler.start();
  await sleep(seconds * 1000);
  const relaySample = relay.stop();
  const sinkSample = sinkSampler.stop();
  const after = await sinkStreams(sink, prefix);
  const elapsed = (performance.now() - t0) / 1000;
  return {
    relay: relaySample,
    sinkCpu: sinkSample.cpuPercent,
    mbps: rates(keys, before, after, elapsed, notes),
  };
}

export function summarizeOutputs(outputs: OutputView[]): NonNullable<RunResult['ours']> {
  const states: Record<string, number> = {};
  for (const o of outputs) states[o.state] = (states[o.state] ?? 0) + 1;
  return {
    live: states.live ?? 0,
    droppedFrames: outputs.reduce((sum, o) => sum + o.droppedFrames, 0),
    reconnects: outputs.reduce((sum, o) => sum + o.reconnects, 0),
    states,
  };
}

export const mean = (xs: number[]): number =>
  xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length;

/** Runs `id` at `n` destinations on `sink`, measures, stops it. */
export async function runOne(
  id: SystemId,
  n: number,
  sink: BenchNginx,
  mediaFile: string,
  timing: RunTiming,
  log: (line: string) => void,
): Promise<RunResult> {
  const sinkUrl = `rtmp://127.0.0.1:${sink.rtmpPort}/sink`;
  const keys = Array.from({ length: n }, (_, i) => `${id}-n${n}-${String(i + 1).padStart(3, '0')}`);
  // The last destination (the one the fan-out writes last) goes through the latency tap.
  const probe = await LatencyProbe.start(sink.rtmpPort);
  const destinations: Destination[] = keys.map((key, i) => ({
    appUrl: i === n - 1 ? probe.destinationAppUrl : sinkUrl,
    key,
  }));
  const notes: string[] = [];
  const t0 = performance.now();
  const system = await startSystem(id, destinations, mediaFile, probe.route).catch(async (err: unknown) => {
    await probe.close();
    throw err;
  });
  try {
    const readyTimeoutMs = 30_000 + n * 300;
    let receiving = await waitReceiving(sink, keys, readyTimeoutMs);
    if (system.ours) {
      const live = await waitAllLive(system.ours, n, 10_000);
      if (live < n) notes.push(`only ${live}/${n} outputs 'live' in /api/status before the window`);
    }
    const readySeconds = (performance.now() - t0) / 1000;
    if (receiving < n)
      notes.push(`only ${receiving}/${n} destinations receiving after ${readySeconds.toFixed(0)} s`);
    log(
      `  ${id} N=${n}: ${receiving}/${n} receiving after ${readySeconds.toFixed(1)} s; warm-up ${timing.warmupSeconds} s`,
    );
    if (system.ours) await warmUpServer(system.ours.process.pid, timing.warmupSeconds * 1000, notes, log);
    else await sleep(timing.warmupSeconds * 1000);
    const windowStart = performance.now();
    const measured = await window(system, sink, keys, timing.seconds, notes);
    const latency = probe.measure(windowStart, performance.now() - 1000);
    const syscalls =
      timing.syscallSeconds > 0 ? await countSyscalls(system.relayRoots(), timing.syscallSeconds) : undefined;
    receiving = measured.mbps.filter((r) => r > 0).length;
    if (!system.publisher.process.isRunning()) notes.push('the publisher exited during the run');
    if (measured.relay.maxProcesses > measured.relay.processes)
      notes.push(
        `${measured.relay.maxProcesses - measured.relay.processes} relay process(es) ended inside the window`,
      );
    const result: RunResult = {
      system: id,
      n,
      receiving,
      idleRssMb: system.idleRssMb,
      relay: measured.relay,
      sinkCpuPercent: measured.sinkCpu,
      mbpsPerDest: measured.mbps,
      mbpsMean: mean(measured.mbps),
      mbpsMin: Math.min(...measured.mbps),
      readySeconds,
      exitedEarly: system.exitedEarly(),
      notes,
      ...(latency ? { latency } : {}),
      ...(syscalls === undefined ? {} : { syscalls }),
    };
    if (system.ours) {
      try {
        result.ours = summarizeOutputs(await system.ours.outputs());
      } catch (err) {
        notes.push(`GET /api/status failed after the window: ${(err as Error).message}`);
      }
    }
    return result;
  } finally {
    await system.stop();
    await probe.close();
    // The next run starts on a quiet sink: wait for these streams to be gone.
    await waitFor(async () => (await sinkStreams(sink, commonPrefix(keys))).size === 0, {
      what: 'sink streams to close',
      timeoutMs: 15_000,
      intervalMs: 250,
    }).catch(() => undefined);
  }
}
