/**
 * The slow-sink case: this server with N destinations, one of them on a second nginx-rtmp whose worker
 * is SIGSTOPped for a window (a platform that stops reading with its socket open). The others' delivered
 * rate before vs during the stop, and our RSS while the stopped output's queue fills and drops GOPs.
 */
import { spawnSync } from 'node:child_process';
import { mean, waitReceiving, warmUpServer, window, type RunTiming } from './measure.js';
import type { BenchNginx } from './nginx.js';
import { waitAllLive, type OutputView } from './our-server.js';
import { startSystem, type Destination } from './systems.js';

/** Bytes waiting in the kernel on connections to `port` (ss: receiver's Recv-Q, sender's Send-Q). */
function socketQueues(port: number): string {
  const out = spawnSync('ss', ['-tnH', 'state', 'established', `( sport = :${port} or dport = :${port} )`], {
    encoding: 'utf8',
  });
  if (out.status !== 0) return 'ss unavailable';
  let recvQ = 0;
  let sendQ = 0;
  let conns = 0;
  for (const line of out.stdout.split('\n')) {
    const [recv, send, local] = line.trim().split(/\s+/);
    if (local === undefined) continue;
    conns++;
    if (local.endsWith(`:${port}`)) recvQ += Number(recv);
    else sendQ += Number(send);
  }
  const mb = (b: number): string => (b / 1048576).toFixed(1);
  return `${conns} connection ends, sink Recv-Q ${mb(recvQ)} MB, our Send-Q ${mb(sendQ)} MB`;
}

/** The slow-sink case's result. */
export interface SlowSinkResult {
  n: number;
  /** Mean / min Mbit/s of the N-1 healthy destinations before and during the stop. */
  before: { mbpsMean: number; mbpsMin: number; rssPeakMb: number; cpuPercent: number };
  during: { mbpsMean: number; mbpsMin: number; rssPeakMb: number; cpuPercent: number };
  /** Our RSS at the end of the stop window, and its growth over the window's second half. */
  rssEndMb: number;
  rssGrowthSecondHalfMb: number;
  /** The stopped destination's output as /api/status showed it at the end of the stop. */
  stoppedOutput: OutputView | undefined;
  /** (s, MB) RSS samples during the stop. */
  rssSeries: [number, number][];
  notes: string[];
}

/** This server at `n`: one destination on `slowSink`, whose workers are SIGSTOPped for a window. */
export async function runSlowSink(
  n: number,
  sink: BenchNginx,
  slowSink: BenchNginx,
  mediaFile: string,
  timing: RunTiming,
  log: (line: string) => void,
): Promise<SlowSinkResult> {
  const keys = Array.from({ length: n - 1 }, (_, i) => `slow-n${n}-${String(i + 1).padStart(3, '0')}`);
  const destinations: Destination[] = keys.map((key) => ({
    appUrl: `rtmp://127.0.0.1:${sink.rtmpPort}/sink`,
    key,
  }));
  destinations.push({ appUrl: `rtmp://127.0.0.1:${slowSink.rtmpPort}/sink`, key: 'stopped' });
  const notes: string[] = [];
  const system = await startSystem('restream', destinations, mediaFile);
  const ours = system.ours!;
  try {
    const receiving = await waitReceiving(sink, keys, 30_000 + n * 300);
    const live = await waitAllLive(ours, n, 20_000);
    log(
      `  slow-sink N=${n}: ${receiving}/${n - 1} receiving, ${live}/${n} live; warm-up ${timing.warmupSeconds} s`,
    );
    if (live < n) notes.push(`only ${live}/${n} outputs live before the stop`);
    await warmUpServer(ours.process.pid, timing.warmupSeconds * 1000, notes, log);
    const before = await window(system, sink, keys, timing.seconds, notes);
    log(`  slow-sink: SIGSTOP the one destination's nginx workers for ${timing.seconds} s`);
    slowSink.pause();
    const during = await window(system, sink, keys, timing.seconds, notes);
    const stoppedOutput = (await ours.outputs()).find((o) => o.name === `bench-${n - 1}`);
    const queues = socketQueues(slowSink.rtmpPort);
    notes.push(`sockets to the stopped sink at the end of the stop (ss): ${queues}`);
    slowSink.resume();
    const series = during.relay.rssSeries;
    const half = series.filter(([t]) => t >= during.relay.seconds / 2).map(([, mb]) => mb);
    const summary = (w: typeof before): SlowSinkResult['before'] => ({
      mbpsMean: mean(w.mbps),
      mbpsMin: Math.min(...w.mbps),
      rssPeakMb: w.relay.peakRssMb,
      cpuPercent: w.relay.cpuPercent,
    });
    return {
      n,
      before: summary(before),
      during: summary(during),
      rssEndMb: during.relay.lastRssMb,
      rssGrowthSecondHalfMb: half.length > 1 ? half[half.length - 1]! - Math.min(...half) : 0,
      stoppedOutput,
      rssSeries: series,
      notes,
    };
  } finally {
    slowSink.resume();
    await system.stop();
  }
}
