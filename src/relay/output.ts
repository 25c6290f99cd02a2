import { TypedEmitter } from '../shared/events.js';
import { backoffDelayMs, defaultBackoff, type BackoffOptions } from '../shared/backoff.js';
import { systemClock, type Clock, type Timer } from '../shared/clock.js';
import { errorCode, errorMessage } from '../shared/errors.js';
import { maskUrlKey, silentLogger, type Logger } from '../shared/logger.js';
import type { MediaPacket } from '../media/packet.js';
import { inspectVideoTag, videoConfigOf, type VideoCodec } from '../media/video-tag.js';
import { ClientSession, keyframeStart, publishTargetOf } from '../rtmp/index.js';
import { createDialer, type Dialer } from '../shared/dial.js';
import { RelayError, isFatal } from './errors.js';
import { SendQueue } from './send-queue.js';
import { OutputStats, type OutputState, type OutputStatsSnapshot } from './output-stats.js';
import { codecRefusal } from './presets.js';

/** A packet of the feed (see channel's ProgramPacket). */
export interface FeedPacket {
  readonly packet: MediaPacket;
}

/** What an output reads from: the channel's program, as the relay sees it. */
export interface OutputFeed {
  subscribe(reader: { onPacket(packet: FeedPacket): void }): () => void;
  headers(): { metadata?: MediaPacket; video?: MediaPacket; audio?: MediaPacket };
  /** The packets from the latest keyframe on, so a new connection starts at once. */
  recentGop(): readonly FeedPacket[];
}

/** One destination as the relay needs it. */
export interface OutputConfig {
  /** Destination id (for logs and status). */
  id: string;
  /** Display name. */
  name: string;
  /** Full publish URL: server URL + '/' + stream key (query kept). A secret: never logged whole. */
  url: string;
  enabled: boolean;
  /**
   * Video codecs the destination accepts (its preset's); undefined: any. With another codec on the
   * program the output does not connect (or ends its broadcast) and reports `incompatible`.
   */
  acceptsCodecs?: readonly VideoCodec[] | undefined;
}

/** Tunables of an output. */
export interface OutputOptions {
  feed: OutputFeed;
  logger?: Logger;
  clock?: Clock;
  dial?: Dialer;
  backoff?: BackoffOptions;
  /** Bytes queued behind a congested socket before whole GOPs are dropped (default 4 MiB). */
  queueLimitBytes?: number;
  /** A destination that takes no bytes for this long is reconnected (default 10 s, as MediaMTX). */
  writeStallTimeoutMs?: number;
  /** TCP/TLS connect limit (default 10 s). */
  connectTimeoutMs?: number;
  /** From connect to `NetStream.Publish.Start` (default 15 s; Twitch answers in ~1.4 s). */
  publishTimeoutMs?: number;
  /** A connection that stays live this long resets the backoff (default 30 s). */
  stableAfterMs?: number;
  /**
   * Media waits up to this long so that a destination gets one vectored write per interval instead of
   * one per ingest read (default 20 ms; 0: at the end of each tick). See README, "Fan-out cost".
   */
  flushIntervalMs?: number;
}

/** The default coalescing interval: see `OutputOptions.flushIntervalMs`. */
export const defaultFlushIntervalMs = 20;

/** Events of an output. */
export interface OutputEvents {
  state: [state: OutputState, lastError: string | undefined];
}

/**
 * Where media may flow: `connected` (a new session) and `catching-up` (after a drop; what it skips counts
 * as dropped) both wait for a video keyframe and send the current metadata and headers before it.
 */
type Gate = 'connected' | 'catching-up' | 'open';

/**
 * The codec of a video sequence header, from its configuration record: OBS before 29.1 labelled HEVC with
 * the H.264 codec id, so the tag's own label is only the fallback (VP8/VP9 have no record parser here).
 * One that does not parse at all counts as unknown (`other`).
 */
function videoCodecOf(header: MediaPacket): VideoCodec {
  try {
    return videoConfigOf(header.payload).codec;
  } catch {
    try {
      return inspectVideoTag(header.payload).codec;
    } catch {
      return 'other';
    }
  }
}

/**
 * A platform that closes the connection in reply to publish this many times in a row is refusing the
 * key, not glitching: the output fails instead of hammering it (OBS gives up after the first).
 */
const publishClosesBeforeFailing = 3;

