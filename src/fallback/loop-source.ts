import { open, type FileHandle } from 'node:fs/promises';
import { errorMessage } from '../shared/errors.js';
import { systemClock, type Clock, type Timer } from '../shared/clock.js';
import { TypedEmitter } from '../shared/events.js';
import type { MediaPacket } from '../media/packet.js';
import { FallbackError } from './errors.js';
import { fileStamp, indexFlvBuffer, indexFlvFile, type FlvIndex, type LoopHeaders } from './flv-index.js';

export type { LoopHeaders } from './flv-index.js';

/** What a LoopSource emits. */
export interface LoopSourceEvents {
  /** The next packet, on the source's own continuous timeline (ms, starting at 0). */
  packet: [packet: MediaPacket];
  /** The rendition could not be read while playing (a disk error); the source stops. */
  error: [error: Error];
}

/** How far behind the schedule the source may fall (process suspended, laptop asleep) before it re-anchors. */
const MAX_LAG_MS = 5000;
/** Payload bytes read ahead of the schedule: a couple of seconds at a platform's top bitrate. */
const READ_AHEAD_BYTES = 2 * 1024 * 1024;
/**
 * Packets read ahead at most: a few seconds at 60 fps plus audio. A slate's frames are tiny, and bytes
 * alone would queue many loops of them at every start.
 */
const READ_AHEAD_PACKETS = 600;
/** Bytes read from disk at once; payloads are cut from these chunks. */
const READ_CHUNK_BYTES = 256 * 1024;
/** Indexes kept for the renditions played last, so a fallback start does not rescan its file. */
const INDEX_CACHE_SIZE = 4;
const indexCache = new Map<string, Promise<FlvIndex>>();

/** The index of `file` (stamped by {@link fileStamp}), built once and kept for the last few files. */
function cachedIndex(file: string, stamp: string): Promise<FlvIndex> {
  let index = indexCache.get(stamp);
  if (index === undefined) {
    index = indexFlvFile(file);
    indexCache.set(stamp, index);
    index.catch(() => indexCache.delete(stamp));
    while (indexCache.size > INDEX_CACHE_SIZE) indexCache.delete(indexCache.keys().next().value ?? '');
  }
  return index;
}

/**
 * Indexes a rendition ahead of its first play (when it has just been made), so that the fallback start
 * after a drop does not read the file first. Failures are left for open() to report.
 */
export async function preloadRendition(file: string): Promise<void> {
  try {
    await cachedIndex(file, await fileStamp(file));
  } catch {
    // open() says what is wrong, when the file is played
  }
}

/** Where payloads come from: FLV bytes in memory (tests, small files), or a file read as due. */
type Payloads = { kind: 'memory'; payloads: readonly Buffer[] } | { kind: 'file'; handle: FileHandle };

/**
 * Plays a conformed FLV rendition in a loop, paced in real time, reading it from disk as it comes due:
 * memory stays at the index plus about {@link READ_AHEAD_BYTES}, whatever the file's length. Both tracks
 * advance by one shared offset per loop, so audio and video never drift apart (each track looping on its
 * own is a bug MediaMTX shipped). The schedule is absolute (anchor + dts), not a sum of sleeps, so it
 * cannot drift over hours. Listeners must not modify emitted payloads.
 */
export class LoopSource extends TypedEmitter<LoopSourceEvents> {
  /** Sequence headers of the rendition (for comparing with live's). */
  readonly headers: LoopHeaders;
  /** Length of one loop in ms: the offset added to both tracks each time round. */
  readonly loopDurationMs: number;
  readonly #index: FlvIndex;
  readonly #source: Payloads;
  readonly #clock: Clock;
  #timer: Timer | undefined;
  #running = false;
  #closed = false;
  /** Bumped by start(): a listener that stops and restarts the source ends the tick it was called from. */
  #epoch = 0;
  /** Next packet to play: slot index into the period, and which period it is in. */
  #slot = 0;
  #loop = 0;
  /** Next packet to read (ahead of #slot), and the payloads read for the slots between. */
  #readSlot = 0;
  #readLoop = 0;
  readonly #ready: Buffer[] = [];
  #readyBytes = 0;
  #filling = false;
  /** The tick found nothing read yet: the reader resumes it. */
  #starved = false;
  #chunk: { start: number; bytes: Buffer } | undefined;
  /** The timeline dts `#anchorDts` is due at clock time `#anchorAt`. */
  #anchorAt = 0;
  #anchorDts = 0;

