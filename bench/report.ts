/** The bench's table (terminal and Markdown), the issue's targets as PASS/MISS, and the JSON record. */
import type { RunResult } from './measure.js';
import type { SlowSinkResult } from './slow-sink.js';
import { continuityTargets, type ContinuityResult } from './continuity.js';

/**
 * Issue #12's targets: this server's CPU against nginx-rtmp's at the same N (≤ 0.8× at N = 100, ≤ 1.0×
 * at N = 10), its peak RSS at N = 100, and the latency it adds at every N.
 */
export const targets = {
  n: 100,
  cpuRatioMax: { 10: 1.0, 100: 0.8 } as Readonly<Record<number, number>>,
  rssMbMax: 120,
  latencyMedianMsMax: 50,
  latencyMaxMsMax: 100,
} as const;

/** A result row with its ratios to nginx-rtmp at the same N. */
export interface Row {
  result: RunResult;
  cpuRatio: number | undefined;
  rssRatio: number | undefined;
  /**
   * What each destination beyond the first costs: (this N's figure − the same system's N = 1 figure) ÷
   * (N − 1), CPU % of one core and peak RSS MB (undefined at N = 1 or without an N = 1 run).
   */
  cpuPerDest: number | undefined;
  rssPerDestMb: number | undefined;
}

/** Attaches the ratios to nginx-rtmp's run at the same N. */
export function withRatios(results: readonly RunResult[]): Row[] {
  return results.map((result) => {
    const ref = results.find((r) => r.system === 'nginx-rtmp' && r.n === result.n);
    const one = results.find((r) => r.system === result.system && r.n === 1);
    const perDest = (a: number, b: number | undefined): number | undefined =>
      b === undefined || result.n < 2 ? undefined : (a - b) / (result.n - 1);
    const ratio = (a: number, b: number | undefined): number | undefined =>
      b === undefined || b <= 0 ? undefined : a / b;
    return {
      result,
      cpuRatio: ratio(result.relay.cpuPercent, ref?.relay.cpuPercent),
      rssRatio: ratio(result.relay.peakRssMb, ref?.relay.peakRssMb),
      cpuPerDest: perDest(result.relay.cpuPercent, one?.relay.cpuPercent),
      rssPerDestMb: perDest(result.relay.peakRssMb, one?.relay.peakRssMb),
    };
  });
}

const f = (x: number | undefined, digits = 1): string => (x === undefined ? '–' : x.toFixed(digits));

const header = [
  'system',
  'N',
  'recv',
  'CPU % (1 core)',
  'peak RSS MB',
  'peak PSS MB',
  'idle RSS MB',
  'CPU %/dest',
  'RSS MB/dest',
  'Mbit/s/dest mean',
  'min',
  'CPU × nginx',
  'RSS × nginx',
  'sink CPU %',
  'host busy %',
  'latency ms med/p95/max',
  'syscalls/s',
  'writes/s',
];

function cells(row: Row): string[] {
  const r = row.result;
  return [
    r.system,
    String(r.n),
    `${r.receiving}/${r.n}`,
    f(r.relay.cpuPercent),
    f(r.relay.peakRssMb),
    f(r.relay.peakPssMb),
    f(r.idleRssMb),
    f(row.cpuPerDest, 3),
    f(row.rssPerDestMb, 2),
    f(r.mbpsMean, 2),
    f(r.mbpsMin, 2),
    f(row.cpuRatio, 2),
    f(row.rssRatio, 2),
    f(r.sinkCpuPercent, 0),
    f(r.relay.hostBusyPercent, 0),
    r.latency === undefined ? '–' : `${f(r.latency.medianMs)}/${f(r.latency.p95Ms)}/${f(r.latency.maxMs)}`,
    typeof r.syscalls === 'object' ? f(r.syscalls.totalPerSec, 0) : '–',
    typeof r.syscalls === 'object' ? f(r.syscalls.writesPerSec, 0) : '–',
  ];
}

/** A Markdown table of the rows (renders in the README, reads fine in a terminal). */
export function markdownTable(rows: readonly Row[]): string {
  const body = rows.map(cells);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((c) => (c[i] ?? '').length)));
  const line = (c: string[]): string =>
    `| ${c.map((x, i) => (i < 1 ? x.padEnd(widths[i]!) : x.padStart(widths[i]!))).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (i < 1 ? `:${'-'.repeat(w + 1)}` : `${'-'.repeat(w + 1)}:`)).join('|')}|`;
  return [line(header), rule, ...body.map(line)].join('\n');
}

