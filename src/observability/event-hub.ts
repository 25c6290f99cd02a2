import { systemClock, type Clock, type Timer } from '../shared/clock.js';
import { TypedEmitter } from '../shared/events.js';
import type { Mode, SwitchReason } from '../channel/continuity.js';
import type { SourceName } from '../channel/switcher.js';
import type { FallbackJob } from '../fallback/library.js';
import type { OutputState } from '../relay/output-stats.js';
import type { WebhookEvent } from '../store/index.js';
import type { EngineEvents } from '../engine/channel-manager.js';
import type { ChannelLiveStatus } from '../engine/channel-runtime.js';

/** What a `channel` event reports. */
export type ChannelEventKind = 'on-air' | 'mode' | 'off-air' | 'switched';

/**
 * A channel's state changed: it went on air (`on-air`), changed its wanted source (`mode`), went off
 * air (`off-air`), or a source took the air at its keyframe (`switched`, with `from`/`to`).
 */
export interface ChannelEvent {
  channelId: string;
  kind: ChannelEventKind;
  /** ISO-8601 time. */
  at: string;
  /** The wanted source after the event. */
  mode: Mode;
  /** The wanted source before it (equal to `mode` for `switched`). */
  previousMode: Mode;
  /** Why the mode last changed. */
  reason: SwitchReason | null;
  /** For `switched`: the source that left the air (null when none had it). */
  from: SourceName | null;
  /** For `switched`: the source now on air; null for the other kinds. */
  to: SourceName | null;
  /** ISO-8601 time the fallback will end the broadcast by itself, or null. */
  fallbackEndsAt: string | null;
}

/** A destination's output changed state. */
export interface OutputEvent {
  channelId: string;
  destinationId: string;
  name: string;
  state: OutputState;
  /** Why the connection failed (no stream keys), or null. */
  error: string | null;
  /** ISO-8601 time. */
  at: string;
}

/** A fallback conform job was queued, advanced or ended. `channelId` is '' for the shared slates. */
export interface JobEvent {
  id: string;
  channelId: string;
  kind: 'upload' | 'slate';
  key: string;
  state: FallbackJob['state'];
  percent: number;
  error: string | null;
  startedAt: string;
  finishedAt: string | null;
}

/** One output in a stats tick. */
export interface OutputStatsEvent {
  id: string;
  name: string;
  state: OutputState;
  bitrateKbps: number;
  /** Video frames per second sent over the last tick, null before two samples or while not live. */
  fps: number | null;
  droppedFrames: number;
  bytes: number;
  reconnects: number;
}

/** A channel's rates, once a second. */
export interface StatsEvent {
  channelId: string;
  /** ISO-8601 time. */
  at: string;
  onAir: boolean;
  mode: Mode;
  source: SourceName | null;
  /** The live input, or null when nobody publishes. */
  input: { bitrateKbps: number; fps: number | null } | null;
  outputs: OutputStatsEvent[];
}

/** An event as subscribers (the SSE route) get it: a sequence number, a name and its data. */
export type SequencedEvent =
  | { id: number; event: 'channel'; data: ChannelEvent }
  | { id: number; event: 'output'; data: OutputEvent }
  | { id: number; event: 'job'; data: JobEvent }
  | { id: number; event: 'stats'; data: StatsEvent };

/** The moments webhooks and history care about, derived from the engine's events. */
export interface LifecycleEvent {
  event: WebhookEvent;
  channelId: string;
  /** ISO-8601 time. */
  at: string;
  /** Why, for mode changes. */
  reason: SwitchReason | null;
  /** For `destination-failed`. */
  destination: { id: string; name: string; error: string } | null;
}

/** Events of the hub, for the server's own consumers (history, metrics, webhooks). */
export interface EventHubEvents {
  channel: [event: ChannelEvent];
  output: [event: OutputEvent];
  job: [event: JobEvent];
  lifecycle: [event: LifecycleEvent];
}

