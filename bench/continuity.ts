/**
 * Issue #3's benchmark figures, from one scripted session against this server (`--continuity`):
 * an ffmpeg publisher of the bench file, N destinations on the nginx sink plus one `ffmpeg -listen`
 * receiver recording to FLV; the publisher is SIGKILLed (drop) and SIGSTOPped (stall) R times each,
 * with a publisher back in between. Measured:
 *
 * 1. drop -> first fallback frame out, 2. stall -> fallback, from the server's own log (pino `time`, ms,
 *    same host clock as the bench's `Date.now()`): `source on air` is logged in the synchronous call
 *    that writes the new source's first keyframe to every output;
 * 3. the returning publisher's first keyframe -> first byte out: from the log (`source on air` minus
 *    `publisher started`, an approximation that includes ffmpeg's connect and first read), and on the
 *    wire: two byte taps (TCP proxies in this process) that parse the RTMP chunk stream with the
 *    project's own ChunkReader, one between the publisher and the server, one between the server and
 *    the receiver; the figure is the time from the returning publisher's first video keyframe having
 *    passed the ingest tap to that same keyframe (matched by its payload's last bytes) having passed
 *    the receiver tap;
 * 4. the receiver's recording, ffprobed: largest DTS step per track, monotonic or not, each large gap
 *    placed at the session event it followed (via the receiver tap's arrival times);
 * 5. the server's CPU (% of one core, /proc) while relaying live vs while playing the fallback, to the
 *    same N + 1 outputs, one window each.
 */