/**
 * One destination's connection: publish like OBS, wait for Publish.Start, then headers and media from a
 * keyframe; keep up or drop whole GOPs; reconnect with backoff on transient failures, stop on fatal
 * ones. It never throws out: it reports through its state.
 */
export class Output extends TypedEmitter<OutputEvents> {
  readonly stats: OutputStats;
  #config: OutputConfig;
  readonly #feed: OutputFeed;
  readonly #log: Logger;
  readonly #clock: Clock;
  readonly #dial: Dialer;
  readonly #backoff: BackoffOptions;
  readonly #queue: SendQueue;
  readonly #stallMs: number;
  readonly #connectMs: number;
  readonly #publishMs: number;
  readonly #stableMs: number;
  readonly #flushIntervalMs: number;
  #session: ClientSession | undefined;
  #unsubscribe: (() => void) | undefined;
  #gate: Gate = 'connected';
  #attempt = 0;
  #timer: Timer | undefined;
  #congestedSince: number | undefined;
  #running = false;
  /** Consecutive connections the platform closed in reply to publish. */
  #closedAtPublish = 0;
  /** Bumped by every connect and every codec hold: a dial that finishes after either is dropped. */
  #connectSeq = 0;
  /** Codec gating: not connecting because the program's codec is refused or not known yet. */
  #heldForCodec = false;
  /** Codec gating: the subscription that sees the program's video sequence headers while running. */
  #unwatchCodec: (() => void) | undefined;

