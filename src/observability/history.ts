import { systemClock, type Clock, type Timer } from '../shared/clock.js';
import { silentLogger, type Logger } from '../shared/logger.js';
import type { HistoryRepo } from '../store/index.js';
import type { ChannelEventDto } from '../contract/index.js';
import type { EventFeed } from './event-feed.js';
import type { BroadcastLifecycle, LifecycleEvent } from './broadcast-lifecycle.js';

/** Options of {@link History}. */
export interface HistoryOptions {
  /** Channel events: on air, mode changes, off air (the EventFeed). */
  feed: Pick<EventFeed, 'on' | 'off'>;
  /** Destination failures. */
  lifecycle: Pick<BroadcastLifecycle, 'on' | 'off'>;
  /** Where sessions are written. */
  repo: HistoryRepo;
  logger?: Logger;
  /** Timers (tests inject a fake). */
  clock?: Clock;
  /** Wall clock in ms. */
  now?: () => number;
  /** How often an open session records that it is still on air (default 30 s): a crash loses less. */
  aliveIntervalMs?: number;
  /** Switches and output failures kept per session (default 1000 each); a flapping input stops there. */
  maxEventsPerSession?: number;
}

interface OpenSession {
  id: string;
  switches: number;
  failures: number;
}

/**
 * Writes each broadcast (a channel on air, then off air) to the store as it happens: its start, every
 * change of source with the reason, every output failure, and its end. A session left open by a crash
 * is closed on the next start with its last-seen time and the reason `interrupted`.
 */
export class History {
  readonly #feed: HistoryOptions['feed'];
  readonly #lifecycle: HistoryOptions['lifecycle'];
  readonly #repo: HistoryRepo;
  readonly #log: Logger;
  readonly #clock: Clock;
  readonly #now: () => number;
  readonly #aliveIntervalMs: number;
  readonly #maxEvents: number;
  readonly #open = new Map<string, OpenSession>();
  #aliveTimer: Timer | undefined;
  #closed = false;

  readonly #onChannel = (event: ChannelEventDto): void => {
    this.#guard(event.channelId, () => {
      this.#channel(event);
    });
  };

  readonly #onLifecycle = (event: LifecycleEvent): void => {
    const destination = event.destination;
    if (event.event !== 'destination-failed' || destination === null) return;
    this.#guard(event.channelId, () => {
      const session = this.#open.get(event.channelId);
      if (!session || session.failures >= this.#maxEvents) return;
      session.failures++;
      this.#repo.addOutputFailure(session.id, {
        at: event.at,
        destinationId: destination.id,
        destinationName: destination.name,
        error: destination.error,
      });
    });
  };

  constructor(options: HistoryOptions) {
    this.#feed = options.feed;
    this.#lifecycle = options.lifecycle;
    this.#repo = options.repo;
    this.#log = options.logger ?? silentLogger;
    this.#clock = options.clock ?? systemClock;
    this.#now = options.now ?? Date.now;
    this.#aliveIntervalMs = options.aliveIntervalMs ?? 30_000;
    this.#maxEvents = options.maxEventsPerSession ?? 1000;
    const interrupted = this.#repo.closeInterrupted();
    if (interrupted > 0)
      this.#log.warn({ sessions: interrupted }, 'broadcast history: closed sessions a crash left open');
    this.#feed.on('channel', this.#onChannel);
    this.#lifecycle.on('lifecycle', this.#onLifecycle);
  }

  /** Stops recording (sessions still open stay open: the next start closes them as interrupted). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#feed.off('channel', this.#onChannel);
    this.#lifecycle.off('lifecycle', this.#onLifecycle);
    this.#touchOpen();
    if (this.#aliveTimer !== undefined) this.#clock.clearTimeout(this.#aliveTimer);
    this.#aliveTimer = undefined;
  }

  #channel(event: ChannelEventDto): void {
    switch (event.kind) {
      case 'on-air': {
        const previous = this.#open.get(event.channelId);
        if (previous) this.#repo.end(previous.id, event.at, 'interrupted');
        const id = this.#repo.start(event.channelId, event.at, event.reason ?? 'publisher-started');
        this.#open.set(event.channelId, { id, switches: 0, failures: 0 });
        this.#armAlive();
        return;
      }
      case 'mode': {
        const session = this.#open.get(event.channelId);
        if (!session || session.switches >= this.#maxEvents) return;
        session.switches++;
        this.#repo.addSwitch(session.id, {
          at: event.at,
          from: event.previousMode,
          to: event.mode,
          reason: event.reason ?? 'manual',
        });
        return;
      }
      case 'off-air': {
        const session = this.#open.get(event.channelId);
        if (!session) return;
        this.#open.delete(event.channelId);
        this.#repo.end(session.id, event.at, event.reason ?? 'manual');
        return;
      }
      case 'switched':
        // What the platforms got follows the mode at the next keyframe; the mode change is the record.
        return;
    }
  }

  /** A database failure is logged; it never reaches the engine that emitted the event. */
  #guard(channelId: string, write: () => void): void {
    if (this.#closed) return;
    try {
      write();
    } catch (err) {
      this.#log.error({ err, channelId }, 'broadcast history: write failed');
    }
  }

  #armAlive(): void {
    if (this.#aliveTimer !== undefined || this.#closed) return;
    this.#aliveTimer = this.#clock.setTimeout(() => {
      this.#aliveTimer = undefined;
      this.#touchOpen();
      if (this.#open.size > 0) this.#armAlive();
    }, this.#aliveIntervalMs);
    this.#aliveTimer.unref?.();
  }

  #touchOpen(): void {
    if (this.#open.size === 0) return;
    try {
      this.#repo.touch(
        [...this.#open.values()].map((s) => s.id),
        new Date(this.#now()).toISOString(),
      );
    } catch (err) {
      this.#log.error({ err }, 'broadcast history: write failed');
    }
  }
}