/** Least-squares slope and intercept of `ys` over `xs` (undefined with fewer than 2 distinct xs). */
function fit(xs: readonly number[], ys: readonly number[]): { slope: number; at0: number } | undefined {
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  const sxx = xs.reduce((a, x) => a + (x - mx) ** 2, 0);
  if (n < 2 || sxx === 0) return undefined;
  const slope = xs.reduce((a, x, i) => a + (x - mx) * (ys[i]! - my), 0) / sxx;
  return { slope, at0: my - slope * mx };
}

/**
 * Per system, over every N it ran: the least-squares line of CPU % and of peak RSS against N (slope =
 * per destination), and its idle RSS at the smallest N (startup memory when that N is 1).
 */
export function scalingLines(rows: readonly Row[]): string[] {
  const systems = [...new Set(rows.map((r) => r.result.system))];
  return systems.map((system) => {
    const runs = rows.map((r) => r.result).filter((r) => r.system === system);
    const ns = runs.map((r) => r.n);
    const cpu = fit(
      ns,
      runs.map((r) => r.relay.cpuPercent),
    );
    const rss = fit(
      ns,
      runs.map((r) => r.relay.peakRssMb),
    );
    const smallest = runs.reduce((a, b) => (b.n < a.n ? b : a));
    const idle =
      smallest.idleRssMb === undefined
        ? ''
        : `; idle RSS (started, no publisher) at N=${smallest.n}: ${f(smallest.idleRssMb)} MB`;
    if (cpu === undefined || rss === undefined) return `${system}: one N only${idle}`;
    return (
      `${system} (fit over N=${ns.join(',')}): CPU ${f(cpu.slope, 3)} %/dest + ${f(cpu.at0)} %, ` +
      `RSS ${f(rss.slope, 2)} MB/dest + ${f(rss.at0)} MB${idle}`
    );
  });
}

const verdictOf = (ok: boolean): string => (ok ? 'PASS' : 'MISS');

/** The PASS/MISS lines of the targets (printed, never asserted). */
export function targetLines(rows: readonly Row[], slow: SlowSinkResult | undefined): string[] {
  const lines: string[] = [];
  const ours = rows.filter((r) => r.result.system === 'restream');
  for (const row of ours) {
    const parts: string[] = [];
    const cpuMax = targets.cpuRatioMax[row.result.n];
    if (cpuMax !== undefined) {
      const verdict =
        row.cpuRatio === undefined ? 'n/a (no nginx-rtmp run)' : verdictOf(row.cpuRatio <= cpuMax);
      parts.push(`CPU ${f(row.cpuRatio, 2)}× nginx-rtmp (target ≤ ${cpuMax.toFixed(1)}×) ${verdict}`);
    }
    if (row.result.n === targets.n) {
      const rss = row.result.relay.peakRssMb;
      parts.push(`RSS ${f(rss)} MB (target ≤ ${targets.rssMbMax} MB) ${verdictOf(rss <= targets.rssMbMax)}`);
    }
    const latency = row.result.latency;
    const latencyOk =
      latency !== undefined &&
      latency.medianMs <= targets.latencyMedianMsMax &&
      latency.maxMs <= targets.latencyMaxMsMax;
    parts.push(
      `added latency ${latency ? `${f(latency.medianMs)} / ${f(latency.maxMs)} ms` : 'not measured'} median / max ` +
        `(target ≤ ${targets.latencyMedianMsMax} / ≤ ${targets.latencyMaxMsMax} ms) ${latency ? verdictOf(latencyOk) : 'n/a'}`,
    );
    lines.push(`N=${row.result.n}: ${parts.join('; ')}`);
  }
  if (!ours.some((r) => r.result.n === targets.n))
    lines.push(`N=${targets.n} was not run: no issue-target verdict.`);
  for (const row of rows.filter((r) => r.result.system === 'node-floor' && r.cpuRatio !== undefined))
    lines.push(
      `N=${row.result.n}, for scale: the Node floor (bench/node-floor-relay.mjs, no RTMP server, no switching) ` +
        `costs ${f(row.cpuRatio, 2)}× nginx-rtmp`,
    );
  if (slow !== undefined) {
    const ratio = slow.before.mbpsMean > 0 ? slow.during.mbpsMean / slow.before.mbpsMean : 0;
    const minRatio = slow.before.mbpsMin > 0 ? slow.during.mbpsMin / slow.before.mbpsMin : 0;
    const rateOk = ratio >= 0.95 && minRatio >= 0.9;
    const bounded = slow.during.rssPeakMb <= targets.rssMbMax && slow.rssGrowthSecondHalfMb < 5;
    lines.push(
      `slow sink N=${slow.n}: others' rate during/before ${f(ratio, 3)} mean, ${f(minRatio, 3)} min ` +
        `(target unchanged: ≥ 0.95 mean and ≥ 0.90 min) ${rateOk ? 'PASS' : 'MISS'}; ` +
        `RSS peak ${f(slow.during.rssPeakMb)} MB, growth over the stop's 2nd half ${f(slow.rssGrowthSecondHalfMb)} MB ` +
        `(target ≤ ${targets.rssMbMax} MB and < 5 MB growth) ${bounded ? 'PASS' : 'MISS'}`,
    );
  }
  return lines;
}