  private constructor(index: FlvIndex, source: Payloads, clock: Clock) {
    super();
    this.#index = index;
    this.headers = index.headers;
    this.loopDurationMs = index.loopDurationMs;
    this.#source = source;
    this.#clock = clock;
    this.#skipPrevious();
    this.#readSlot = this.#slot;
  }

  /**
   * Opens a rendition file: its index (cached per file, size and mtime), then the first payloads, so that
   * start() emits at once. The first emitted packets are its metadata + sequence headers (header=true),
   * then media from the first keyframe. close() releases the file.
   */
  static async open(file: string, clock: Clock = systemClock): Promise<LoopSource> {
    let stamp: string;
    try {
      stamp = await fileStamp(file);
    } catch (err) {
      throw new FallbackError('NOT_FOUND', `cannot read fallback rendition ${file}`, { cause: err });
    }
    const ready = await cachedIndex(file, stamp);
    let handle: FileHandle;
    try {
      handle = await open(file, 'r');
    } catch (err) {
      throw new FallbackError('NOT_FOUND', `cannot read fallback rendition ${file}`, { cause: err });
    }
    const source = new LoopSource(ready, { kind: 'file', handle }, clock);
    await source.#fill();
    return source;
  }

  /** As {@link LoopSource.open}, from FLV bytes already in memory. */
  static fromBuffer(buf: Buffer, clock: Clock = systemClock): LoopSource {
    const index = indexFlvBuffer(buf);
    const payloads = Array.from(index.offset, (offset, i) =>
      buf.subarray(offset, offset + (index.size[i] ?? 0)),
    );
    return new LoopSource(index, { kind: 'memory', payloads }, clock);
  }

  /** Whether the source is emitting. */
  get running(): boolean {
    return this.#running;
  }

