import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { Series } from '../api/live-store.js';

const axisStroke = '#a3adbd';
const gridStroke = 'rgba(255, 255, 255, 0.07)';
const minWindowSec = 60;

/** Axis ticks: `14:05` (or `14:05:30` when ticks are under a minute apart). */
function clockLabels(_u: uPlot, splits: number[], _axis: number, _space: number, incr: number): string[] {
  return splits.map((v) =>
    new Date(v * 1000).toLocaleTimeString([], {
      hour: '2-digit',
      minute: '2-digit',
      ...(incr < 60 ? { second: '2-digit' } : {}),
    }),
  );
}

/** `800k`, `1.2M`: short enough for the axis. */
function shortKbps(v: number): string {
  return v >= 1000 ? `${Number((v / 1000).toFixed(1))} Mbps` : `${Math.round(v)} kbps`;
}

/** Options of a full graph (axes, time) or a sparkline (line only). */
function options(
  width: number,
  height: number,
  color: string,
  sparkline: boolean,
  windowSec: number,
): uPlot.Options {
  const series: uPlot.Series = {
    label: 'Bitrate',
    stroke: color,
    width: sparkline ? 1.5 : 2,
    fill: `${color}33`,
    points: { show: false },
  };
  // The window fills as history grows: at least a minute, at most `windowSec`, ending now.
  const xRange = (u: uPlot, _min: number, max: number): uPlot.Range.MinMax => {
    const end = Math.max(max, Date.now() / 1000);
    const first = (u.data[0] as number[] | undefined)?.[0] ?? end;
    return [Math.max(end - windowSec, Math.min(first, end - minWindowSec)), end];
  };
  if (sparkline) {
    return {
      width,
      height,
      pxAlign: false,
      cursor: { show: false },
      legend: { show: false },
      select: { show: false, left: 0, top: 0, width: 0, height: 0 },
      scales: {
        x: { time: false, range: xRange },
        y: { range: (_u, _min, max) => [0, Math.max(max * 1.15, 100)] },
      },
      axes: [{ show: false }, { show: false }],
      series: [{}, series],
    };
  }
  return {
    width,
    height,
    legend: { show: false },
    cursor: { drag: { x: false, y: false } },
    scales: {
      x: { time: true, range: xRange },
      y: { range: (_u, _min, max) => [0, Math.max(max * 1.15, 500)] },
    },
    axes: [
      {
        stroke: axisStroke,
        grid: { stroke: gridStroke },
        ticks: { stroke: gridStroke },
        space: 70,
        incrs: [10, 15, 30, 60, 120, 300],
        values: clockLabels,
      },
      {
        stroke: axisStroke,
        grid: { stroke: gridStroke },
        ticks: { stroke: gridStroke },
        size: 80,
        values: (_u, splits) => splits.map(shortKbps),
      },
    ],
    series: [{}, series],
  };
}

/**
 * A bitrate graph (uPlot, canvas): `sparkline` for the platform cards, else with axes. It fills its
 * container's width and follows resizes.
 */
export function BitrateChart({
  data,
  height,
  sparkline = false,
  color = '#4cc38a',
  windowSec,
  label,
}: {
  data: Series | undefined;
  height: number;
  sparkline?: boolean;
  color?: string;
  windowSec: number;
  label: string;
}) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  // The data the chart was last given, for a chart re-made when its options change.
  const latest = useRef<Series | undefined>(data);

  useEffect(() => {
    const element = box.current;
    if (!element) return;
    const width = Math.max(element.clientWidth, 50);
    const series = latest.current ?? { t: [], v: [] };
    const chart = new uPlot(
      options(width, height, color, sparkline, windowSec),
      [series.t, series.v],
      element,
    );
    plot.current = chart;
    const observer = new ResizeObserver(() => {
      chart.setSize({ width: Math.max(element.clientWidth, 50), height });
    });
    observer.observe(element);
    return () => {
      observer.disconnect();
      chart.destroy();
      plot.current = null;
    };
  }, [height, color, sparkline, windowSec]);

  useEffect(() => {
    latest.current = data;
    const series = data ?? { t: [], v: [] };
    plot.current?.setData([series.t, series.v]);
  }, [data]);

  return (
    <div
      className={sparkline ? 'sparkline' : 'chart'}
      ref={box}
      role="img"
      aria-label={label}
      data-points={data?.t.length ?? 0}
    />
  );
}
