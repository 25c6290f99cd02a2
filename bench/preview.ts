/**
 * The preview's cost: this server at N destinations with 0, 1 and 10 viewers of
 * `GET /api/channels/main/preview.flv` (HTTP-FLV readers in the bench process, reading as fast as
 * the server sends). CPU and peak RSS of the server's process tree, the sink's delivered rate per
 * destination, and what each viewer got, per viewer count.
 */
import { mean, waitReceiving, warmUpServer, window, type RunTiming } from './measure.js';
import type { BenchNginx } from './nginx.js';
import { waitAllLive, type OurServer } from './our-server.js';
import { startSystem, type Destination } from './systems.js';

/** One viewer count's figures. */
export interface PreviewRow {
  viewers: number;
  cpuPercent: number;
  peakRssMb: number;
  /** Mean / min Mbit/s delivered per destination at the sink. */
  mbpsMean: number;
  mbpsMin: number;
  /** Mean Mbit/s each viewer received. */
  viewerMbps: number;
  /** Viewers `/api/status` counted during the window. */
  counted: number;
}

/** The preview section's result. */
export interface PreviewResult {
  n: number;
  rows: PreviewRow[];
  notes: string[];
}

/** A viewer reading the preview until stopped; counts the bytes it got. */
function startViewer(server: OurServer): { bytes: () => number; stop: () => void } {
  const controller = new AbortController();
  let bytes = 0;
  void (async () => {
    const response = await fetch(`${server.httpBase}/api/channels/main/preview.flv`, {
      headers: { authorization: server.authorization },
      signal: controller.signal,
    });
    if (!response.body) return;
    for await (const chunk of response.body) bytes += (chunk as Uint8Array).length;
  })().catch(() => undefined);
  return {
    bytes: () => bytes,
    stop: () => {
      controller.abort();
    },
  };
}

/** This server at `n` destinations, measured with each of `viewerCounts` preview viewers. */
export async function runPreview(
  n: number,
  viewerCounts: readonly number[],
  sink: BenchNginx,
  mediaFile: string,
  timing: RunTiming,
  log: (line: string) => void,
): Promise<PreviewResult> {
  const keys = Array.from({ length: n }, (_, i) => `preview-n${n}-${String(i + 1).padStart(3, '0')}`);
  const destinations: Destination[] = keys.map((key) => ({
    appUrl: `rtmp://127.0.0.1:${sink.rtmpPort}/sink`,
    key,
  }));
  const notes: string[] = [];
  const rows: PreviewRow[] = [];
  const system = await startSystem('restream', destinations, mediaFile);
  const ours = system.ours!;
  try {
    const receiving = await waitReceiving(sink, keys, 30_000 + n * 300);
    const live = await waitAllLive(ours, n, 20_000);
    if (receiving < n || live < n) notes.push(`only ${receiving}/${n} receiving, ${live}/${n} live`);
    await warmUpServer(ours.process.pid, timing.warmupSeconds * 1000, notes, log);
    for (const count of viewerCounts) {
      const viewers = Array.from({ length: count }, () => startViewer(ours));
      // Let them connect and get past the first GOP before the window.
      await new Promise((resolve) => setTimeout(resolve, 3000));
      const status = await ours.api<{ channels: { id: string; previewViewers: number }[] }>(
        'GET',
        '/api/status',
      );
      const counted = status.channels.find((c) => c.id === 'main')?.previewViewers ?? 0;
      const startBytes = viewers.map((v) => v.bytes());
      const t0 = performance.now();
      const measured = await window(system, sink, keys, timing.seconds, notes);
      const elapsed = (performance.now() - t0) / 1000;
      const viewerMbps = viewers.map((v, i) => ((v.bytes() - (startBytes[i] ?? 0)) * 8) / elapsed / 1e6);
      for (const viewer of viewers) viewer.stop();
      const row: PreviewRow = {
        viewers: count,
        cpuPercent: measured.relay.cpuPercent,
        peakRssMb: measured.relay.peakRssMb,
        mbpsMean: mean(measured.mbps),
        mbpsMin: Math.min(...measured.mbps),
        viewerMbps: mean(viewerMbps),
        counted,
      };
      log(
        `  preview N=${n}, ${count} viewer(s): CPU ${row.cpuPercent.toFixed(1)} %, RSS ${row.peakRssMb.toFixed(1)} MB, ` +
          `${row.mbpsMean.toFixed(2)} Mbit/s/dest, ${row.viewerMbps.toFixed(2)} Mbit/s/viewer (${counted} counted)`,
      );
      rows.push(row);
      await new Promise((resolve) => setTimeout(resolve, 2000));
    }
    return { n, rows, notes };
  } finally {
    await system.stop();
  }
}

/** The section as Markdown. */
export function previewTable(result: PreviewResult): string {
  const base = result.rows.find((r) => r.viewers === 0);
  const lines = [
    `Preview cost at N = ${result.n} (restream; viewers read \`preview.flv\` as fast as it comes):`,
    '',
    '| viewers | CPU % | Δ CPU vs 0 viewers | peak RSS MB | Mbit/s per dest (mean / min) | Mbit/s per viewer | counted in status |',
    '|--:|--:|--:|--:|--:|--:|--:|',
    ...result.rows.map(
      (r) =>
        `| ${r.viewers} | ${r.cpuPercent.toFixed(1)} | ${base ? (r.cpuPercent - base.cpuPercent).toFixed(1) : '—'} | ` +
        `${r.peakRssMb.toFixed(1)} | ${r.mbpsMean.toFixed(2)} / ${r.mbpsMin.toFixed(2)} | ` +
        `${r.viewers === 0 ? '—' : r.viewerMbps.toFixed(2)} | ${r.counted} |`,
    ),
  ];
  if (result.notes.length > 0) lines.push('', ...result.notes.map((n) => `- ${n}`));
  return lines.join('\n');
}