import { closeSync, openSync, readSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { listenReceiver, publishFile, type Publisher, type Receiver } from '../test/helpers/ffmpeg.js';
import { checkTimeline, largestGap, probePackets, type ProbedPacket } from '../test/helpers/ffprobe.js';
import { childPidsSync, waitFor } from '../test/helpers/process.js';
import { makeTempDir } from '../test/helpers/tmp.js';
import { sleep, warmUpServer, waitReceiving } from './measure.js';
import { fetchStreamStats, type BenchNginx, type StreamStat } from './nginx.js';
import { startOurServer, waitAllLive, type OurServer } from './our-server.js';
import { commandLine, TreeSampler } from './proc-stats.js';
import { Tap, type TapMessage } from './tap.js';

/** How the continuity section runs. */
export interface ContinuityOptions {
  /** Drops and stalls, each (the full run: 3, `--quick`: 1). */
  repetitions: number;
  /** Sink destinations (the receiver comes on top). */
  n: number;
  /** Each CPU window, s. */
  windowSeconds: number;
  /** The channel's stall timeout, ms. */
  stallTimeoutMs: number;
}

export const defaultContinuityOptions: ContinuityOptions = {
  repetitions: 3,
  n: 10,
  windowSeconds: 20,
  stallTimeoutMs: 2000,
};

/** Issue #3's targets. */
export const continuityTargets = {
  dropMs: 300,
  stallExtraMs: 300,
  returnMs: 50,
} as const;

/** One drop (SIGKILL) and what followed. ms; null where it was not seen. */
export interface DropSample {
  /** `source on air` to=fallback minus the kill. */
  onAirMs: number | null;
  /** `source on air` to=fallback minus `rtmp session closed`: the server's own reaction. */
  reactionMs: number | null;
  /** `channel mode` fallback minus the kill. */
  modeMs: number | null;
  /** The first fallback keyframe through the receiver tap minus the kill. */
  wireMs: number | null;
  /** When the ingest tap saw the killed publisher's connection close, minus the kill (the tap's share). */
  tapCloseMs: number | null;
}

/** One stall (SIGSTOP). */
export interface StallSample {
  onAirMs: number | null;
  /** The same, from the last media message through the ingest tap before the stop. */
  fromLastMediaMs: number | null;
  wireMs: number | null;
}

/** One return to live (a new publisher after a drop, or SIGCONT after a stall). */
export interface ReturnSample {
  after: 'drop' | 'stall';
  /** `source on air` to=live minus `publisher started` (drops only). */
  logMs: number | null;
  /** First keyframe of the returning source through the ingest tap -> the same keyframe through the receiver tap. */
  wireMs: number | null;
  /** The keyframe that went out was the returning source's first (false: a later one was). */
  firstKeyframeUsed: boolean | null;
  /** `source on air` to=live minus `channel mode` live (the wait for a keyframe after the mode changed). */
  keyframeWaitMs: number | null;
}

/** A CPU window. */
export interface CpuWindow {
  cpuPercent: number;
  hostBusyPercent: number;
  seconds: number;
  /** Delivered Mbit/s per sink destination over the window (bytes_in at the sink). */
  mbpsMean: number;
  mbpsMin: number;
}

/** One track of the receiver's recording. */
export interface TrackTimeline {
  packets: number;
  monotonic: boolean;
  maxGapMs: number;
  /** The session event the largest gap followed (e.g. `stall 2`), or `steady` / `?`. */
  maxGapAt: string;
  /** The largest gap that followed a drop (the drop -> fallback splice). */
  maxDropGapMs: number;
  /** The largest gap that followed a stall. */
  maxStallGapMs: number;
  /** The largest gap not within 5 s after any event. */
  maxSteadyGapMs: number;
  /** The five largest gaps with where they were. */
  top: { gapMs: number; atDtsMs: number; event: string }[];
}

/** What the continuity section measured. */
export interface ContinuityResult {
  options: ContinuityOptions;
  drops: DropSample[];
  stalls: StallSample[];
  returns: ReturnSample[];
  live: CpuWindow;
  fallback: CpuWindow;
  receiver: { file: string; video: TrackTimeline; audio: TrackTimeline } | undefined;
  /** Connections the receiver tap accepted (1: the whole session on one connection). */
  receiverConnections: number;
  /** Sink streams that restarted (bytes_in went down) or were gone at the end. */
  sinkRestarts: number;
  outputs: { reconnects: number; droppedFrames: number; states: Record<string, number> } | undefined;
  /** The fallback that played (`slate` or `upload`, from /api/status). */
  fallbackKind: string | null;
  notes: string[];
}

// ---------------------------------------------------------------------------------------------------
// The server's log

/** One pino line (the fields used here). */
interface LogLine {
  time: number;
  msg: string;
  [field: string]: unknown;
}

/** Follows the server's stdout file; lines keep the server's own `time` (epoch ms). */
class LogTail {
  readonly lines: LogLine[] = [];
  readonly #file: string;
  #offset = 0;
  #rest = '';

  constructor(file: string) {
    this.#file = file;
  }

  poll(): void {
    const fd = openSync(this.#file, 'r');
    try {
      const buffer = Buffer.alloc(1 << 20);
      for (;;) {
        const n = readSync(fd, buffer, 0, buffer.length, this.#offset);
        if (n <= 0) break;
        this.#offset += n;
        const text = this.#rest + buffer.toString('utf8', 0, n);
        const parts = text.split('\n');
        this.#rest = parts.pop() ?? '';
        for (const part of parts) {
          if (!part.startsWith('{')) continue;
          try {
            const line = JSON.parse(part) as LogLine;
            if (typeof line.time === 'number' && typeof line.msg === 'string') this.lines.push(line);
          } catch {
            // not a log line
          }
        }
      }
    } finally {
      closeSync(fd);
    }
  }

  /** The first line at or after `sinceMs` that matches. */
  find(match: (line: LogLine) => boolean, sinceMs: number): LogLine | undefined {
    this.poll();
    return this.lines.find((line) => line.time >= sinceMs && match(line));
  }

  /** Waits for {@link find}; undefined after `timeoutMs`. */
  async wait(
    match: (line: LogLine) => boolean,
    sinceMs: number,
    timeoutMs: number,
  ): Promise<LogLine | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const line = this.find(match, sinceMs);
      if (line !== undefined || Date.now() > deadline) return line;
      await sleep(25);
    }
  }
}

const onAir =
  (to: 'live' | 'fallback') =>
  (line: LogLine): boolean =>
    line.msg === 'source on air' && line.to === to;
const modeLine =
  (mode: string, reason?: string) =>
  (line: LogLine): boolean =>
    line.msg === 'channel mode' && line.mode === mode && (reason === undefined || line.reason === reason);

/** Polls `get` until it returns something (or `timeoutMs`). */
async function poll<T>(get: () => T | undefined, timeoutMs: number): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = get();
    if (value !== undefined || Date.now() > deadline) return value;
    await sleep(10);
  }
}

