import type { MediaKind, MediaPacket } from '../media/packet.js';

/**
 * A packet on the program timeline, as every reader of the channel receives it: the same object for
 * all of them (RTMP writers memoise their encoded bytes against it, not on it).
 */
export interface ProgramPacket {
  readonly packet: MediaPacket;
}

/** A consumer of the program (an output, a preview player). */
export interface ProgramReader {
  /** Called for every program packet in order; must not throw and must not block. */
  onPacket(packet: ProgramPacket): void;
}

/** The state a new reader needs before its first frame. */
export interface ProgramHeaders {
  /** `onMetaData` payload (canonical form). */
  metadata?: MediaPacket;
  /** Video decoder configuration (sequence header). */
  video?: MediaPacket;
  /** Audio decoder configuration. */
  audio?: MediaPacket;
}

/**
 * The fan-out end of a channel: the current headers and the list of readers. It knows nothing of
 * sources; the Switcher feeds it packets already on the program timeline.
 */
export class Program {
  readonly #readers = new Set<ProgramReader>();
  /** Packets since the last video keyframe: a reader that connects starts there instead of waiting. */
  #gop: ProgramPacket[] = [];
  #gopBytes = 0;
  readonly #gopLimitBytes: number;
  readonly #headers: ProgramHeaders = {};
  readonly #lastDts: Record<MediaKind, number> = { audio: -Infinity, video: -Infinity, data: -Infinity };

  /** @param gopLimitBytes a GOP larger than this is not cached (its readers wait for the next keyframe). */
  constructor(gopLimitBytes = 16 * 1024 * 1024) {
    this.#gopLimitBytes = gopLimitBytes;
  }

  /** Adds a reader; returns the function that removes it. */
  subscribe(reader: ProgramReader): () => void {
    this.#readers.add(reader);
    return () => this.#readers.delete(reader);
  }

  get readerCount(): number {
    return this.#readers.size;
  }

  /** The current headers, for a reader that (re)connects. */
  headers(): Readonly<ProgramHeaders> {
    return this.#headers;
  }

  /** The packets from the latest video keyframe on (empty when none is cached). */
  recentGop(): readonly ProgramPacket[] {
    return this.#gop;
  }

  /** Last program dts of a track (-Infinity before any). */
  lastDts(kind: MediaKind): number {
    return this.#lastDts[kind];
  }

  /** The latest dts on any track. */
  get headDts(): number {
    return Math.max(this.#lastDts.audio, this.#lastDts.video, this.#lastDts.data);
  }

  /**
   * Sends a packet to every reader. A packet that would take its track backwards is dropped (docs/architecture.md
   * rule 1); returns whether it was sent.
   */
  write(packet: MediaPacket): boolean {
    if (packet.dts < this.#lastDts[packet.kind]) return false;
    this.#lastDts[packet.kind] = packet.dts;
    if (packet.header) this.#remember(packet);
    const programPacket: ProgramPacket = { packet };
    this.#cache(programPacket);
    for (const reader of this.#readers) reader.onPacket(programPacket);
    return true;
  }

  /** Forgets everything: the channel went off air and the next broadcast starts from scratch. */
  reset(): void {
    delete this.#headers.metadata;
    delete this.#headers.video;
    delete this.#headers.audio;
    this.#lastDts.audio = this.#lastDts.video = this.#lastDts.data = -Infinity;
    this.#gop = [];
    this.#gopBytes = 0;
  }

  #cache(item: ProgramPacket): void {
    const { packet } = item;
    if (packet.header) return;
    if (packet.kind === 'video' && packet.keyframe) {
      this.#gop = [];
      this.#gopBytes = 0;
    } else if (this.#gop.length === 0) {
      return;
    }
    this.#gopBytes += packet.payload.length;
    if (this.#gopBytes > this.#gopLimitBytes) {
      this.#gop = [];
      this.#gopBytes = 0;
      return;
    }
    this.#gop.push(item);
  }

  #remember(packet: MediaPacket): void {
    if (packet.kind === 'data') this.#headers.metadata = packet;
    else this.#headers[packet.kind] = packet;
  }
}
