/**
 * The latency a relay adds: each video frame timed where its last byte reaches the ingest tap (publisher
 * -> relay) and where it reaches the destination tap (relay -> sink), matched by the last bytes of its
 * payload. The destination tapped is the last one added, the one the fan-out writes last.
 */
import { Tap, type TapMessage } from './tap.js';

/** Ingest read -> destination socket write, over a window, ms. */
export interface LatencyFigures {
  /** Frames matched on both sides. */
  samples: number;
  medianMs: number;
  p95Ms: number;
  maxMs: number;
}

/** The two taps of a run: put `route` in front of the relay's ingest and `destinationUrl` last. */
export class LatencyProbe {
  readonly out: Tap;
  in: Tap | undefined;

  private constructor(out: Tap) {
    this.out = out;
  }

  /** Starts the destination tap in front of the sink. */
  static async start(sinkPort: number): Promise<LatencyProbe> {
    return new LatencyProbe(await Tap.start(sinkPort, { tailEveryFrame: true }));
  }

  /** The sink app URL through the destination tap. */
  get destinationAppUrl(): string {
    return `rtmp://127.0.0.1:${this.out.port}/sink`;
  }

  /** For startSystem: the publisher goes through the ingest tap. */
  readonly route = async (ingestUrl: string): Promise<string> => {
    const url = new URL(ingestUrl);
    this.in = await Tap.start(Number(url.port), { tailEveryFrame: true });
    url.port = String(this.in.port);
    return url.toString();
  };

  /** Frames that entered in [from, to] (performance.now()) and left later: their latency. */
  measure(from: number, to: number): LatencyFigures | undefined {
    if (this.in === undefined) return undefined;
    return latencyOf(this.in.messages, this.out.messages, from, to);
  }

  async close(): Promise<void> {
    await Promise.all([this.in?.close(), this.out.close()]);
  }
}

/**
 * Pairs each frame out with the latest frame in that had the same payload tail (the publisher loops its
 * file, so a tail comes back every loop) and was not paired yet.
 */
export function latencyOf(
  inbound: readonly TapMessage[],
  outbound: readonly TapMessage[],
  from: number,
  to: number,
): LatencyFigures | undefined {
  const events = [
    ...inbound.filter((m) => m.at >= from && m.at <= to).map((m) => ({ m, side: 'in' as const })),
    ...outbound.filter((m) => m.at >= from).map((m) => ({ m, side: 'out' as const })),
  ].sort((a, b) => a.m.at - b.m.at);
  const waiting = new Map<string, number>();
  const latencies: number[] = [];
  for (const { m, side } of events) {
    if (m.kind !== 'video' || m.tail === undefined) continue;
    if (side === 'in') {
      waiting.set(m.tail, m.at);
      continue;
    }
    const at = waiting.get(m.tail);
    if (at === undefined) continue;
    waiting.delete(m.tail);
    latencies.push(m.at - at);
  }
  if (latencies.length === 0) return undefined;
  latencies.sort((a, b) => a - b);
  const pick = (q: number): number =>
    latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!;
  return {
    samples: latencies.length,
    medianMs: pick(0.5),
    p95Ms: pick(0.95),
    maxMs: latencies[latencies.length - 1]!,
  };
}
