import { api } from './client.js';
import type {
  ChannelEventDto,
  ChannelStatusDto,
  JobEventDto,
  OutputEventDto,
  RecordingWarningDto,
  StatsEventDto,
  StatusDto,
} from './types.js';

/** Seconds of input bitrate kept for the dashboard graph. */
export const inputHistorySec = 300;
/** Seconds of output bitrate kept for the platform sparklines. */
export const outputHistorySec = 120;

/** A time series: unix seconds and values, oldest first (uPlot's layout). */
export interface Series {
  t: number[];
  v: number[];
}

/** How the dashboard hears about changes. */
export type Connection = 'connecting' | 'live' | 'polling';

/** What the live store holds; a new object on every change (for useSyncExternalStore). */
export interface LiveSnapshot {
  status: StatusDto | null;
  connection: Connection;
  /** Why the last status fetch failed, or null. */
  error: string | null;
  /** Input bitrate per channel id. */
  input: ReadonlyMap<string, Series>;
  /** Output bitrate per platform id. */
  outputs: ReadonlyMap<string, Series>;
  /** The latest recording warning per channel id (disk below its floor). */
  recordingWarnings: ReadonlyMap<string, RecordingWarningDto>;
}

function push(map: Map<string, Series>, id: string, t: number, value: number, keepSec: number): void {
  let series = map.get(id);
  if (!series) {
    series = { t: [], v: [] };
    map.set(id, series);
  }
  const last = series.t[series.t.length - 1];
  if (last !== undefined && t <= last) return;
  // New arrays: the chart compares by identity to know it must redraw.
  const cut = t - keepSec;
  let start = 0;
  while (start < series.t.length && (series.t[start] ?? 0) < cut) start++;
  map.set(id, { t: [...series.t.slice(start), t], v: [...series.v.slice(start), value] });
}

/**
 * The server's recent history joined with what this page saw itself: the server's samples up to its
 * last one, then this page's newer ones. A reload or a phone shows the last minutes at once.
 */
function withHistory(local: Series | undefined, server: Series): Series {
  const last = server.t[server.t.length - 1];
  if (last === undefined) return local ?? { t: [], v: [] };
  if (local && local.t.length >= server.t.length && (local.t[0] ?? Infinity) <= (server.t[0] ?? 0))
    return local;
  const t = [...server.t];
  const v = [...server.v];
  local?.t.forEach((time, i) => {
    if (time > last) {
      t.push(time);
      v.push(local.v[i] ?? 0);
    }
  });
  return { t, v };
}

/**
 * The dashboard's live view of `/api/status`: one snapshot, then `/api/events` (Server-Sent Events)
 * keeps it current; stats ticks feed the bitrate history. Where the event stream is unavailable (an
 * older server, a proxy that buffers it) it polls `/api/status` every second and tries the stream
 * again now and then.
 */