/** What the hub needs from the engine (ChannelManager). */
export interface EngineSource {
  on<K extends keyof EngineEvents>(event: K, listener: (...args: EngineEvents[K]) => void): unknown;
  off<K extends keyof EngineEvents>(event: K, listener: (...args: EngineEvents[K]) => void): unknown;
  channelStatus(channelId: string): ChannelLiveStatus | undefined;
}

/** What the hub needs from the fallback library. */
export interface JobSource {
  on(event: 'job', listener: (job: FallbackJob) => void): unknown;
  off(event: 'job', listener: (job: FallbackJob) => void): unknown;
}

/** Options of the hub. */
export interface EventHubOptions {
  /** The engine. */
  engine: EngineSource;
  /** The fallback library, for conform progress. */
  jobs?: JobSource;
  /** Ids of every channel (the stats tick covers these). */
  channels: () => string[];
  /** Monotonic time and timers (tests inject a fake). */
  clock?: Clock;
  /** Wall clock in ms (tests inject a fake). */
  now?: () => number;
  /** Stats tick period (default 1000 ms). */
  statsIntervalMs?: number;
  /** State events kept for `Last-Event-ID` replay (default 256). */
  replaySize?: number;
}

/** How a subscriber is told. */
export interface Subscription {
  /** Only this channel's events (and jobs of the shared slates). */
  channelId?: string;
  /** Replays kept events after this id (an SSE client's `Last-Event-ID`). */
  lastEventId?: number;
  /** Called when the hub closes: the subscriber should end its stream. */
  onEnd?: () => void;
}

interface Subscriber {
  listener: (event: SequencedEvent) => void;
  channelId: string | undefined;
  onEnd: (() => void) | undefined;
}

/** A failure state of an output: the connection is down for a reason. */
function isFailure(state: OutputState): boolean {
  return state === 'retrying' || state === 'failed';
}

function channelOf(event: SequencedEvent): string {
  return event.data.channelId;
}

/**
 * Subscribes to the engine once and fans its events out: to the server's own consumers as typed
 * events (with the derived lifecycle moments webhooks and history need), and to SSE subscribers as
 * numbered events, with a stats tick per channel each second while anyone listens. Listeners run
 * synchronously but can never throw into the engine (safeEmit, and a try around each subscriber).
 */
export class EventHub extends TypedEmitter<EventHubEvents> {
  readonly #engine: EngineSource;
  readonly #jobs: JobSource | undefined;
  readonly #channels: () => string[];
  readonly #clock: Clock;
  readonly #now: () => number;
  readonly #statsIntervalMs: number;
  readonly #replaySize: number;
  readonly #subscribers = new Set<Subscriber>();
  /** Recent state events (not stats), oldest first, for replay. */
  readonly #recent: SequencedEvent[] = [];
  readonly #modes = new Map<string, { mode: Mode; reason: SwitchReason | null; endsAt: string | null }>();
  /** Outputs in a failure episode (retrying or failed since they were last live), by channel/destination. */
  readonly #failing = new Set<string>();
  /** Previous stats sample of each output, for its frame rate. */
  readonly #frames = new Map<string, { frames: number; atMs: number }>();
  #seq = 0;
  #statsTimer: Timer | undefined;
  #closed = false;

