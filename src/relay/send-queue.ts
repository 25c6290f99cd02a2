import type { MediaPacket } from '../media/packet.js';

/** One queued message: its program packet and the bytes to write. */
export interface QueuedMessage {
  packet: MediaPacket;
  bytes: Buffer;
}

/**
 * The byte-bounded queue of one output, used while its socket is congested. When full it drops every
 * queued frame (whole GOPs; the caller then waits for the next keyframe) but keeps headers, which the
 * platform needs to decode whatever comes next (docs/architecture.md rule 5; nginx-rtmp and SRS do the same).
 */
export class SendQueue {
  readonly #limitBytes: number;
  #items: QueuedMessage[] = [];
  #head = 0;
  #bytes = 0;

  constructor(limitBytes: number) {
    this.#limitBytes = limitBytes;
  }

  get bytes(): number {
    return this.#bytes;
  }

  get length(): number {
    return this.#items.length - this.#head;
  }

  /** True when adding `size` more bytes would go over the limit. */
  wouldOverflow(size: number): boolean {
    return this.#bytes + size > this.#limitBytes;
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
