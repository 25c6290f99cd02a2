import { TypedEmitter } from '../shared/events.js';
import type {
  ChannelEventDto,
  OutputEventDto,
  OutputState,
  SwitchReason,
  WebhookEventName,
} from '../contract/index.js';

/** The moments webhooks and history care about, derived from the feed's channel and output events. */
export interface LifecycleEvent {
  event: WebhookEventName;
  channelId: string;
  /** ISO-8601 time. */
  at: string;
  /** Why, for mode changes. */
  reason: SwitchReason | null;
  /** For `destination-failed`. */
  destination: { id: string; name: string; error: string } | null;
}

/** Events of {@link BroadcastLifecycle}. */
export interface BroadcastLifecycleEvents {
  lifecycle: [event: LifecycleEvent];
}

/** What the lifecycle listens to (the EventFeed). */
export interface LifecycleSource {
  on(event: 'channel', listener: (event: ChannelEventDto) => void): unknown;
  on(event: 'output', listener: (event: OutputEventDto) => void): unknown;
  off(event: 'channel', listener: (event: ChannelEventDto) => void): unknown;
  off(event: 'output', listener: (event: OutputEventDto) => void): unknown;
}

/** A failure state of an output: the connection is down for a reason. */
function isFailure(state: OutputState): boolean {
  return state === 'retrying' || state === 'failed';
}

/**
 * Turns the feed's channel and output events into a broadcast's lifecycle: went live, fallback, back to
 * live, ended, and a destination failing (once per failure episode, not per retry). Webhooks and
 * history listen to it.
 */
export class BroadcastLifecycle extends TypedEmitter<BroadcastLifecycleEvents> {
  readonly #source: LifecycleSource;
  /** Outputs in a failure episode (retrying or failed since they were last live), by channel/destination. */
  readonly #failing = new Set<string>();
  #closed = false;

  readonly #onChannel = (event: ChannelEventDto): void => {
    const { channelId, at, kind, mode, previousMode, reason } = event;
    const lifecycle = (name: WebhookEventName): void => {
      this.safeEmit('lifecycle', { event: name, channelId, at, reason, destination: null });
    };
    switch (kind) {
      case 'on-air':
        lifecycle('went-live');
        if (mode === 'fallback') lifecycle('fallback');
        return;
      case 'off-air':
        this.#dropFailures(channelId);
        lifecycle('ended');
        return;
      case 'mode':
        if (mode === 'fallback' && previousMode !== 'fallback') lifecycle('fallback');
        else if (mode === 'live' && previousMode === 'fallback') lifecycle('back-to-live');
        return;
      case 'switched':
        // What the platforms got follows the mode at the next keyframe; the mode change is the moment.
        return;
    }
  };

  readonly #onOutput = (event: OutputEventDto): void => {
    const { channelId, destinationId, name, state, error, at } = event;
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
        destination: { id: destinationId, name, error: error ?? state },
      });
    } else if (state !== 'connecting') {
      this.#failing.delete(key);
    }
  };

  constructor(source: LifecycleSource) {
    super();
    this.#source = source;
    source.on('channel', this.#onChannel);
    source.on('output', this.#onOutput);
  }

  /** Stops listening. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#source.off('channel', this.#onChannel);
    this.#source.off('output', this.#onOutput);
    this.removeAllListeners();
  }

  #dropFailures(channelId: string): void {
    for (const key of this.#failing) if (key.startsWith(`${channelId}\u0000`)) this.#failing.delete(key);
  }
}