/** The slow-sink case as a small Markdown table plus the stopped output's state. */
export function slowSinkTable(slow: SlowSinkResult): string {
  const o = slow.stoppedOutput;
  return [
    `| slow sink, restream N=${slow.n} | others Mbit/s mean | min | our CPU % | our peak RSS MB |`,
    '|:--|--:|--:|--:|--:|',
    `| before the stop | ${f(slow.before.mbpsMean, 2)} | ${f(slow.before.mbpsMin, 2)} | ${f(slow.before.cpuPercent)} | ${f(slow.before.rssPeakMb)} |`,
    `| one destination SIGSTOPped | ${f(slow.during.mbpsMean, 2)} | ${f(slow.during.mbpsMin, 2)} | ${f(slow.during.cpuPercent)} | ${f(slow.during.rssPeakMb)} |`,
    '',
    `Stopped destination at the end of the stop: state ${o?.state ?? '?'}, dropped frames ${o?.droppedFrames ?? '?'}, ` +
      `reconnects ${o?.reconnects ?? '?'}, last error ${o?.lastError ?? 'none'}; our RSS at the end ${f(slow.rssEndMb)} MB.`,
  ].join('\n');
}

/** Median and max of the non-null values, as text ("median 12, max 15 ms (n=3)"), and the max. */
function spread(values: readonly (number | null)[]): { text: string; max: number | undefined } {
  const xs = values.filter((x): x is number => x !== null && Number.isFinite(x)).sort((a, b) => a - b);
  const missing = values.length - xs.length;
  if (xs.length === 0) return { text: `not seen (${values.length} tries)`, max: undefined };
  const mid =
    xs.length % 2 === 1 ? xs[(xs.length - 1) / 2]! : (xs[xs.length / 2 - 1]! + xs[xs.length / 2]!) / 2;
  const max = xs[xs.length - 1]!;
  const n = `n=${xs.length}${missing > 0 ? `, ${missing} not seen` : ''}`;
  return {
    text: xs.length === 1 ? `${f(max, 0)} ms (${n})` : `median ${f(mid, 0)}, max ${f(max, 0)} ms (${n})`,
    max,
  };
}

const verdict = (ok: boolean | undefined): string => (ok === undefined ? '–' : ok ? 'PASS' : 'MISS');

