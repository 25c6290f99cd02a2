import type { Clock } from '../shared/clock.js';
import { TypedEmitter } from '../shared/events.js';
import type { Logger } from '../shared/logger.js';
import { Program } from '../channel/program.js';
import { FlvViewer } from '../channel/flv-viewer.js';
import { Switcher } from '../channel/switcher.js';
import { Continuity } from '../channel/continuity.js';
import type {
  ChannelAction,
  ChannelLiveStatus,
  ContinuitySettings,
  ModeChange,
  OutputState,
  ProgramViewerEnd,
  SourceName,
} from '../contract/index.js';
import type { ByteSink } from '../shared/byte-sink.js';
import { Output, type OutputOptions } from '../relay/output.js';
import { publishTarget, publishUrl } from '../relay/publish-url.js';
import { acceptedAudioCodecs, acceptedCodecs } from '../relay/presets.js';
import type { Player } from '../ingest/ingest-server.js';
import { keyframeStart } from '../rtmp/index.js';
import type { Publisher, PublisherEnd } from '../ingest/publisher.js';
import { LiveParams } from '../fallback/live-params.js';
import type { RenditionParams } from '../fallback/params.js';
import { InputStats } from './input-stats.js';
import { FallbackSource, type FallbackFiles } from './fallback-source.js';
import { attachRtmpViewer } from './rtmp-viewer.js';

/** A destination as the engine needs it: with its whole stream key. */
export interface DestinationRecord {
  id: string;
  name: string;
  url: string;
  streamKey: string;
  enabled: boolean;
  /** The platform preset it was made from: decides the video codecs it accepts (none: any). */
  preset?: string | null;
}

/** Who reads the program as FLV: a preview viewer (counted in `previewViewers`) or the recorder. */
export type ProgramWatcher = 'preview' | 'recording';

/** Events of a channel runtime. */
export interface ChannelRuntimeEvents {
  /** The wanted source changed (continuity decided, or a manual action). */
  mode: [change: ModeChange];
  /** A source took the air at its keyframe. */
  switched: [from: SourceName | undefined, to: SourceName];
  /** An output changed state (`failed` and `retrying` carry the error in words). */
  output: [destinationId: string, name: string, state: OutputState, lastError: string | undefined];
}

/** What a channel runtime needs from the engine around it. */
export interface ChannelRuntimeOptions {
  channelId: string;
  logger: Logger;
  clock: Clock;
  /** Passed to every output (dialer, queue limits, backoff). */
  output: Omit<OutputOptions, 'feed' | 'logger' | 'clock'>;
  continuity: ContinuitySettings;
  fallback: FallbackFiles;
}

/**
 * One channel while the server runs: its program, its outputs (one per destination), the publisher
 * feeding it, its fallback, and the players watching it. Outputs live as long as the channel is on
 * air, not as long as a publisher: while the publisher is gone the fallback plays in its place.
 */
export class ChannelRuntime extends TypedEmitter<ChannelRuntimeEvents> {
  readonly program = new Program();
  readonly #switcher: Switcher;
  readonly #continuity: Continuity;
  readonly #fallback: FallbackSource;
  readonly #options: ChannelRuntimeOptions;
  readonly #log: Logger;
  readonly #outputs = new Map<string, { output: Output; record: DestinationRecord }>();
  #publisher: Publisher | undefined;
  #input: InputStats | undefined;
  #onAir = false;
  #modeSinceWall: string | null = null;
  readonly #viewers = new Set<FlvViewer>();

