import { readFile } from 'node:fs/promises';
import { systemClock, type Clock, type Timer } from '../shared/clock.js';
import { TypedEmitter } from '../shared/events.js';
import { readFlv } from '../media/flv-file.js';
import type { MediaPacket } from '../media/packet.js';
import { packetFromTag } from '../media/packet-from-tag.js';
import { inspectVideoTag } from '../media/video-tag.js';
import { FallbackError } from './errors.js';

/** What a LoopSource emits. */
export interface LoopSourceEvents {
  /** The next packet, on the source's own continuous timeline (ms, starting at 0). */
  packet: [packet: MediaPacket];
  /** Reserved for failures while playing (none can happen today: the rendition is in memory). */
  error: [error: Error];
}

/** Sequence headers and metadata of a rendition. */
export interface LoopHeaders {
  /** The AVC sequence header. */
  video?: MediaPacket;
  /** The AAC sequence header. */
  audio?: MediaPacket;
  /** onMetaData. */
  metadata?: MediaPacket;
}

/** How far behind the schedule the source may fall (process suspended, laptop asleep) before it re-anchors. */
const MAX_LAG_MS = 5000;
const DEFAULT_VIDEO_FRAME_MS = 33;
const DEFAULT_AUDIO_FRAME_MS = 21;

/**
 * Plays a conformed FLV rendition in a loop, paced in real time. Both tracks advance by one shared offset
 * per loop, so audio and video never drift apart (each track looping on its own is a bug MediaMTX
 * shipped). The schedule is absolute (anchor + dts), not a sum of sleeps, so it cannot drift over hours.
 * Emitted payloads are the same Buffers every loop: listeners must not modify them.
 */
export class LoopSource extends TypedEmitter<LoopSourceEvents> {
  /** Sequence headers of the rendition (for comparing with live's). */
  readonly headers: LoopHeaders;
  /** Length of one loop in ms: the offset added to both tracks each time round. */
  readonly loopDurationMs: number;
  /** One period of the endless timeline, in dts order (see `schedule`). */
  readonly #period: readonly Slot[];
  readonly #clock: Clock;
  #timer: Timer | undefined;
  #running = false;
  /** Bumped by start(): a listener that stops and restarts the source ends the tick it was called from. */
  #epoch = 0;
  /** Next packet: index into #period, and which period it is in. */
  #index = 0;
  #loop = 0;
  /** The timeline dts `#anchorDts` is due at clock time `#anchorAt`. */
  #anchorAt = 0;
  #anchorDts = 0;

  private constructor(headers: LoopHeaders, media: MediaPacket[], clock: Clock) {
    super();
    this.headers = headers;
    this.loopDurationMs = loopLength(media);
    this.#period = schedule(media, this.loopDurationMs);
    this.#clock = clock;
    this.#skipPrevious();
  }

  /** Reads the FLV rendition file once (readFlv), classifies tags with packetFromTag; the first emitted packets are its metadata + sequence headers (header=true), then media from the first keyframe. */
  static async open(file: string, clock: Clock = systemClock): Promise<LoopSource> {
    let buf: Buffer;
    try {
      buf = await readFile(file);
    } catch (err) {
      throw new FallbackError('NOT_FOUND', `cannot read fallback rendition ${file}`, { cause: err });
    }
    return LoopSource.fromBuffer(buf, clock);
  }

  /** As {@link LoopSource.open}, from FLV bytes already in memory. */
  static fromBuffer(buf: Buffer, clock: Clock = systemClock): LoopSource {
    let tags;
    try {
      tags = readFlv(buf).tags;
    } catch (err) {
      throw new FallbackError('NOT_MEDIA', 'the fallback rendition is not an FLV file', { cause: err });
    }
    const headers: LoopHeaders = {};
    const candidates: MediaPacket[] = [];
    let keyframe: MediaPacket | undefined;
    for (const tag of tags) {
      const p = packetFromTag(tag.kind, tag.timestamp, tag.payload);
      if (p.header) {
        // Only the first of each: a rendition has one configuration, and headers go out once.
        if (p.kind === 'video') headers.video ??= p;
        else if (p.kind === 'audio') headers.audio ??= p;
        else headers.metadata ??= p;
        continue;
      }
      if (p.kind === 'data') continue; // cue points and the like: nothing a platform needs
      // ffmpeg ends an FLV with an AVC end-of-sequence tag; sent mid-stream it would stop a platform's decoder.
      if (p.sequenceEnd) continue;
      if (p.kind === 'video' && p.keyframe) keyframe ??= p;
      if (p.kind === 'video' && keyframe === undefined) continue; // undecodable without its keyframe
      candidates.push(p);
    }
    if (keyframe === undefined)
      throw new FallbackError('NO_VIDEO', 'the fallback rendition has no video keyframe');
    const first = keyframe;
    // Audio written before the keyframe but timed at or after it belongs to the loop; the keyframe goes first.
    const media = candidates
      .filter((p) => p.dts >= first.dts)
      .map((p, i) => ({ p, order: p === first ? -1 : i }))
      .sort((a, b) => a.p.dts - b.p.dts || a.order - b.order)
      .map(({ p }) => ({ ...p, dts: p.dts - first.dts }));
    return new LoopSource(headers, media, clock);
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
    if (this.#running) return;
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

  /** Still running, and not restarted since `epoch` (listeners can do either while we emit). */
  #isCurrent(epoch: number): boolean {
    return this.#running && this.#epoch === epoch;
  }

  #nextDts(): number {
    return this.#loop * this.loopDurationMs + (this.#period[this.#index]?.dts ?? 0);
  }

