import type { MediaPacket } from '../media/packet.js';

/** One queued message: its program packet and the bytes to write. */
export interface QueuedMessage {
  packet: MediaPacket;
  bytes: Buffer;
}

/** How much a queue may hold. */
export interface SendQueueLimits {
  /** Hard cap in bytes, whatever the bitrate (memory per output stays bounded). */
  maxBytes: number;
  /**
   * Stream time it may hold (newest frame's dts minus the oldest queued frame's), so that the bound is
   * a few seconds at any bitrate: 4 MiB were 0.6 s at the 51 Mbps YouTube allows.
   */
  maxDurationMs: number;
}

/**
 * The queue of one output, used while its socket is congested, bounded by duration under a hard byte
 * cap (SRS bounds its consumer queues by duration too). When full it drops every queued frame (whole
 * GOPs; the caller then waits for the next keyframe) but keeps headers, which the platform needs to
 * decode whatever comes next (docs/architecture.md rule 5; nginx-rtmp and SRS do the same).
 */
export class SendQueue {
  readonly #limits: SendQueueLimits;
  #items: QueuedMessage[] = [];
  #head = 0;
  #bytes = 0;

  constructor(limits: SendQueueLimits) {
    this.#limits = limits;
  }

  get bytes(): number {
    return this.#bytes;
  }

  get length(): number {
    return this.#items.length - this.#head;
  }

  /** True when adding a frame of `size` bytes at `dts` would go over either limit. */
  wouldOverflow(size: number, dts: number): boolean {
    if (this.#bytes + size > this.#limits.maxBytes) return true;
    const oldest = this.#oldestFrameDts();
    return oldest !== undefined && dts - oldest > this.#limits.maxDurationMs;
  }

  /** The dts of the first queued audio/video frame (headers are few, and come first when at all). */
  #oldestFrameDts(): number | undefined {
    for (let i = this.#head; i < this.#items.length; i++) {
      const packet = this.#items[i]?.packet;
      if (packet && !packet.header && packet.kind !== 'data') return packet.dts;
    }
    return undefined;
  }

  push(item: QueuedMessage): void {
    this.#items.push(item);
    this.#bytes += item.bytes.length;
  }

  shift(): QueuedMessage | undefined {
    if (this.#head >= this.#items.length) return undefined;
    const item = this.#items[this.#head];
    this.#items[this.#head] = undefined as unknown as QueuedMessage;
    this.#head++;
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    if (item) this.#bytes -= item.bytes.length;
    return item;
  }

  /** Drops every queued audio/video frame, keeps headers; returns how many frames were dropped. */
  dropFrames(): number {
    const kept: QueuedMessage[] = [];
    let dropped = 0;
    for (let i = this.#head; i < this.#items.length; i++) {
      const item = this.#items[i];
      if (!item) continue;
      if (item.packet.header) kept.push(item);
      else if (item.packet.kind !== 'data') dropped++;
    }
    this.#items = kept;
    this.#head = 0;
    this.#bytes = kept.reduce((sum, item) => sum + item.bytes.length, 0);
    return dropped;
  }

  clear(): void {
    this.#items = [];
    this.#head = 0;
    this.#bytes = 0;
  }
}
