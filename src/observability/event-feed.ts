import { systemClock, type Clock, type Timer } from '../shared/clock.js';
import { TypedEmitter } from '../shared/events.js';
import type {
  ChannelEventDto,
  ChannelEventKind,
  ChannelLiveStatus,
  ChannelMode,
  EngineEvents,
  EventSubscription,
  FallbackJob,
  JobEventDto,
  OutputEventDto,
  OutputStatsDto,
  ServerEventDto,
  StatsEventDto,
  SwitchReason,
} from '../contract/index.js';
import { jobEventDto } from '../contract/index.js';

/** An event as subscribers (the SSE route) get it: a sequence number, a name and its data. */
export type SequencedEvent = ServerEventDto;

/** Events of the feed, for the server's own consumers (lifecycle, history, metrics). */
export interface EventFeedEvents {
  channel: [event: ChannelEventDto];
  output: [event: OutputEventDto];
  job: [event: JobEventDto];
}

/** What the feed needs from the engine (ChannelManager): its events, and channel status for stats. */
export interface EngineSource {
  on<K extends keyof EngineEvents>(event: K, listener: (...args: EngineEvents[K]) => void): unknown;
  off<K extends keyof EngineEvents>(event: K, listener: (...args: EngineEvents[K]) => void): unknown;
  channelStatus(channelId: string): ChannelLiveStatus | undefined;
}

/** What the feed needs from the fallback library. */
export interface JobSource {
  on(event: 'job', listener: (job: FallbackJob) => void): unknown;
  off(event: 'job', listener: (job: FallbackJob) => void): unknown;
}

/** Options of the feed. */
export interface EventFeedOptions {
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

/** How a subscriber is told (the API's `EventSubscription`). */
export type Subscription = EventSubscription;

interface Subscriber {
  listener: (event: SequencedEvent) => void;
  channelId: string | undefined;
  onEnd: (() => void) | undefined;
}

function channelOf(event: SequencedEvent): string {
  return event.data.channelId;
}

/**
 * The live event feed: subscribes to the engine once and fans its events out, to the server's own
 * consumers as typed events (BroadcastLifecycle, History, Metrics), and to SSE subscribers as numbered
 * events with replay, plus a stats tick per channel each second while anyone listens. Listeners run
 * synchronously but can never throw into the engine (safeEmit, and a try around each subscriber).
 */
export class EventFeed extends TypedEmitter<EventFeedEvents> {
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
  readonly #modes = new Map<
    string,
    { mode: ChannelMode; reason: SwitchReason | null; endsAt: string | null }
  >();
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
    const event: ChannelEventDto = {
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
  };

  readonly #onSwitched = (...[channelId, from, to]: EngineEvents['switched']): void => {
    const mode = this.#modes.get(channelId);
    const event: ChannelEventDto = {
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
    const event: OutputEventDto = {
      channelId,
      destinationId,
      name,
      state,
      error: lastError ?? null,
      at: this.#wall(this.#now()),
    };
    this.safeEmit('output', event);
    this.#publish({ id: 0, event: 'output', data: event });
  };

  readonly #onJob = (job: FallbackJob): void => {
    const event = jobEventDto(job);
    this.safeEmit('job', event);
    this.#publish({ id: 0, event: 'job', data: event });
  };

  constructor(options: EventFeedOptions) {
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

  /** Tells subscribers that a channel's recording is paused or cannot start (the recorder calls it). */
  recordingWarning(channelId: string, message: string): void {
    if (this.#closed) return;
    this.#publish({ id: 0, event: 'recording', data: { channelId, at: this.#wall(this.#now()), message } });
  }

  /** One stats event per channel now (the tick calls it; tests may too). */
  statsTick(): StatsEventDto[] {
    const nowMs = this.#clock.now();
    const at = this.#wall(this.#now());
    const seen = new Set<string>();
    const events: StatsEventDto[] = [];
    for (const channelId of this.#channels()) {
      const status = this.#engine.channelStatus(channelId);
      if (!status) continue;
      const outputs = status.outputs.map((output): OutputStatsDto => {
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
