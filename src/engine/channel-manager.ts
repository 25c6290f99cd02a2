import { systemClock, type Clock } from '../shared/clock.js';
import { TypedEmitter } from '../shared/events.js';
import { silentLogger, type Logger } from '../shared/logger.js';
import { IngestServer, type IngestOptions, type StreamKeys } from '../ingest/ingest-server.js';
import type { OutputOptions } from '../relay/output.js';
import type { Store } from '../store/index.js';
import { defaultContinuitySettings } from '../channel/continuity.js';
import type {
  ChannelAction,
  ChannelLiveStatus,
  ContinuitySettings,
  EngineEvents,
  ProgramViewerEnd,
} from '../contract/index.js';
import type { ByteSink } from '../shared/byte-sink.js';
import { ChannelRuntime, type ProgramWatcher } from './channel-runtime.js';
import type { FallbackFiles } from './fallback-source.js';
import { defaultParams, type RenditionParams } from '../fallback/params.js';

/** Engine settings. */
export interface ChannelManagerOptions {
  store: Store;
  logger?: Logger;
  clock?: Clock;
  /** Passed to every output: dialer (TLS CAs), queue limit, backoff, timeouts. */
  output?: Omit<OutputOptions, 'feed' | 'logger' | 'clock'>;
  /** Where fallback renditions and slates come from. */
  fallback: FallbackFiles;
  /**
   * Server-wide continuity defaults (over docs/architecture.md rule 4's); a channel's own stored settings win
   * field by field.
   */
  continuity?: Partial<ContinuitySettings>;
  /** Limits on RTMP connections that have not published or played yet. */
  ingest?: Pick<IngestOptions, 'maxPending' | 'maxPendingPerAddress' | 'setupTimeoutMs'>;
}

/**
 * The engine: wires ingest to one runtime per channel and keeps the runtimes in step with the store.
 * The API reaches it only through the LiveView methods (channelStatus, destinationsChanged,
 * channelKeysChanged).
 */
/** Emits EngineEvents (src/contract), for events, metrics, history and webhooks. */
export class ChannelManager extends TypedEmitter<EngineEvents> {
  readonly ingest: IngestServer;
  readonly #store: Store;
  readonly #log: Logger;
  readonly #clock: Clock;
  readonly #options: ChannelManagerOptions;
  readonly #runtimes = new Map<string, ChannelRuntime>();

  constructor(options: ChannelManagerOptions) {
    super();
    this.#options = options;
    this.#store = options.store;
    this.#log = options.logger ?? silentLogger;
    this.#clock = options.clock ?? systemClock;
    this.ingest = new IngestServer({ ...options.ingest, keys: this.#keys(), logger: this.#log });
    this.ingest.on('publisher', (publisher) => {
      this.#runtime(publisher.channelId)?.attachPublisher(publisher);
    });
    this.ingest.on('player', (player) => {
      const runtime = this.#runtime(player.channelId);
      if (runtime) runtime.attachPlayer(player);
      else player.close('channel not found');
    });
    for (const channel of this.#store.channels.list()) this.#runtime(channel.id);
  }

  /** Live status of a channel (undefined for an unknown channel). */
  channelStatus(channelId: string): ChannelLiveStatus | undefined {
    return this.#runtimes.get(channelId)?.status();
  }

  /** A preview viewer of a channel's program (undefined for an unknown channel); see ChannelRuntime. */
  watchProgram(
    channelId: string,
    sink: ByteSink,
    onEnd?: (why: ProgramViewerEnd) => void,
    role?: ProgramWatcher,
  ): (() => void) | undefined {
    return this.#runtime(channelId)?.watchProgram(sink, onEnd, role);
  }

  /** Re-reads a channel's destinations from the store and applies them at once. */
  destinationsChanged(channelId: string): void {
    const runtime = this.#runtime(channelId);
    if (!runtime) return;
    runtime.setDestinations(this.#store.destinationsForChannel(channelId));
  }

  /** A channel's stored continuity settings changed: the running channel applies them at once. */
  channelSettingsChanged(channelId: string): void {
    this.#runtimes.get(channelId)?.updateContinuity(this.continuitySettings(channelId));
  }

  /** The continuity settings a channel runs with: its stored ones over the server-wide defaults. */
  continuitySettings(channelId: string): ContinuitySettings {
    const stored = this.#store.channels.find(channelId)?.settings ?? {};
    return { ...defaultContinuitySettings, ...this.#options.continuity, ...stored };
  }

  /**
   * A channel's keys changed. Its publisher, pull and players on a key that no longer opens it end at
   * once (the channel goes to its fallback, reason `key-rotated`); new sessions need the new key. A
   * deleted channel is ended and dropped.
   */
  channelKeysChanged(channelId: string): void {
    if (this.#store.channels.find(channelId)) {
      this.ingest.revokeStaleKeys(channelId, 'the stream key was rotated');
      return;
    }
    this.#runtimes.get(channelId)?.destroy('channel deleted');
    this.#runtimes.delete(channelId);
  }

  /**
   * A manual action on a channel: `fallback` ("be right back"), `live` (back to the live input) or
   * `end` (end the broadcast on every platform). Returns why it cannot apply, if it cannot; undefined
   * for success. Throws nothing; an unknown channel answers 'unknown channel'.
   */
  channelAction(channelId: string, action: ChannelAction): string | undefined {
    const runtime = this.#runtime(channelId);
    if (!runtime) return 'unknown channel';
    return runtime.action(action);
  }

  /** What a fallback upload for this channel is conformed to: its live parameters, or the defaults. */
  fallbackParams(channelId: string): RenditionParams {
    return this.#runtime(channelId)?.fallbackParams ?? defaultParams;
  }

  /** Ends every broadcast cleanly (FCUnpublish/deleteStream at each platform) and stops ingest. */
  async shutdown(): Promise<void> {
    for (const runtime of this.#runtimes.values()) runtime.destroy('server shutting down');
    await this.ingest.close();
  }

  /** The runtime of a channel, created (with its destinations) on first use; undefined if unknown. */
  #runtime(channelId: string): ChannelRuntime | undefined {
    const existing = this.#runtimes.get(channelId);
    if (existing) return existing;
    if (!this.#store.channels.find(channelId)) return undefined;
    const runtime = new ChannelRuntime({
      channelId,
      logger: this.#log,
      clock: this.#clock,
      output: this.#options.output ?? {},
      continuity: this.continuitySettings(channelId),
      fallback: this.#options.fallback,
    });
    this.#runtimes.set(channelId, runtime);
    runtime.on('mode', (change) => {
      this.safeEmit('mode', channelId, change);
    });
    runtime.on('switched', (from, to) => {
      this.safeEmit('switched', channelId, from, to);
    });
    runtime.on('output', (destinationId, name, state, lastError) => {
      this.safeEmit('output', channelId, destinationId, name, state, lastError);
    });
    runtime.setDestinations(this.#store.destinationsForChannel(channelId));
    return runtime;
  }

  #keys(): StreamKeys {
    return {
      channelForPublishKey: (key) => {
        const match = this.#store.channels.matchKey(key);
        return match?.role === 'ingest' ? match.channelId : undefined;
      },
      channelForPlayKey: (key) => this.#store.channels.matchKey(key)?.channelId,
    };
  }
}