  /** Moves to the next slot; in the first period, past the slots that belong to a loop before the first. */
  #advance(): void {
    this.#index++;
    if (this.#index === this.#period.length) {
      this.#index = 0;
      this.#loop++;
    }
    this.#skipPrevious();
  }

  #skipPrevious(): void {
    while (this.#loop === 0 && this.#period[this.#index]?.previous === true) this.#index++;
  }

  /** Emits everything due (catching up after a late timer), then sleeps until the next packet is due. */
  #tick(): void {
    this.#timer = undefined;
    const epoch = this.#epoch;
    const now = this.#clock.now();
    let dts = this.#nextDts();
    if (now - (this.#anchorAt + dts - this.#anchorDts) > MAX_LAG_MS) {
      // A backlog this large is a suspended process, not event-loop jitter: bursting it out would flood
      // every platform. Keep the timeline continuous and pace from now instead.
      this.#anchorAt = now;
      this.#anchorDts = dts;
    }
    while (this.#isCurrent(epoch) && this.#anchorAt + dts - this.#anchorDts <= now) {
      const p = this.#period[this.#index]?.packet;
      if (p === undefined) break; // cannot happen: open() guarantees a keyframe
      this.#advance();
      this.safeEmit('packet', { kind: p.kind, dts, payload: p.payload, keyframe: p.keyframe, header: false });
      dts = this.#nextDts();
    }
    if (!this.#isCurrent(epoch)) return; // a listener stopped (or restarted) the source
    const waitMs = Math.max(1, Math.ceil(this.#anchorAt + dts - this.#anchorDts - now));
    this.#timer = this.#clock.setTimeout(() => {
      this.#tick();
    }, waitMs);
    this.#timer.unref?.();
  }
}

/** One packet's place in a period: its dts within the period, and whether it is the previous loop's. */
interface Slot {
  dts: number;
  packet: MediaPacket;
  previous: boolean;
}

/**
 * The timeline is the loop repeated every L ms; a loop's dts can run past L (B-frames keep video dts
 * behind pts, so audio dts go further), so loop n+1 starts while loop n's last audio is still to come.
 * Emitting loop by loop would hold loop n+1's keyframe back behind that audio; instead one period
 * [0, L) of the endless timeline is precomputed in dts order: this loop's packets below L and the
 * previous loop's at or above L. Playing it over and over, at no cost per loop, is the timeline.
 */
function schedule(media: readonly MediaPacket[], loopMs: number): Slot[] {
  return media
    .map((packet, order) => {
      const previous = packet.dts >= loopMs;
      return { dts: previous ? packet.dts - loopMs : packet.dts, packet, previous, order };
    })
    .sort((a, b) => a.dts - b.dts || Number(b.previous) - Number(a.previous) || a.order - b.order)
    .map(({ dts, packet, previous }) => ({ dts, packet, previous }));
}

/**
 * One loop's length: the longer of the two tracks' presentation spans, each measured from its own first
 * packet to its last packet's end (last + typical packet duration). Video is measured in presentation
 * time (dts + composition offset), because B-frames delay its first pts by a frame or two while AAC's
 * pts is its dts: comparing raw dts would make every loop leave a gap of that delay in both tracks.
 * Being >= each span, the next loop never overlaps either track, so each stays monotonic.
 */
function loopLength(media: readonly MediaPacket[]): number {
  let vStart = Infinity;
  let vEnd = -Infinity;
  let aStart = Infinity;
  let aEnd = -Infinity;
  const videoDts: number[] = [];
  const audioDts: number[] = [];
  for (const p of media) {
    if (p.kind === 'video') {
      const pts = p.dts + compositionTime(p.payload);
      vStart = Math.min(vStart, pts);
      vEnd = Math.max(vEnd, pts);
      videoDts.push(p.dts);
    } else if (p.kind === 'audio') {
      aStart = Math.min(aStart, p.dts);
      aEnd = Math.max(aEnd, p.dts);
      audioDts.push(p.dts);
    }
  }
  const videoSpan = vEnd - vStart + typicalStep(videoDts, DEFAULT_VIDEO_FRAME_MS);
  const audioSpan = audioDts.length > 0 ? aEnd - aStart + typicalStep(audioDts, DEFAULT_AUDIO_FRAME_MS) : 0;
  // A period holds at most two loops' packets: a track running more than a loop past the other (never in
  // a conformed file) lengthens the loop rather than break that.
  const lastDts = Math.max(videoDts.at(-1) ?? 0, audioDts.at(-1) ?? 0);
  return Math.max(1, videoSpan, audioSpan, Math.floor(lastDts / 2) + 1);
}

function compositionTime(payload: Buffer): number {
  try {
    return inspectVideoTag(payload).compositionTimeMs;
  } catch {
    return 0;
  }
}

/** The median step between consecutive timestamps (robust to the odd jittered or missing frame). */
function typicalStep(dts: readonly number[], fallback: number): number {
  const steps: number[] = [];
  for (let i = 1; i < dts.length; i++) {
    const step = (dts[i] ?? 0) - (dts[i - 1] ?? 0);
    if (step > 0) steps.push(step);
  }
  if (steps.length === 0) return fallback;
  steps.sort((a, b) => a - b);
  return steps[Math.floor(steps.length / 2)] ?? fallback;
}