  /**
   * Begins emitting in real time from now: headers first, then a packet with dts D at now + (D - next dts).
   * After stop(), resumes where it stopped, with the headers again and the timeline continuing.
   */
  start(): void {
    if (this.#running || this.#closed) return;
    this.#running = true;
    const epoch = ++this.#epoch;
    this.#anchorAt = this.#clock.now();
    this.#anchorDts = this.#nextDts();
    for (const header of [this.headers.metadata, this.headers.video, this.headers.audio]) {
      if (header === undefined || !this.#isCurrent(epoch)) continue;
      this.safeEmit('packet', { ...header, dts: this.#anchorDts });
    }
    if (this.#isCurrent(epoch)) this.#tick(); // unless a listener stopped or restarted it
  }

  /** Stops emitting; nothing else is emitted until start(). */
  stop(): void {
    this.#running = false;
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Stops for good and releases the file. */
  close(): void {
    this.stop();
    this.#closed = true;
    this.#ready.length = 0;
    this.#chunk = undefined;
    if (this.#source.kind === 'file') void this.#source.handle.close().catch(() => undefined);
  }

  /** Read through a method: close() may run while a read is awaited. */
  #isClosed(): boolean {
    return this.#closed;
  }

  /** Still running, and not restarted since `epoch` (listeners can do either while we emit). */
  #isCurrent(epoch: number): boolean {
    return this.#running && this.#epoch === epoch;
  }

  #nextDts(): number {
    return this.#loop * this.loopDurationMs + (this.#index.slotDts[this.#slot] ?? 0);
  }

  /** In the first period, the slots that belong to a loop before the first are not played. */
  #skipPrevious(): void {
    while (this.#loop === 0 && this.#index.slotPrevious[this.#slot] === 1) this.#slot++;
  }

  /** Emits everything due and read (catching up after a late timer), then sleeps until the next is due. */
  #tick(): void {
    this.#timer = undefined;
    this.#starved = false;
    const epoch = this.#epoch;
    const now = this.#clock.now();
    let dts = this.#nextDts();
    if (now - (this.#anchorAt + dts - this.#anchorDts) > MAX_LAG_MS) {
      // A backlog this large is a suspended process (or a stalled disk), not event-loop jitter: bursting
      // it out would flood every platform. Keep the timeline continuous and pace from now instead.
      this.#anchorAt = now;
      this.#anchorDts = dts;
    }
    while (this.#isCurrent(epoch) && this.#anchorAt + dts - this.#anchorDts <= now) {
      if (this.#source.kind === 'memory') this.#fillFromMemory();
      const payload = this.#ready.shift();
      if (payload === undefined) {
        this.#starved = true; // the reader calls back when it has more
        void this.#fill();
        return;
      }
      this.#readyBytes -= payload.length;
      const entry = this.#index.slotEntry[this.#slot] ?? 0;
      this.#slot++;
      if (this.#slot === this.#index.slotDts.length) {
        this.#slot = 0;
        this.#loop++;
      }
      this.#skipPrevious();
      const video = this.#index.video[entry] === 1;
      const keyframe = this.#index.keyframe[entry] === 1;
      this.safeEmit('packet', { kind: video ? 'video' : 'audio', dts, payload, keyframe, header: false });
      dts = this.#nextDts();
    }
    if (this.#source.kind === 'file') void this.#fill();
    if (!this.#isCurrent(epoch)) return; // a listener stopped (or restarted) the source
    const waitMs = Math.max(1, Math.ceil(this.#anchorAt + dts - this.#anchorDts - now));
    this.#timer = this.#clock.setTimeout(() => {
      this.#tick();
    }, waitMs);
    this.#timer.unref?.();
  }

  /** The entry of the next slot to read, advancing the read position. */
  #nextToRead(): number {
    const entry = this.#index.slotEntry[this.#readSlot] ?? 0;
    this.#readSlot++;
    if (this.#readSlot === this.#index.slotDts.length) {
      this.#readSlot = 0;
      this.#readLoop++;
    }
    while (this.#readLoop === 0 && this.#index.slotPrevious[this.#readSlot] === 1) this.#readSlot++;
    return entry;
  }

  #fillFromMemory(): void {
    if (this.#source.kind !== 'memory' || this.#ready.length > 0) return;
    const payload = this.#source.payloads[this.#nextToRead()];
    if (payload !== undefined) this.#ready.push(payload);
  }

  /** Reads ahead of the schedule up to READ_AHEAD_BYTES, in chunks; resumes a starved tick. */
  async #fill(): Promise<void> {
    if (this.#source.kind !== 'file' || this.#filling || this.#closed) return;
    const { handle } = this.#source;
    this.#filling = true;
    try {
      const wanted = (): boolean =>
        this.#ready.length === 0 ||
        (this.#readyBytes < READ_AHEAD_BYTES && this.#ready.length < READ_AHEAD_PACKETS);
      while (!this.#isClosed() && wanted()) {
        const entry = this.#nextToRead();
        const offset = this.#index.offset[entry] ?? 0;
        const size = this.#index.size[entry] ?? 0;
        let chunk = this.#chunk;
        if (chunk === undefined || offset < chunk.start || offset + size > chunk.start + chunk.bytes.length) {
          const bytes = Buffer.allocUnsafe(Math.max(size, READ_CHUNK_BYTES));
          const { bytesRead } = await handle.read(bytes, 0, bytes.length, offset);
          if (bytesRead < size) throw new FallbackError('NOT_MEDIA', 'the fallback rendition ends early');
          chunk = { start: offset, bytes: bytes.subarray(0, bytesRead) };
          this.#chunk = chunk;
        }
        const payload = chunk.bytes.subarray(offset - chunk.start, offset - chunk.start + size);
        this.#ready.push(payload);
        this.#readyBytes += size;
        if (this.#starved && this.#running) this.#tick();
      }
    } catch (err) {
      if (this.#isClosed()) return;
      this.stop();
      this.safeEmit('error', new Error(`fallback rendition unreadable: ${errorMessage(err)}`));
    } finally {
      this.#filling = false;
    }
  }
}