  constructor(options: ChannelRuntimeOptions) {
    super();
    this.#options = options;
    this.#log = options.logger.child({ channel: options.channelId });
    // A video-only live gets silence in the fallback's audio format, the one platforms already have.
    this.#switcher = new Switcher(this.program, options.clock, () => this.#fallback.params);
    this.#continuity = new Continuity(options.continuity, options.clock);
    this.#fallback = new FallbackSource({
      channelId: options.channelId,
      files: options.fallback,
      clock: options.clock,
      logger: this.#log,
      onPacket: (packet) => {
        this.#switcher.push('fallback', packet);
      },
    });
    this.#continuity.on('change', (change) => {
      this.#apply(change);
    });
    this.#switcher.on('clockJump', (source, jumpMs) => {
      this.#log.warn({ source, jumpMs }, 'source clock jumped; re-anchoring it at its next keyframe');
    });
    this.#switcher.on('reanchored', (source, waitedMs) => {
      this.#log.info({ source, waitedMs }, 'source re-anchored at its keyframe');
    });
    this.#switcher.on('pictureNeeded', () => {
      this.#log.info('live has audio only: the fallback lends it a picture');
      this.#startFallback();
    });
    this.#switcher.on('switch', (from, to) => {
      this.#log.info({ from, to, borrowedPicture: this.#switcher.borrowsPicture }, 'source on air');
      if (to === 'live' && !this.#switcher.borrowsPicture) this.#fallback.stop();
      this.safeEmit('switched', from, to);
    });
  }

  get onAir(): boolean {
    return this.#onAir;
  }

  /** Applies new continuity settings at once. */
  updateContinuity(settings: ContinuitySettings): void {
    this.#continuity.updateSettings(settings);
  }

  /** The parameters a fallback rendition must have for this channel. */
  get fallbackParams(): RenditionParams {
    return this.#fallback.params;
  }

  /** A manual action; returns why it cannot apply now, if it cannot. */
  action(action: ChannelAction): string | undefined {
    return this.#continuity.manual(action);
  }

  /** Applies the destination list: adds, updates and removes outputs without touching the others. */
  setDestinations(records: DestinationRecord[]): void {
    const wanted = new Map(records.map((record) => [record.id, record]));
    for (const [id, entry] of this.#outputs) {
      if (wanted.has(id)) continue;
      entry.output.stop(true);
      this.#outputs.delete(id);
    }
    for (const record of records) {
      const entry = this.#outputs.get(record.id);
      const config = {
        id: record.id,
        name: record.name,
        url: publishUrl(record.url, record.streamKey),
        target: publishTarget(record.url, record.streamKey),
        enabled: record.enabled,
        acceptsCodecs: acceptedCodecs(record.preset),
        acceptsAudioCodecs: acceptedAudioCodecs(record.preset),
      };
      if (entry) {
        entry.record = record;
        entry.output.update(config, this.#onAir);
        continue;
      }
      const output = new Output(config, {
        ...this.#options.output,
        feed: this.program,
        logger: this.#log,
        clock: this.#options.clock,
      });
      this.#outputs.set(record.id, { output, record });
      output.on('state', (state, lastError) => {
        const current = this.#outputs.get(record.id);
        this.safeEmit('output', record.id, current?.record.name ?? record.name, state, lastError);
      });
      if (this.#onAir || !record.enabled) output.start();
    }
  }

  /** A new publisher took this channel: it goes on air at its first keyframe. */
  attachPublisher(publisher: Publisher): void {
    this.#publisher = publisher;
    const input = new InputStats();
    this.#input = input;
    this.#switcher.resetSource('live');
    const learned = new LiveParams();
    publisher.setMediaSink((packet) => {
      input.observe(packet, this.#options.clock.now());
      const params = learned.observe(packet);
      if (params) this.#fallback.setParams(params);
      const result = this.#switcher.push('live', packet);
      if (packet.header) return;
      // Stall detection watches what reaches the program: a publisher that sends only what cannot be
      // used (a clock jump with no keyframe after it) stalls like one that sends nothing.
      this.#continuity.liveMedia(packet.payload.length, result !== 'unusable');
      // A stall's fallback is on air and live just came back with a keyframe: it takes the air here.
      if (result === 'standby' && this.#switcher.wanted === 'live') this.#switcher.push('live', packet);
    });
    publisher.on('end', (how, reason) => {
      this.#onPublisherEnd(publisher, how, reason);
    });
    this.#continuity.publisherStarted();
    // Already live (a takeover): the new publisher's first keyframe takes over from the old one.
    if (this.#continuity.state.mode === 'live') this.#switcher.select('live');
  }

  /** A player watches the program from the latest keyframe. */
  attachPlayer(player: Player): void {
    attachRtmpViewer(this.program, player);
  }

  /**
   * A reader gets the program as FLV bytes from the next keyframe (see FlvViewer); returns the
   * function to call when it goes away. Preview viewers are counted in `previewViewers`; the recorder
   * is not a viewer.
   */
  watchProgram(
    sink: ByteSink,
    onEnd?: (why: ProgramViewerEnd) => void,
    role: ProgramWatcher = 'preview',
  ): () => void {
    const viewer: FlvViewer = new FlvViewer(this.program, sink, {
      clock: this.#options.clock,
      keyframeStart,
      onClose: (why) => {
        this.#viewers.delete(viewer);
        onEnd?.(why);
      },
    });
    if (role === 'preview') this.#viewers.add(viewer);
    return () => {
      viewer.close();
    };
  }

  status(): ChannelLiveStatus {
    const state = this.#continuity.state;
    const wall = (t: number | null): string | null =>
      t === null ? null : new Date(Date.now() + (t - this.#options.clock.now())).toISOString();
    return {
      onAir: this.#onAir,
      source: this.#switcher.onAir ?? null,
      mode: state.mode,
      reason: this.#modeSinceWall === null ? null : state.reason,
      since: this.#modeSinceWall,
      fallbackEndsAt: state.mode === 'fallback' ? wall(state.endsAt) : null,
      fallbackKind: this.#fallback.kind ?? null,
      input: this.#publisher && !this.#publisher.ended && this.#input ? this.#input.snapshot() : null,
      outputs: [...this.#outputs.values()].map(({ output, record }) => ({
        id: record.id,
        name: record.name,
        ...output.snapshot(),
      })),
      previewViewers: this.#viewers.size,
    };
  }

  /** Stops everything for good (channel deleted, shutdown): ends the broadcast at every platform. */
  destroy(reason: string): void {
    this.#publisher?.kick(reason);
    this.#continuity.manual('end');
    this.#continuity.dispose();
    this.#fallback.stop();
    for (const { output } of this.#outputs.values()) output.stop(true);
    this.#outputs.clear();
  }

  #apply(change: ModeChange): void {
    this.#modeSinceWall = new Date().toISOString();
    this.#log.info({ mode: change.mode, reason: change.reason }, 'channel mode');
    switch (change.mode) {
      case 'live':
        this.#switcher.select('live');
        // Live never left the air (a stall that ended before the fallback's first keyframe).
        if (this.#switcher.onAir === 'live' && !this.#switcher.borrowsPicture) this.#fallback.stop();
        if (this.#switcher.needsPicture) this.#startFallback();
        this.#goOnAir();
        break;
      case 'fallback':
        // A fallback already playing (one reason replacing another, or lending live its picture) goes on.
        this.#startFallback();
        this.#switcher.select('fallback');
        break;
      case 'off':
        this.#goOffAir(change.reason);
        break;
    }
    this.safeEmit('mode', change);
  }

  #startFallback(): void {
    if (this.#fallback.playing) return;
    this.#switcher.resetSource('fallback');
    void this.#fallback.start();
  }

  #goOnAir(): void {
    if (this.#onAir) return;
    this.#onAir = true;
    for (const { output } of this.#outputs.values()) output.start();
  }

  /** Ends the broadcast on every platform (FCUnpublish/deleteStream) and forgets the timeline. */
  #goOffAir(reason: string): void {
    this.#fallback.stop();
    this.#switcher.select(undefined);
    if (!this.#onAir) return;
    this.#onAir = false;
    this.#log.info({ reason }, 'channel off air');
    for (const { output } of this.#outputs.values()) output.stop(true);
    this.program.reset();
  }

  #onPublisherEnd(publisher: Publisher, how: PublisherEnd, reason: string): void {
    if (this.#publisher !== publisher) return;
    this.#publisher = undefined;
    this.#log.info({ how, reason }, 'live source ended');
    if (how === 'replaced') return;
    this.#continuity.publisherEnded(how);
  }
}