// ---------------------------------------------------------------------------------------------------
// The session

const diff = (a: LogLine | undefined, b: number | LogLine | undefined): number | null =>
  a === undefined || b === undefined ? null : a.time - (typeof b === 'number' ? b : b.time);

const round1 = (x: number): number => Math.round(x * 10) / 10;

/** Runs the scripted session on `sink` (its `sink` application) and measures. */
export async function runContinuity(
  sink: BenchNginx,
  mediaFile: string,
  options: ContinuityOptions,
  log: (line: string) => void,
): Promise<ContinuityResult> {
  const notes: string[] = [];
  const dir = makeTempDir('bench-continuity', 'process');
  const logFile = join(dir, 'server.log');
  writeFileSync(logFile, '');
  const logs = new LogTail(logFile);
  const receiverFile = join(dir, 'receiver.flv');
  const keys = Array.from(
    { length: options.n },
    (_, i) => `cont-n${options.n}-${String(i + 1).padStart(3, '0')}`,
  );
  const sinkUrl = `rtmp://127.0.0.1:${sink.rtmpPort}/sink`;

  let receiver: Receiver | undefined;
  let server: OurServer | undefined;
  let ingestTap: Tap | undefined;
  let receiverTap: Tap | undefined;
  let publisher: Publisher | undefined;
  try {
    receiver = await listenReceiver({ outFile: receiverFile });
    receiverTap = await Tap.start(receiver.port);
    server = await startOurServer({ logLevel: 'info', stdoutFile: logFile });
    const ours = server;
    const publishUrl = new URL(server.publishUrl);
    ingestTap = await Tap.start(Number(publishUrl.port));
    const tappedUrl = `rtmp://127.0.0.1:${ingestTap.port}${publishUrl.pathname}`;
    const inTap = ingestTap;
    const outTap = receiverTap;

    await server.api('PUT', '/api/channels/main', {
      settings: {
        stallTimeoutMs: options.stallTimeoutMs,
        fallbackTimeoutMs: 600_000,
        cleanStopAction: 'end',
      },
    });
    for (const [i, key] of keys.entries()) await server.addPlatform(`cont-${i}`, sinkUrl, key);
    // The receiver last: the figures measured at it include the writes to every other output first.
    await server.addPlatform('receiver', `rtmp://127.0.0.1:${receiverTap.port}/live`, 'key');

    const publish = (): Publisher => publishFile({ url: tappedUrl, file: mediaFile });
    publisher = publish();
    const t0 = Date.now();
    const receiving = await waitReceiving(sink, keys, 30_000 + options.n * 300);
    const live = await waitAllLive(server, options.n + 1, 20_000);
    log(
      `  continuity: ${receiving}/${options.n} sink streams receiving, ${live}/${options.n + 1} outputs live`,
    );
    if (live < options.n + 1)
      notes.push(`only ${live}/${options.n + 1} outputs live before the first window`);
    if ((await logs.wait(onAir('live'), t0, 10_000)) === undefined)
      notes.push('no `source on air` to=live logged');
    // The fallback slate for the live parameters is rendered by ffmpeg when live starts: let it finish.
    await warmUpServer(server.process.pid, 3000, notes, log);
    const sinkAtStart = await fetchStreamStats(sink.statPort!, 'sink');

    const cpuWindow = async (): Promise<CpuWindow> => {
      const sampler = new TreeSampler(() => [ours.process.pid]);
      const before = await fetchStreamStats(sink.statPort!, 'sink');
      const start = performance.now();
      sampler.start();
      await sleep(options.windowSeconds * 1000);
      const sample = sampler.stop();
      const after = await fetchStreamStats(sink.statPort!, 'sink');
      const seconds = (performance.now() - start) / 1000;
      const rates = keys.map((k) => {
        const b = before.get(k)?.bytesIn ?? 0;
        const a = after.get(k)?.bytesIn ?? 0;
        return a >= b ? ((a - b) * 8) / seconds / 1e6 : 0;
      });
      return {
        cpuPercent: sample.cpuPercent,
        hostBusyPercent: sample.hostBusyPercent,
        seconds: sample.seconds,
        mbpsMean: rates.reduce((x, y) => x + y, 0) / Math.max(1, rates.length),
        mbpsMin: Math.min(...rates),
      };
    };

    /** Server children now (a fallback render would skew the figures): noted. */
    const noteChildren = (when: string): void => {
      const children = childPidsSync(ours.process.pid);
      if (children.length > 0)
        notes.push(
          `${when}: the server had child process(es): ${children.map((p) => commandLine(p)).join(' | ')}`,
        );
    };

    // Live keyframes seen at the ingest: a keyframe at the receiver that is none of these is the fallback's.
    const liveTails = (): Set<string> =>
      new Set(inTap.messages.filter((m) => m.keyframe && m.tail !== undefined).map((m) => m.tail!));
    const firstFallbackKeyframe = async (at: number): Promise<TapMessage | undefined> =>
      poll(() => {
        const tails = liveTails();
        return outTap.first(at, (m) => m.keyframe && !tails.has(m.tail ?? ''));
      }, 3000);

    /** The return measured on the wire: first keyframe in after `atPerf` -> the same frame out. */
    const wireReturn = async (
      atPerf: number,
    ): Promise<{ wireMs: number | null; firstKeyframeUsed: boolean | null }> => {
      const firstIn = await poll(() => inTap.first(atPerf, (m) => m.keyframe), 10_000);
      if (firstIn === undefined) return { wireMs: null, firstKeyframeUsed: null };
      const out = await poll(() => {
        const tails = liveTails();
        return outTap.first(firstIn.at, (m) => m.keyframe && tails.has(m.tail ?? ''));
      }, 5000);
      if (out === undefined) return { wireMs: null, firstKeyframeUsed: null };
      return { wireMs: round1(out.at - firstIn.at), firstKeyframeUsed: out.tail === firstIn.tail };
    };

    const events: { name: string; at: number }[] = [];
    const drops: DropSample[] = [];
    const stalls: StallSample[] = [];
    const returns: ReturnSample[] = [];

    log(`  continuity: live CPU window ${options.windowSeconds} s (N=${options.n} + receiver)`);
    noteChildren('before the live CPU window');
    const liveWindow = await cpuWindow();
    let fallbackWindow: CpuWindow | undefined;
    let fallbackKind: string | null = null;

    // 1. Drops: SIGKILL, fallback on air, a new publisher back.
    for (let i = 1; i <= options.repetitions; i++) {
      noteChildren(`before drop ${i}`);
      const t = Date.now();
      const tp = performance.now();
      events.push({ name: `drop ${i}`, at: tp });
      const killedConn = inTap.connections.length - 1;
      void publisher.kill();
      const fb = await logs.wait(onAir('fallback'), t, 10_000);
      const closed = logs.find((l) => l.msg === 'rtmp session closed', t);
      const mode = logs.find(modeLine('fallback', 'publisher-dropped'), t);
      const wire = await firstFallbackKeyframe(tp);
      const tapClosedAt = inTap.connections[killedConn]?.closed;
      const sample: DropSample = {
        onAirMs: diff(fb, t),
        reactionMs: diff(fb, closed),
        modeMs: diff(mode, t),
        wireMs: wire === undefined ? null : round1(wire.at - tp),
        tapCloseMs: tapClosedAt === undefined ? null : round1(tapClosedAt - tp),
      };
      drops.push(sample);
      if (fb === undefined) notes.push(`drop ${i}: no fallback on air within 10 s`);
      log(
        `  drop ${i}: fallback on air +${sample.onAirMs ?? '?'} ms (server reaction ${sample.reactionMs ?? '?'} ms, ` +
          `at the receiver +${sample.wireMs ?? '?'} ms)`,
      );
      await sleep(1500);
      if (i === 1) {
        try {
          const status = await ours.api<{ channels: { id: string; fallbackKind: string | null }[] }>(
            'GET',
            '/api/status',
          );
          fallbackKind = status.channels.find((c) => c.id === 'main')?.fallbackKind ?? null;
        } catch (err) {
          notes.push(`GET /api/status: ${(err as Error).message}`);
        }
        log(`  continuity: fallback (${fallbackKind ?? '?'}) CPU window ${options.windowSeconds} s`);
        fallbackWindow = await cpuWindow();
      }
      const tr = Date.now();
      const trp = performance.now();
      events.push({ name: `return ${i}`, at: trp });
      publisher = publish();
      const started = await logs.wait((l) => l.msg === 'publisher started', tr, 10_000);
      const back = await logs.wait(onAir('live'), tr, 15_000);
      const liveMode = logs.find(modeLine('live', 'publisher-returned'), tr);
      const wireBack = await wireReturn(trp);
      const ret: ReturnSample = {
        after: 'drop',
        logMs: diff(back, started),
        ...wireBack,
        keyframeWaitMs: diff(back, liveMode),
      };
      returns.push(ret);
      if (back === undefined) notes.push(`return ${i}: live not back on air within 15 s`);
      log(
        `  return ${i}: live on air ${ret.logMs ?? '?'} ms after \`publisher started\`; ` +
          `keyframe in -> out ${ret.wireMs ?? '?'} ms${ret.firstKeyframeUsed === false ? ' (not its first keyframe)' : ''}`,
      );
      await sleep(3000);
    }

    // 2. Stalls: SIGSTOP past the stall timeout, fallback on air, SIGCONT, live back.
    for (let i = 1; i <= options.repetitions; i++) {
      noteChildren(`before stall ${i}`);
      const t = Date.now();
      const tp = performance.now();
      events.push({ name: `stall ${i}`, at: tp });
      const current = publisher;
      current.pause();
      const lastMedia = inTap.lastBefore(tp);
      const fb = await logs.wait(onAir('fallback'), t, options.stallTimeoutMs + 10_000);
      const wire = await firstFallbackKeyframe(tp);
      const sample: StallSample = {
        onAirMs: diff(fb, t),
        fromLastMediaMs:
          fb === undefined || lastMedia === undefined ? null : round1(fb.time - (t - (tp - lastMedia.at))),
        wireMs: wire === undefined ? null : round1(wire.at - tp),
      };
      stalls.push(sample);
      if (fb === undefined)
        notes.push(`stall ${i}: no fallback on air within ${options.stallTimeoutMs + 10_000} ms`);
      log(
        `  stall ${i}: fallback on air +${sample.onAirMs ?? '?'} ms (at the receiver +${sample.wireMs ?? '?'} ms)`,
      );
      await sleep(1000);
      const tc = Date.now();
      const tcp = performance.now();
      events.push({ name: `resume ${i}`, at: tcp });
      current.resume();
      const back = await logs.wait(onAir('live'), tc, 15_000);
      const liveMode = logs.find(modeLine('live', 'publisher-returned'), tc);
      const wireBack = await wireReturn(tcp);
      const ret: ReturnSample = {
        after: 'stall',
        logMs: null,
        ...wireBack,
        keyframeWaitMs: diff(back, liveMode),
      };
      returns.push(ret);
      if (back === undefined) notes.push(`resume ${i}: live not back on air within 15 s`);
      log(
        `  resume ${i}: live on air +${diff(back, tc) ?? '?'} ms after SIGCONT; keyframe in -> out ${ret.wireMs ?? '?'} ms` +
          (ret.firstKeyframeUsed === false ? ' (not its first keyframe)' : ''),
      );
      await sleep(3000);
    }

    // The session's integrity: one connection per destination, no restarts.
    let outputs: ContinuityResult['outputs'];
    try {
      const views = await ours.outputs();
      const states: Record<string, number> = {};
      for (const o of views) states[o.state] = (states[o.state] ?? 0) + 1;
      outputs = {
        reconnects: views.reduce((s, o) => s + o.reconnects, 0),
        droppedFrames: views.reduce((s, o) => s + o.droppedFrames, 0),
        states,
      };
    } catch (err) {
      notes.push(`GET /api/status at the end: ${(err as Error).message}`);
    }
    const sinkAtEnd = await fetchStreamStats(sink.statPort!, 'sink');
    const sinkRestarts = keys.filter((k) => {
      const a: StreamStat | undefined = sinkAtStart.get(k);
      const b = sinkAtEnd.get(k);
      return a === undefined || b === undefined || !b.publishing || b.bytesIn < a.bytesIn;
    }).length;

    // Stop Streaming (FCUnpublish): cleanStopAction 'end' ends every output; the receiver finishes its file.
    await publisher.stop();
    try {
      await receiver.waitForExit(15_000);
    } catch {
      notes.push('the receiver did not end by itself after the clean stop: stopped');
      await receiver.stop();
    }

    let receiverTimeline: ContinuityResult['receiver'];
    try {
      receiverTimeline = await analyseRecording(receiverFile, outTap, events, options.stallTimeoutMs);
    } catch (err) {
      notes.push(`ffprobe of the receiver's recording failed: ${(err as Error).message}`);
    }

    return {
      options,
      drops,
      stalls,
      returns,
      live: liveWindow,
      fallback: fallbackWindow ?? {
        cpuPercent: NaN,
        hostBusyPercent: NaN,
        seconds: 0,
        mbpsMean: NaN,
        mbpsMin: NaN,
      },
      receiver: receiverTimeline,
      receiverConnections: outTap.connections.length,
      sinkRestarts,
      outputs,
      fallbackKind,
      notes,
    };
  } finally {
    await publisher?.kill();
    await receiver?.stop();
    await server?.stop();
    await ingestTap?.close();
    await receiverTap?.close();
    // The next section starts on a quiet sink.
    await waitFor(
      async () =>
        [...(await fetchStreamStats(sink.statPort!, 'sink')).keys()].every((k) => !k.startsWith('cont-')),
      { what: 'sink streams to close', timeoutMs: 15_000, intervalMs: 250 },
    ).catch(() => undefined);
  }
}