/** Issue #3's figures as a Markdown table: figure, value, target, PASS/MISS (printed, never asserted). */
export function continuityTable(c: ContinuityResult): string {
  const t = continuityTargets;
  const stallTarget = c.options.stallTimeoutMs + t.stallExtraMs;
  const rows: string[][] = [];
  const timed = (
    figure: string,
    values: (number | null)[],
    targetMs: number | undefined,
    extra = '',
  ): void => {
    const s = spread(values);
    const ok = targetMs === undefined || s.max === undefined ? undefined : s.max <= targetMs;
    rows.push([figure, s.text + extra, targetMs === undefined ? '–' : `≤ ${targetMs} ms (max)`, verdict(ok)]);
  };
  timed(
    'drop (SIGKILL) → fallback on air (log `source on air` − kill)',
    c.drops.map((d) => d.onAirMs),
    t.dropMs,
  );
  timed(
    'drop → first fallback keyframe through the receiver tap',
    c.drops.map((d) => d.wireMs),
    t.dropMs,
    `; the ingest tap saw the publisher's close at ${spread(c.drops.map((d) => d.tapCloseMs)).text}`,
  );
  timed(
    '  of which the server’s own reaction (`source on air` − `rtmp session closed`)',
    c.drops.map((d) => d.reactionMs),
    undefined,
  );
  timed(
    'stall (SIGSTOP) → fallback on air (log − stop)',
    c.stalls.map((s) => s.onAirMs),
    stallTarget,
    `; from the last media message through the ingest tap: ${spread(c.stalls.map((s) => s.fromLastMediaMs)).text}`,
  );
  timed(
    'stall → first fallback keyframe through the receiver tap',
    c.stalls.map((s) => s.wireMs),
    stallTarget,
  );
  const drops = c.returns.filter((r) => r.after === 'drop');
  const resumes = c.returns.filter((r) => r.after === 'stall');
  timed(
    'return: `source on air` live − `publisher started` (log, approximate)',
    drops.map((r) => r.logMs),
    t.returnMs,
  );
  const firstUsed = (rs: typeof drops): string =>
    `; its first keyframe went out ${rs.filter((r) => r.firstKeyframeUsed === true).length}/${rs.length}`;
  timed(
    'return: new publisher’s first keyframe in → out (ingest tap → receiver tap)',
    drops.map((r) => r.wireMs),
    t.returnMs,
    firstUsed(drops),
  );
  timed(
    'resume after a stall: first keyframe in → out (taps)',
    resumes.map((r) => r.wireMs),
    t.returnMs,
    firstUsed(resumes),
  );
  const track = (name: string, tl: NonNullable<ContinuityResult['receiver']>['video']): void => {
    rows.push([
      `receiver: largest ${name} DTS gap`,
      `${f(tl.maxGapMs, 0)} ms (after ${tl.maxGapAt}); at drop splices ≤ ${f(tl.maxDropGapMs, 0)}, ` +
        `stall splices ≤ ${f(tl.maxStallGapMs, 0)}, elsewhere ≤ ${f(tl.maxSteadyGapMs, 0)} ms`,
      'reported (a stall leaves its length as a gap)',
      '–',
    ]);
  };
  if (c.receiver) {
    track('video', c.receiver.video);
    track('audio', c.receiver.audio);
    const mono = c.receiver.video.monotonic && c.receiver.audio.monotonic;
    rows.push([
      'receiver: DTS monotonic (video / audio)',
      `${c.receiver.video.monotonic ? 'yes' : 'NO'} / ${c.receiver.audio.monotonic ? 'yes' : 'NO'} ` +
        `(${c.receiver.video.packets} / ${c.receiver.audio.packets} packets)`,
      'yes',
      verdict(mono),
    ]);
  } else rows.push(['receiver: DTS timeline', 'not analysed (see notes)', 'monotonic', '–']);
  const n = c.options.n + 1;
  rows.push([
    `server CPU, relaying live to N=${n}`,
    `${f(c.live.cpuPercent)} % of one core (${f(c.live.mbpsMean, 2)} Mbit/s/dest, host ${f(c.live.hostBusyPercent, 0)} % busy)`,
    '–',
    '–',
  ]);
  rows.push([
    `server CPU, playing the fallback (${c.fallbackKind ?? '?'}) to N=${n}`,
    `${f(c.fallback.cpuPercent)} % of one core (${f(c.fallback.mbpsMean, 2)} Mbit/s/dest, host ${f(c.fallback.hostBusyPercent, 0)} % busy)`,
    '≤ live',
    verdict(Number.isFinite(c.fallback.cpuPercent) ? c.fallback.cpuPercent <= c.live.cpuPercent : undefined),
  ]);
  const oneConnection =
    c.receiverConnections === 1 && c.sinkRestarts === 0 && (c.outputs?.reconnects ?? 1) === 0;
  rows.push([
    'one connection per destination for the whole session',
    `receiver ${c.receiverConnections} connection(s), ${c.sinkRestarts} sink stream restart(s), ` +
      `${c.outputs?.reconnects ?? '?'} output reconnect(s), ${c.outputs?.droppedFrames ?? '?'} dropped frame(s)`,
    'yes',
    verdict(oneConnection),
  ]);
  const header = ['figure', 'value', 'target', 'verdict'];
  return [
    `| ${header.join(' | ')} |`,
    '|:--|:--|:--|:--|',
    ...rows.map((r) => `| ${r.map((x) => x.replace(/\|/g, '\\|')).join(' | ')} |`),
  ].join('\n');
}