  constructor(config: OutputConfig, options: OutputOptions) {
    super();
    this.#config = config;
    this.#feed = options.feed;
    this.#clock = options.clock ?? systemClock;
    this.#log = (options.logger ?? silentLogger).child({ output: config.id, destination: config.name });
    this.#dial = options.dial ?? createDialer();
    this.#backoff = options.backoff ?? defaultBackoff;
    this.#queue = new SendQueue(options.queueLimitBytes ?? 4 * 1024 * 1024);
    this.#stallMs = options.writeStallTimeoutMs ?? 10_000;
    this.#connectMs = options.connectTimeoutMs ?? 10_000;
    this.#publishMs = options.publishTimeoutMs ?? 15_000;
    this.#stableMs = options.stableAfterMs ?? 30_000;
    this.#flushIntervalMs = options.flushIntervalMs ?? defaultFlushIntervalMs;
    this.stats = new OutputStats(this.#clock);
  }

  get id(): string {
    return this.#config.id;
  }

  get state(): OutputState {
    return this.stats.state;
  }

  snapshot(): OutputStatsSnapshot {
    return this.stats.snapshot(this.#session?.bytesWritten ?? 0);
  }

  /** Starts publishing (the channel went on air); a disabled output only reports `disabled`. */
  start(): void {
    if (this.#running) return;
    if (!this.#config.enabled) {
      this.#setState('disabled');
      return;
    }
    this.#running = true;
    this.#attempt = 0;
    this.#closedAtPublish = 0;
    this.#watchCodec();
    void this.#connect();
  }

  /**
   * Stops. `clean` ends the broadcast at the platform as OBS does (FCUnpublish, deleteStream); otherwise
   * the connection is just closed.
   */
  stop(clean = true): void {
    this.#running = false;
    this.#unwatch();
    this.#clearTimer();
    this.#teardown(clean ? 'broadcast ended' : 'output stopped', clean);
    this.#setState(this.#config.enabled ? 'idle' : 'disabled');
  }

  /** Applies a new configuration; reconnects only when the URL or the accepted codecs changed. */
  update(config: OutputConfig, onAir: boolean): void {
    const urlChanged = config.url !== this.#config.url;
    const codecsChanged = config.acceptsCodecs?.join() !== this.#config.acceptsCodecs?.join();
    this.#config = config;
    if (!config.enabled || !onAir) {
      if (this.#running || this.state !== (config.enabled ? 'idle' : 'disabled')) this.stop(true);
      return;
    }
    if ((urlChanged || codecsChanged) && this.#running) this.stop(true);
    this.start();
  }

  /** Gated outputs see every video sequence header of the program while they run. */
  #watchCodec(): void {
    if (this.#config.acceptsCodecs === undefined || this.#unwatchCodec) return;
    this.#unwatchCodec = this.#feed.subscribe({
      onPacket: ({ packet }) => {
        if (packet.kind === 'video' && packet.header) this.#onVideoHeader(packet);
      },
    });
  }

  #unwatch(): void {
    this.#unwatchCodec?.();
    this.#unwatchCodec = undefined;
    this.#heldForCodec = false;
  }

  /**
   * The program's codec changed (or became known). Subscribed before any session, this runs before the
   * session would send the header: a refused codec ends the broadcast at the platform cleanly and holds
   * the output; an accepted one releases a held output.
   */
  #onVideoHeader(header: MediaPacket): void {
    if (!this.#running) return;
    const refusal = codecRefusal(this.#config.name, this.#config.acceptsCodecs, videoCodecOf(header));
    if (refusal !== undefined) {
      this.#holdForCodec(refusal);
      return;
    }
    if (!this.#heldForCodec) return;
    this.#heldForCodec = false;
    this.#attempt = 0;
    void this.#connect();
  }

  /**
   * Codec gating before a connect: true (and the output held) when the program's codec is refused, or
   * not known yet (a platform must not be shown a stream it may have to refuse; it waits `connecting`).
   */
  #codecHeld(): boolean {
    if (this.#config.acceptsCodecs === undefined) return false;
    const header = this.#feed.headers().video;
    if (!header) {
      this.#heldForCodec = true;
      this.#setState('connecting');
      return true;
    }
    const refusal = codecRefusal(this.#config.name, this.#config.acceptsCodecs, videoCodecOf(header));
    if (refusal === undefined) return false;
    this.#holdForCodec(refusal);
    return true;
  }

  #holdForCodec(refusal: string): void {
    this.#connectSeq++;
    this.#heldForCodec = true;
    this.#clearTimer();
    this.#teardown('codec not accepted', true);
    if (this.state !== 'incompatible') this.#log.warn({ reason: refusal }, 'codec not accepted; not sending');
    this.stats.lastError = refusal;
    this.#setState('incompatible');
  }

  async #connect(): Promise<void> {
    this.#clearTimer();
    if (this.#codecHeld()) return;
    const seq = ++this.#connectSeq;
    this.#setState(this.#attempt === 0 ? 'connecting' : 'retrying');
    let url: URL;
    try {
      url = new URL(this.#config.url);
      if (url.protocol !== 'rtmp:' && url.protocol !== 'rtmps:')
        throw new Error(`unsupported scheme ${url.protocol}`);
    } catch (err) {
      this.#failed(new RelayError('BAD_URL', `bad destination URL: ${errorMessage(err)}`));
      return;
    }
    this.#log.info({ url: maskUrlKey(this.#config.url), attempt: this.#attempt }, 'connecting');
    try {
      const stream = await this.#dial(url, this.#connectMs);
      if (!this.#running || seq !== this.#connectSeq) {
        stream.destroy();
        return;
      }
      const session = new ClientSession(stream, publishTargetOf(url), {
        flushIntervalMs: this.#flushIntervalMs,
      });
      this.#session = session;
      this.#timer = this.#clock.setTimeout(() => {
        session.close(
          'publish timeout',
          new RelayError('PUBLISH_TIMEOUT', `no Publish.Start within ${this.#publishMs} ms`),
        );
      }, this.#publishMs);
      session.on('publishing', () => {
        this.#onPublishing(session);
      });
      session.on('close', (info) => {
        this.#onClosed(session, info.error ?? new Error(info.reason));
      });
      session.onDrain(() => {
        this.#flush();
      });
    } catch (err) {
      if (seq === this.#connectSeq) this.#retryOrFail(err);
    }
  }

  #onPublishing(session: ClientSession): void {
    this.#clearTimer();
    this.#gate = 'connected';
    this.#congestedSince = undefined;
    this.stats.connected();
    this.#setState('live');
    this.#log.info('live');
    // Start from the latest keyframe the program has (a platform gets video at once), then go on live.
    for (const packet of this.#feed.recentGop()) this.#onPacket(session, packet);
    this.#unsubscribe = this.#feed.subscribe({
      onPacket: (packet) => {
        this.#onPacket(session, packet);
      },
    });
    this.#scheduleTick(session);
  }

  /** Once a second: bitrate, write-stall detection, and forgiving the backoff after a stable period. */
  #scheduleTick(session: ClientSession): void {
    this.#timer = this.#clock.setTimeout(() => {
      if (this.#session !== session) return;
      this.stats.sample(session.bytesWritten);
      if (this.stats.liveForMs() >= this.#stableMs) this.#attempt = 0;
      if (this.#congestedSince !== undefined && this.#clock.now() - this.#congestedSince >= this.#stallMs) {
        session.close(
          'destination stopped reading',
          new RelayError('WRITE_STALLED', `destination took no data for ${this.#stallMs} ms`),
        );
        return;
      }
      this.#scheduleTick(session);
    }, 1000);
  }

  #onPacket(session: ClientSession, item: FeedPacket): void {
    const { packet } = item;
    if (this.#gate !== 'open') {
      // Every (re)connect and every catch-up after a drop starts at a video keyframe, after the current
      // metadata and headers (the keyframe gate the RTMP viewer shares).
      const headers = keyframeStart(packet, this.#feed.headers());
      if (!headers) {
        if (this.#gate === 'catching-up' && !packet.header && packet.kind !== 'data') this.stats.dropped(1);
        return;
      }
      for (const header of headers) this.#send(session, { packet: header });
      this.#gate = 'open';
    }
    this.#send(session, item);
  }

  #send(session: ClientSession, item: FeedPacket): void {
    // Outputs whose sessions agree on chunk size and stream id share the same encoded bytes.
    const bytes = session.encode(item.packet);
    if (this.#queue.length === 0 && !session.congested) {
      session.write(bytes);
      this.stats.sent(item.packet);
      return;
    }
    // The destination has not taken what was sent before: the write-stall clock runs until `drain`.
    this.#congestedSince ??= this.#clock.now();
    if (!item.packet.header && this.#queue.wouldOverflow(bytes.length)) {
      // Too far behind: drop the queued GOPs and start again at a keyframe (this one, if it is one).
      const resumesHere = item.packet.kind === 'video' && item.packet.keyframe;
      const dropped = this.#queue.dropFrames() + (resumesHere ? 0 : 1);
      this.stats.dropped(dropped);
      this.#log.warn({ dropped }, 'destination too slow: dropped queued frames, resuming at a keyframe');
      if (!resumesHere) {
        this.#gate = 'catching-up';
        return;
      }
    }
    this.#queue.push({ packet: item.packet, bytes });
  }

  #flush(): void {
    const session = this.#session;
    if (!session) return;
    this.#congestedSince = undefined;
    while (!session.congested) {
      const item = this.#queue.shift();
      if (!item) return;
      session.write(item.bytes);
      this.stats.sent(item.packet);
    }
    this.#congestedSince = this.#clock.now();
  }

  #onClosed(session: ClientSession, error: Error): void {
    if (this.#session !== session) return;
    this.#teardown('', false);
    if (this.#running) this.#retryOrFail(error);
  }

  #retryOrFail(err: unknown): void {
    if (!this.#running) return;
    this.#closedAtPublish = errorCode(err) === 'PUBLISH_CLOSED' ? this.#closedAtPublish + 1 : 0;
    if (isFatal(err) || this.#closedAtPublish >= publishClosesBeforeFailing) {
      this.#failed(err);
      return;
    }
    const delayMs = backoffDelayMs(this.#attempt, this.#backoff);
    this.#attempt++;
    this.stats.retrying(errorMessage(err));
    this.#setState('retrying');
    this.#log.warn({ err: errorMessage(err), delayMs }, 'destination connection lost; retrying');
    this.#clearTimer();
    this.#timer = this.#clock.setTimeout(() => void this.#connect(), delayMs);
  }

  #failed(err: unknown): void {
    this.#running = false;
    this.#unwatch();
    this.#teardown('', false);
    this.stats.failed(errorMessage(err));
    this.#log.error({ err: errorMessage(err) }, 'destination refused the stream; not retrying');
    this.#setState('failed');
  }

  #teardown(reason: string, clean: boolean): void {
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    this.#queue.clear();
    const session = this.#session;
    this.#session = undefined;
    if (session && !session.closed) {
      if (clean) session.finish(reason);
      else session.close(reason || 'output stopped');
    }
    if (session) this.stats.disconnected(session.bytesWritten);
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #setState(state: OutputState): void {
    if (this.stats.state === state && state !== 'retrying') return;
    this.stats.state = state;
    this.safeEmit('state', state, this.stats.lastError);
  }
}