/** ffprobes the receiver's recording and places each large DTS gap at the event it followed. */
async function analyseRecording(
  file: string,
  tap: Tap,
  events: readonly { name: string; at: number }[],
  stallTimeoutMs: number,
): Promise<NonNullable<ContinuityResult['receiver']>> {
  const packets = await probePackets(file);
  const track = (kind: 'video' | 'audio', list: readonly ProbedPacket[]): TrackTimeline => {
    const tapped = tap.messages.filter((m) => m.kind === kind && m.conn === 0);
    // The recording keeps the timestamps as sent (-copyts); a constant shift, if any, from the first packet.
    const shift = (list[0]?.dtsMs ?? 0) - (tapped[0]?.timestamp ?? 0);
    const arrival = new Map<number, number>();
    for (const m of tapped) if (!arrival.has(m.timestamp)) arrival.set(m.timestamp, m.at);
    const eventOf = (dtsMs: number): string => {
      const at = arrival.get(Math.round(dtsMs - shift));
      if (at === undefined) return '?';
      let best: { name: string; at: number } | undefined;
      for (const e of events) if (e.at <= at && (best === undefined || e.at > best.at)) best = e;
      // A splice follows its event by at most the stall timeout plus the wait for a keyframe.
      return best !== undefined && at - best.at <= stallTimeoutMs + 5000 ? best.name : 'steady';
    };
    const gaps: { gapMs: number; atDtsMs: number; event: string }[] = [];
    for (let i = 1; i < list.length; i++) {
      const gapMs = round1(list[i]!.dtsMs - list[i - 1]!.dtsMs);
      gaps.push({ gapMs, atDtsMs: list[i - 1]!.dtsMs, event: eventOf(list[i]!.dtsMs) });
    }
    gaps.sort((a, b) => b.gapMs - a.gapMs);
    const top = gaps.slice(0, 5);
    const timeline = checkTimeline(list);
    const largest = largestGap(list);
    const maxOf = (prefix: string): number => gaps.find((g) => g.event.startsWith(prefix))?.gapMs ?? 0;
    return {
      packets: list.length,
      monotonic: timeline.monotonic,
      maxGapMs: round1(largest.gapMs),
      maxGapAt: top[0]?.event ?? '?',
      maxDropGapMs: round1(maxOf('drop')),
      maxStallGapMs: round1(maxOf('stall')),
      maxSteadyGapMs: round1(maxOf('steady')),
      top,
    };
  };
  return { file, video: track('video', packets.video), audio: track('audio', packets.audio) };
}