  readonly #onMode = (...[channelId, change]: EngineEvents['mode']): void => {
    const previous = this.#modes.get(channelId)?.mode ?? 'off';
    const fallbackEndsAt =
      change.endsAt === null ? null : this.#wall(this.#now() + (change.endsAt - this.#clock.now()));
    this.#modes.set(channelId, { mode: change.mode, reason: change.reason, endsAt: fallbackEndsAt });
    const at = this.#wall(this.#now());
    const kind: ChannelEventKind =
      previous === 'off' && change.mode !== 'off' ? 'on-air' : change.mode === 'off' ? 'off-air' : 'mode';
    // An end that changes nothing (an "end" of a channel already off) is not news.
    if (previous === 'off' && change.mode === 'off') return;
    if (kind === 'off-air') this.#dropFailures(channelId);
    const event: ChannelEvent = {
      channelId,
      kind,
      at,
      mode: change.mode,
      previousMode: previous,
      reason: change.reason,
      from: null,
      to: null,
      fallbackEndsAt,
    };
    this.safeEmit('channel', event);
    this.#publish({ id: 0, event: 'channel', data: event });
    const lifecycle = (name: WebhookEvent): void => {
      this.safeEmit('lifecycle', {
        event: name,
        channelId,
        at,
        reason: change.reason,
        destination: null,
      });
    };
    if (kind === 'on-air') {
      lifecycle('went-live');
      if (change.mode === 'fallback') lifecycle('fallback');
    } else if (kind === 'off-air') {
      lifecycle('ended');
    } else if (change.mode === 'fallback' && previous !== 'fallback') {
      lifecycle('fallback');
    } else if (change.mode === 'live' && previous === 'fallback') {
      lifecycle('back-to-live');
    }
  };

  readonly #onSwitched = (...[channelId, from, to]: EngineEvents['switched']): void => {
    const mode = this.#modes.get(channelId);
    const event: ChannelEvent = {
      channelId,
      kind: 'switched',
      at: this.#wall(this.#now()),
      mode: mode?.mode ?? 'off',
      previousMode: mode?.mode ?? 'off',
      reason: mode?.reason ?? null,
      from: from ?? null,
      to,
      fallbackEndsAt: mode?.endsAt ?? null,
    };
    this.safeEmit('channel', event);
    this.#publish({ id: 0, event: 'channel', data: event });
  };

  readonly #onOutput = (
    ...[channelId, destinationId, name, state, lastError]: EngineEvents['output']
  ): void => {
    const at = this.#wall(this.#now());
    const event: OutputEvent = { channelId, destinationId, name, state, error: lastError ?? null, at };
    this.safeEmit('output', event);
    this.#publish({ id: 0, event: 'output', data: event });
    const key = `${channelId}\u0000${destinationId}`;
    if (isFailure(state)) {
      // One failure per episode: an output retrying every few seconds against a dead host is one
      // failure until it is live again, except that giving up for good (`failed`) is always news.
      if (this.#failing.has(key) && state !== 'failed') return;
      this.#failing.add(key);
      this.safeEmit('lifecycle', {
        event: 'destination-failed',
        channelId,
        at,
        reason: null,
        destination: { id: destinationId, name, error: lastError ?? state },
      });
    } else if (state !== 'connecting') {
      this.#failing.delete(key);
    }
  };

  readonly #onJob = (job: FallbackJob): void => {
    const event: JobEvent = {
      id: job.id,
      channelId: job.channelId,
      kind: job.kind,
      key: job.key,
      state: job.state,
      percent: job.percent,
      error: job.error ?? null,
      startedAt: job.startedAt,
      finishedAt: job.finishedAt ?? null,
    };
    this.safeEmit('job', event);
    this.#publish({ id: 0, event: 'job', data: event });
  };

  constructor(options: EventHubOptions) {
    super();
    this.#engine = options.engine;
    this.#jobs = options.jobs;
    this.#channels = options.channels;
    this.#clock = options.clock ?? systemClock;
    this.#now = options.now ?? Date.now;
    this.#statsIntervalMs = options.statsIntervalMs ?? 1000;
    this.#replaySize = options.replaySize ?? 256;
    this.#engine.on('mode', this.#onMode);
    this.#engine.on('switched', this.#onSwitched);
    this.#engine.on('output', this.#onOutput);
    this.#jobs?.on('job', this.#onJob);
  }

  /** Number of live subscribers. */
  get subscriberCount(): number {
    return this.#subscribers.size;
  }

  /**
   * Adds a subscriber: first the kept events after `lastEventId` (if given), then every event as it
   * happens, with a `stats` event per channel each tick. Returns the unsubscribe function.
   */
  subscribe(listener: (event: SequencedEvent) => void, options: Subscription = {}): () => void {
    const subscriber: Subscriber = { listener, channelId: options.channelId, onEnd: options.onEnd };
    if (this.#closed) {
      subscriber.onEnd?.();
      return () => undefined;
    }
    const after = options.lastEventId;
    // An id from before a restart (larger than any we gave) replays nothing.
    if (after !== undefined && after <= this.#seq) {
      for (const event of this.#recent) if (event.id > after) this.#deliver(subscriber, event);
    }
    this.#subscribers.add(subscriber);
    this.#armStats();
    return () => {
      this.#subscribers.delete(subscriber);
      if (this.#subscribers.size === 0) this.#stopStats();
    };
  }

  /** Stops listening to the engine and ends every subscriber. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#engine.off('mode', this.#onMode);
    this.#engine.off('switched', this.#onSwitched);
    this.#engine.off('output', this.#onOutput);
    this.#jobs?.off('job', this.#onJob);
    this.#stopStats();
    const subscribers = [...this.#subscribers];
    this.#subscribers.clear();
    for (const subscriber of subscribers) {
      try {
        subscriber.onEnd?.();
      } catch {
        // A subscriber failing to end is its own problem.
      }
    }
    this.removeAllListeners();
  }

  /** One stats event per channel now (the tick calls it; tests may too). */
  statsTick(): StatsEvent[] {
    const nowMs = this.#clock.now();
    const at = this.#wall(this.#now());
    const seen = new Set<string>();
    const events: StatsEvent[] = [];
    for (const channelId of this.#channels()) {
      const status = this.#engine.channelStatus(channelId);
      if (!status) continue;
      const outputs = status.outputs.map((output): OutputStatsEvent => {
        const key = `${channelId}\u0000${output.id}`;
        seen.add(key);
        const previous = this.#frames.get(key);
        this.#frames.set(key, { frames: output.videoFrames, atMs: nowMs });
        let fps: number | null = null;
        if (previous && output.state === 'live' && nowMs > previous.atMs) {
          const frames = Math.max(0, output.videoFrames - previous.frames);
          fps = Math.round((frames * 10_000) / (nowMs - previous.atMs)) / 10;
        }
        return {
          id: output.id,
          name: output.name,
          state: output.state,
          bitrateKbps: output.bitrateKbps,
          fps,
          droppedFrames: output.droppedFrames,
          bytes: output.bytes,
          reconnects: output.reconnects,
        };
      });
      events.push({
        channelId,
        at,
        onAir: status.onAir,
        mode: status.mode,
        source: status.source,
        input: status.input && { bitrateKbps: status.input.bitrateKbps, fps: status.input.fps },
        outputs,
      });
    }
    for (const key of this.#frames.keys()) if (!seen.has(key)) this.#frames.delete(key);
    for (const event of events) this.#publish({ id: 0, event: 'stats', data: event });
    return events;
  }

  #publish(event: SequencedEvent): void {
    event.id = ++this.#seq;
    if (event.event !== 'stats') {
      this.#recent.push(event);
      if (this.#recent.length > this.#replaySize) this.#recent.shift();
    }
    for (const subscriber of this.#subscribers) this.#deliver(subscriber, event);
  }

  #deliver(subscriber: Subscriber, event: SequencedEvent): void {
    const wanted = subscriber.channelId;
    // Slate jobs (channel '') concern every channel.
    if (wanted !== undefined && channelOf(event) !== wanted && channelOf(event) !== '') return;
    try {
      subscriber.listener(event);
    } catch {
      // One broken subscriber must not stop the others (nor the engine that emitted).
    }
  }

  #dropFailures(channelId: string): void {
    for (const key of this.#failing) if (key.startsWith(`${channelId}\u0000`)) this.#failing.delete(key);
  }

  #armStats(): void {
    if (this.#statsTimer !== undefined || this.#subscribers.size === 0 || this.#closed) return;
    this.#statsTimer = this.#clock.setTimeout(() => {
      this.#statsTimer = undefined;
      try {
        this.statsTick();
      } finally {
        this.#armStats();
      }
    }, this.#statsIntervalMs);
    this.#statsTimer.unref?.();
  }

  #stopStats(): void {
    if (this.#statsTimer === undefined) return;
    this.#clock.clearTimeout(this.#statsTimer);
    this.#statsTimer = undefined;
  }

  #wall(ms: number): string {
    return new Date(ms).toISOString();
  }
}
