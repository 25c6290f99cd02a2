import type { Clock, Timer } from '../shared/clock.js';
import type { Logger } from '../shared/logger.js';
import { Program, type ProgramPacket } from '../channel/program.js';
import { Switcher } from '../channel/switcher.js';
import { Output, type OutputOptions } from '../relay/output.js';
import type { OutputStatsSnapshot } from '../relay/output-stats.js';
import { publishUrl } from '../relay/publish-url.js';
import type { Player } from '../ingest/ingest-server.js';
import type { Publisher, PublisherEnd } from '../ingest/publisher.js';
import { InputStats, type InputSnapshot } from './input-stats.js';

/** A destination as the engine needs it: with its whole stream key. */
export interface DestinationRecord {
  id: string;
  name: string;
  url: string;
  streamKey: string;
  enabled: boolean;
}

/** The live status of one channel. */
export interface ChannelLiveStatus {
  onAir: boolean;
  input: InputSnapshot | null;
  outputs: (OutputStatsSnapshot & { id: string; name: string })[];
}

/** What a channel runtime needs from the engine around it. */
export interface ChannelRuntimeOptions {
  channelId: string;
  logger: Logger;
  clock: Clock;
  /** Passed to every output (dialer, queue limits, backoff). */
  output: Omit<OutputOptions, 'feed' | 'logger' | 'clock'>;
  /** How long outputs stay open after the publisher dropped, waiting for it to return. */
  dropGraceMs: number;
}

/**
 * One channel while the server runs: its program, its outputs (one per destination), the publisher
 * feeding it, and the players watching it. Outputs live as long as the channel is on air, not as long
 * as a publisher: a publisher that drops and returns within the grace period never disturbs them.
 */
export class ChannelRuntime {
  readonly program = new Program();
  readonly #switcher: Switcher;
  readonly #options: ChannelRuntimeOptions;
  readonly #log: Logger;
  readonly #outputs = new Map<string, { output: Output; record: DestinationRecord }>();
  #publisher: Publisher | undefined;
  #input: InputStats | undefined;
  #onAir = false;
  #endTimer: Timer | undefined;

  constructor(options: ChannelRuntimeOptions) {
    this.#options = options;
    this.#log = options.logger.child({ channel: options.channelId });
    this.#switcher = new Switcher(this.program, options.clock);
  }

  get onAir(): boolean {
    return this.#onAir;
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
      const config = { id: record.id, name: record.name, url: publishUrl(record.url, record.streamKey), enabled: record.enabled };
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
      if (this.#onAir || !record.enabled) output.start();
    }
  }

  /** A new publisher took this channel: it goes on air at its first keyframe. */
  attachPublisher(publisher: Publisher): void {
    this.#publisher = publisher;
    const input = new InputStats();
    this.#input = input;
    this.#clearEndTimer();
    this.#switcher.resetSource('live');
    this.#switcher.select('live');
    publisher.on('media', (packet) => {
      input.observe(packet, this.#options.clock.now());
      this.#switcher.push('live', packet);
    });
    publisher.on('end', (how, reason) => {
      this.#onPublisherEnd(publisher, how, reason);
    });
    this.#goOnAir();
  }

  /** A player watches the program from its next keyframe. */
  attachPlayer(player: Player): void {
    let gateOpen = false;
    const reader = {
      onPacket: ({ packet }: ProgramPacket) => {
        if (!gateOpen) {
          if (packet.kind !== 'video' || !packet.keyframe || packet.header) return;
          const headers = this.program.headers();
          for (const header of [headers.metadata, headers.video, headers.audio]) {
            if (header) player.send({ ...header, dts: packet.dts });
          }
          gateOpen = true;
        }
        // A player that cannot keep up skips to the next keyframe rather than buffering without bound.
        if (player.congested && !packet.header) {
          gateOpen = false;
          return;
        }
        player.send(packet);
      },
    };
    for (const packet of this.program.recentGop()) reader.onPacket(packet);
    player.onClose(this.program.subscribe(reader));
  }

  status(): ChannelLiveStatus {
    return {
      onAir: this.#onAir,
      input: this.#publisher && !this.#publisher.ended && this.#input ? this.#input.snapshot() : null,
      outputs: [...this.#outputs.values()].map(({ output, record }) => ({
        id: record.id,
        name: record.name,
        ...output.snapshot(),
      })),
    };
  }

  /** Ends the broadcast on every platform (FCUnpublish/deleteStream) and goes off air. */
  end(reason: string): void {
    this.#clearEndTimer();
    if (this.#onAir) this.#log.info({ reason }, 'channel off air');
    this.#onAir = false;
    this.#switcher.select(undefined);
    for (const { output } of this.#outputs.values()) output.stop(true);
    this.program.reset();
  }

  /** Stops everything for good (channel deleted, shutdown). */
  destroy(reason: string): void {
    this.#publisher?.kick(reason);
    this.end(reason);
    this.#outputs.clear();
  }

  #goOnAir(): void {
    if (this.#onAir) return;
    this.#onAir = true;
    this.#log.info('channel on air');
    for (const { output } of this.#outputs.values()) output.start();
  }

  #onPublisherEnd(publisher: Publisher, how: PublisherEnd, reason: string): void {
    if (this.#publisher !== publisher) return;
    this.#publisher = undefined;
    this.#log.info({ how, reason }, 'live source ended');
    if (how === 'replaced') return;
    if (how === 'clean') {
      this.end('the streamer stopped streaming');
      return;
    }
    // A drop: keep every platform connection open for the publisher to come back.
    this.#clearEndTimer();
    this.#endTimer = this.#options.clock.setTimeout(() => {
      this.end('the publisher did not return in time');
    }, this.#options.dropGraceMs);
  }

  #clearEndTimer(): void {
    if (this.#endTimer !== undefined) this.#options.clock.clearTimeout(this.#endTimer);
    this.#endTimer = undefined;
  }
}