export class LiveStore {
  #snapshot: LiveSnapshot = {
    status: null,
    connection: 'connecting',
    error: null,
    input: new Map(),
    outputs: new Map(),
    recordingWarnings: new Map(),
  };
  readonly #listeners = new Set<() => void>();
  #source: EventSource | undefined;
  #pollTimer: ReturnType<typeof setInterval> | undefined;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #refreshTimer: ReturnType<typeof setTimeout> | undefined;
  #slowRefresh: ReturnType<typeof setInterval> | undefined;
  #running = false;
  #refreshing = false;
  #refreshAgain = false;

  readonly subscribe = (listener: () => void): (() => void) => {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  };

  readonly getSnapshot = (): LiveSnapshot => this.#snapshot;

  /** Starts listening (idempotent). */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    void this.refresh();
    this.#openStream();
    // Events carry states and rates; a slow full refresh keeps the rest (uptimes, last errors) exact.
    this.#slowRefresh = setInterval(() => {
      if (this.#snapshot.connection === 'live') void this.refresh();
    }, 10_000);
  }

  /** Stops everything (logout). */
  stop(): void {
    this.#running = false;
    this.#source?.close();
    this.#source = undefined;
    clearInterval(this.#pollTimer);
    clearInterval(this.#slowRefresh);
    clearTimeout(this.#retryTimer);
    clearTimeout(this.#refreshTimer);
    this.#pollTimer = undefined;
    this.#update({ status: null, connection: 'connecting', input: new Map(), outputs: new Map() });
  }

  /** Fetches `/api/status` now (calls made meanwhile are folded into one more). */
  async refresh(): Promise<void> {
    if (this.#refreshing) {
      this.#refreshAgain = true;
      return;
    }
    this.#refreshing = true;
    try {
      const status = await api<StatusDto>('GET', '/api/status');
      if (!this.#running) return;
      const patch: Partial<LiveSnapshot> = { status, error: null };
      const input = new Map(this.#snapshot.input);
      for (const channel of status.channels) {
        if (channel.inputHistory.t.length > 0)
          input.set(channel.id, withHistory(input.get(channel.id), channel.inputHistory));
      }
      patch.input = input;
      if (this.#snapshot.connection === 'polling') {
        const now = Date.now() / 1000;
        const outputs = new Map(this.#snapshot.outputs);
        for (const channel of status.channels) {
          push(input, channel.id, now, channel.input?.bitrateKbps ?? 0, inputHistorySec);
          for (const output of channel.outputs)
            push(outputs, output.id, now, output.bitrateKbps, outputHistorySec);
        }
        patch.outputs = outputs;
      }
      this.#update(patch);
    } catch (err) {
      if (this.#running) this.#update({ error: err instanceof Error ? err.message : String(err) });
    } finally {
      this.#refreshing = false;
      if (this.#refreshAgain) {
        this.#refreshAgain = false;
        void this.refresh();
      }
    }
  }

  #update(patch: Partial<LiveSnapshot>): void {
    this.#snapshot = { ...this.#snapshot, ...patch };
    for (const listener of this.#listeners) listener();
  }

  /** A refresh soon, once for a burst of events. */
  #refreshSoon(): void {
    if (this.#refreshTimer !== undefined) return;
    this.#refreshTimer = setTimeout(() => {
      this.#refreshTimer = undefined;
      void this.refresh();
    }, 200);
  }

  #openStream(): void {
    if (!this.#running || typeof EventSource === 'undefined') {
      this.#startPolling();
      return;
    }
    const source = new EventSource('/api/events');
    this.#source = source;
    let opened = false;
    source.addEventListener('open', () => {
      opened = true;
      this.#stopPolling();
      this.#update({ connection: 'live' });
      // Whatever changed while the stream was down.
      void this.refresh();
    });
    source.addEventListener('error', () => {
      if (this.#source !== source) return;
      if (source.readyState === EventSource.CLOSED || !opened) {
        // Refused (no such route, not an event stream) or never got through: poll, and try later.
        source.close();
        this.#source = undefined;
        this.#startPolling();
        clearTimeout(this.#retryTimer);
        this.#retryTimer = setTimeout(() => {
          this.#openStream();
        }, 15_000);
        return;
      }
      // The browser reconnects by itself (with Last-Event-ID); poll meanwhile.
      this.#startPolling();
    });
    source.addEventListener('stats', (event) => {
      this.#onStats(JSON.parse((event as MessageEvent<string>).data) as StatsEventDto);
    });
    source.addEventListener('channel', (event) => {
      this.#onChannel(JSON.parse((event as MessageEvent<string>).data) as ChannelEventDto);
    });
    source.addEventListener('output', (event) => {
      this.#onOutput(JSON.parse((event as MessageEvent<string>).data) as OutputEventDto);
    });
    source.addEventListener('recording', (event) => {
      const warning = JSON.parse((event as MessageEvent<string>).data) as RecordingWarningDto;
      const recordingWarnings = new Map(this.#snapshot.recordingWarnings);
      recordingWarnings.set(warning.channelId, warning);
      this.#update({ recordingWarnings });
    });
    source.addEventListener('job', (event) => {
      this.#onJob(JSON.parse((event as MessageEvent<string>).data) as JobEventDto);
    });
  }

  #startPolling(): void {
    if (this.#pollTimer !== undefined) return;
    this.#update({ connection: 'polling' });
    this.#pollTimer = setInterval(() => void this.refresh(), 1000);
  }

  #stopPolling(): void {
    clearInterval(this.#pollTimer);
    this.#pollTimer = undefined;
  }

  #patchChannel(id: string, change: (channel: ChannelStatusDto) => ChannelStatusDto): boolean {
    const status = this.#snapshot.status;
    const index = status?.channels.findIndex((c) => c.id === id) ?? -1;
    const channel = index >= 0 ? status?.channels[index] : undefined;
    if (!status || !channel) return false;
    const channels = [...status.channels];
    channels[index] = change(channel);
    this.#update({ status: { channels } });
    return true;
  }

  #onStats(stats: StatsEventDto): void {
    const t = Date.parse(stats.at) / 1000;
    const input = new Map(this.#snapshot.input);
    const outputs = new Map(this.#snapshot.outputs);
    push(input, stats.channelId, t, stats.input?.bitrateKbps ?? 0, inputHistorySec);
    for (const output of stats.outputs) push(outputs, output.id, t, output.bitrateKbps, outputHistorySec);
    this.#update({ input, outputs });

    const flags = { stale: false };
    const known = this.#patchChannel(stats.channelId, (channel) => {
      // What only a full status tells (input details, last errors): fetch it when the picture moved.
      if (
        channel.onAir !== stats.onAir ||
        channel.source !== stats.source ||
        channel.mode !== stats.mode ||
        (channel.input === null) !== (stats.input === null) ||
        (channel.input !== null && channel.input.codec === null)
      ) {
        flags.stale = true;
      }
      const byId = new Map(stats.outputs.map((o) => [o.id, o]));
      return {
        ...channel,
        onAir: stats.onAir,
        mode: stats.mode,
        source: stats.source,
        input:
          channel.input && stats.input
            ? { ...channel.input, bitrateKbps: stats.input.bitrateKbps }
            : channel.input,
        outputs: channel.outputs.map((output) => {
          const tick = byId.get(output.id);
          if (!tick) return { ...output, bitrateKbps: 0 };
          if (tick.state !== output.state) flags.stale = true;
          return {
            ...output,
            state: tick.state,
            bitrateKbps: tick.bitrateKbps,
            bytes: tick.bytes,
            reconnects: tick.reconnects,
            droppedFrames: tick.droppedFrames,
          };
        }),
      };
    });
    if (!known || flags.stale) this.#refreshSoon();
  }

  #onChannel(event: ChannelEventDto): void {
    this.#patchChannel(event.channelId, (channel) => ({
      ...channel,
      mode: event.mode,
      reason: event.reason,
      fallbackEndsAt: event.fallbackEndsAt,
      ...(event.kind === 'switched' ? { source: event.to, onAir: event.to !== null } : {}),
      ...(event.kind === 'off-air' ? { source: null, onAir: false } : {}),
    }));
    this.#refreshSoon();
  }

  #onOutput(event: OutputEventDto): void {
    this.#patchChannel(event.channelId, (channel) => ({
      ...channel,
      outputs: channel.outputs.map((output) =>
        output.id === event.destinationId
          ? { ...output, state: event.state, lastError: event.error ?? output.lastError }
          : output,
      ),
    }));
    this.#refreshSoon();
  }

  #onJob(event: JobEventDto): void {
    if (event.kind !== 'upload') return;
    const { kind: _kind, ...job } = event;
    const known = this.#patchChannel(event.channelId, (channel) => {
      const jobs = channel.fallbackJobs.some((j) => j.id === job.id)
        ? channel.fallbackJobs.map((j) => (j.id === job.id ? job : j))
        : [...channel.fallbackJobs, job];
      return { ...channel, fallbackJobs: jobs };
    });
    if (!known) this.#refreshSoon();
  }
}
