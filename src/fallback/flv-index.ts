/**
 * The index of a rendition FLV: where each media tag is, when it plays, and the loop schedule, without
 * its payloads (a few MB for a 600 s clip, where the file is hundreds). A LoopSource reads payloads from
 * disk as they come due. Tag layout: see media/flv-file.ts.
 */
import { open, stat } from 'node:fs/promises';
import { readFlv } from '../media/flv-file.js';
import type { MediaKind, MediaPacket } from '../media/packet.js';
import { packetFromTag } from '../media/packet-from-tag.js';
import { inspectVideoTag } from '../media/video-tag.js';
import { FallbackError } from './errors.js';

/** Sequence headers and metadata of a rendition. */
export interface LoopHeaders {
  /** The video sequence header. */
  video?: MediaPacket;
  /** The AAC sequence header. */
  audio?: MediaPacket;
  /** onMetaData. */
  metadata?: MediaPacket;
}

/** A rendition's media tags (from its first keyframe, dts relative to it, in dts order) and loop schedule. */
export interface FlvIndex {
  readonly headers: LoopHeaders;
  /** Per media entry: byte offset of the payload in the file, its size, dts, 1 = video, 1 = keyframe. */
  readonly offset: Float64Array;
  readonly size: Uint32Array;
  readonly dts: Float64Array;
  readonly video: Uint8Array;
  readonly keyframe: Uint8Array;
  /** Length of one loop in ms. */
  readonly loopDurationMs: number;
  /** One period of the endless timeline in dts order: dts within the period, entry, previous loop's. */
  readonly slotDts: Float64Array;
  readonly slotEntry: Uint32Array;
  readonly slotPrevious: Uint8Array;
}

const HEADER_SIZE = 9;
const TAG_HEADER_SIZE = 11;
/** Enough of a payload to classify it (legacy or E-RTMP header, FourCC, composition time). */
const HEAD_BYTES = 64;
const SCAN_CHUNK_BYTES = 1024 * 1024;
const DEFAULT_VIDEO_FRAME_MS = 33;
const DEFAULT_AUDIO_FRAME_MS = 21;
const KIND_OF_TYPE: Partial<Record<number, MediaKind>> = { 8: 'audio', 9: 'video', 18: 'data' };

/** Indexes FLV bytes already in memory. */
export function indexFlvBuffer(buf: Buffer): FlvIndex {
  const builder = new IndexBuilder();
  let tags;
  try {
    tags = readFlv(buf).tags;
  } catch (err) {
    throw new FallbackError('NOT_MEDIA', 'the fallback rendition is not an FLV file', { cause: err });
  }
  for (const tag of tags) {
    builder.add(packetFromTag(tag.kind, tag.timestamp, tag.payload), tag.payload.byteOffset - buf.byteOffset);
  }
  return builder.finish();
}

/** Indexes an FLV file by reading it once in 1 MiB chunks, keeping only the tag headers. */
export async function indexFlvFile(file: string): Promise<FlvIndex> {
  let handle;
  try {
    handle = await open(file, 'r');
  } catch (err) {
    throw new FallbackError('NOT_FOUND', `cannot read fallback rendition ${file}`, { cause: err });
  }
  try {
    const fileSize = (await handle.stat()).size;
    let window = Buffer.alloc(0);
    let windowStart = 0;
    /** The bytes [pos, pos + n) (fewer at the end of the file). */
    const bytes = async (pos: number, n: number): Promise<Buffer> => {
      if (pos < windowStart || pos + n > windowStart + window.length) {
        const length = Math.min(Math.max(n, SCAN_CHUNK_BYTES), fileSize - pos);
        window = Buffer.alloc(Math.max(0, length));
        const { bytesRead } = await handle.read(window, 0, window.length, pos);
        window = window.subarray(0, bytesRead);
        windowStart = pos;
      }
      return window.subarray(pos - windowStart, Math.min(pos - windowStart + n, window.length));
    };
    const head = await bytes(0, HEADER_SIZE);
    if (head.length < HEADER_SIZE || head.toString('latin1', 0, 3) !== 'FLV') {
      throw new FallbackError('NOT_MEDIA', 'the fallback rendition is not an FLV file');
    }
    const builder = new IndexBuilder();
    let pos = head.readUInt32BE(5) + 4; // DataOffset, then PreviousTagSize0
    while (pos + TAG_HEADER_SIZE <= fileSize) {
      const th = await bytes(pos, TAG_HEADER_SIZE);
      const type = th.readUInt8(0) & 0x1f;
      const filtered = (th.readUInt8(0) & 0x20) !== 0;
      const size = th.readUIntBE(1, 3);
      const timestamp = (th.readUInt8(7) * 0x1000000 + th.readUIntBE(4, 3)) >>> 0;
      const start = pos + TAG_HEADER_SIZE;
      if (start + size > fileSize) break; // a truncated last tag
      const kind = KIND_OF_TYPE[type];
      if (kind !== undefined && !filtered) {
        let packet = packetFromTag(
          kind,
          timestamp,
          Buffer.from(await bytes(start, Math.min(size, HEAD_BYTES))),
        );
        // Headers are kept whole (they are small and sent on every start); media only by position.
        if (packet.header) packet = { ...packet, payload: Buffer.from(await bytes(start, size)) };
        builder.add(packet, start, size);
      }
      pos = start + size + 4;
    }
    return builder.finish();
  } finally {
    await handle.close();
  }
}

/**
 * A cache key for a file's index: its path, inode and size. Renditions are never rewritten in place (a
 * new one is renamed over the name: a new inode), and their mtime is touched on use, so it cannot be part
 * of the key.
 */
export async function fileStamp(file: string): Promise<string> {
  const s = await stat(file);
  return `${file}\n${s.ino}\n${s.size}`;
}

interface Entry {
  offset: number;
  size: number;
  dts: number;
  video: boolean;
  keyframe: boolean;
  /** Presentation time (video: dts + composition time). */
  pts: number;
}

class IndexBuilder {
  readonly #headers: LoopHeaders = {};
  readonly #candidates: Entry[] = [];
  #keyframe: Entry | undefined;

  /** One tag, classified from (at least) the start of its payload. */
  add(p: MediaPacket, offset: number, size = p.payload.length): void {
    if (p.header) {
      // Only the first of each: a rendition has one configuration, and headers go out once.
      if (p.kind === 'video') this.#headers.video ??= p;
      else if (p.kind === 'audio') this.#headers.audio ??= p;
      else this.#headers.metadata ??= p;
      return;
    }
    if (p.kind === 'data') return; // cue points and the like: nothing a platform needs
    // ffmpeg ends an FLV with an end-of-sequence tag; sent mid-stream it would stop a platform's decoder.
    if (p.sequenceEnd === true) return;
    const video = p.kind === 'video';
    const entry: Entry = {
      offset,
      size,
      dts: p.dts,
      video,
      keyframe: p.keyframe,
      pts: video ? p.dts + compositionTime(p.payload) : p.dts,
    };
    if (video && p.keyframe) this.#keyframe ??= entry;
    if (video && this.#keyframe === undefined) return; // undecodable without its keyframe
    this.#candidates.push(entry);
  }

  finish(): FlvIndex {
    const first = this.#keyframe;
    if (first === undefined)
      throw new FallbackError('NO_VIDEO', 'the fallback rendition has no video keyframe');
    // Audio written before the keyframe but timed at or after it belongs to the loop; the keyframe goes first.
    const media = this.#candidates
      .filter((e) => e.dts >= first.dts)
      .map((e, i) => ({ e, order: e === first ? -1 : i }))
      .sort((a, b) => a.e.dts - b.e.dts || a.order - b.order)
      .map(({ e }) => ({ ...e, dts: e.dts - first.dts, pts: e.pts - first.dts }));
    const loopDurationMs = loopLength(media);
    const n = media.length;
    const index = {
      headers: this.#headers,
      offset: new Float64Array(n),
      size: new Uint32Array(n),
      dts: new Float64Array(n),
      video: new Uint8Array(n),
      keyframe: new Uint8Array(n),
      loopDurationMs,
      slotDts: new Float64Array(n),
      slotEntry: new Uint32Array(n),
      slotPrevious: new Uint8Array(n),
    };
    media.forEach((e, i) => {
      index.offset[i] = e.offset;
      index.size[i] = e.size;
      index.dts[i] = e.dts;
      index.video[i] = e.video ? 1 : 0;
      index.keyframe[i] = e.keyframe ? 1 : 0;
    });
    schedule(media, loopDurationMs).forEach((slot, i) => {
      index.slotDts[i] = slot.dts;
      index.slotEntry[i] = slot.entry;
      index.slotPrevious[i] = slot.previous ? 1 : 0;
    });
    return index;
  }
}

/**
 * The timeline is the loop repeated every L ms; a loop's dts can run past L (B-frames keep video dts
 * behind pts, so audio dts go further), so loop n+1 starts while loop n's last audio is still to come.
 * Emitting loop by loop would hold loop n+1's keyframe back behind that audio; instead one period
 * [0, L) of the endless timeline is precomputed in dts order: this loop's packets below L and the
 * previous loop's at or above L. Playing it over and over, at no cost per loop, is the timeline.
 */
function schedule(
  media: readonly Entry[],
  loopMs: number,
): { dts: number; entry: number; previous: boolean }[] {
  return media
    .map((e, entry) => {
      const previous = e.dts >= loopMs;
      return { dts: previous ? e.dts - loopMs : e.dts, entry, previous };
    })
    .sort((a, b) => a.dts - b.dts || Number(b.previous) - Number(a.previous) || a.entry - b.entry);
}

/**
 * One loop's length: the longer of the two tracks' presentation spans, each measured from its own first
 * packet to its last packet's end (last + typical packet duration). Video is measured in presentation
 * time, because B-frames delay its first pts by a frame or two while AAC's pts is its dts: comparing raw
 * dts would make every loop leave a gap of that delay in both tracks. Being >= each span, the next loop
 * never overlaps either track, so each stays monotonic.
 */
function loopLength(media: readonly Entry[]): number {
  let vStart = Infinity;
  let vEnd = -Infinity;
  let aStart = Infinity;
  let aEnd = -Infinity;
  const videoDts: number[] = [];
  const audioDts: number[] = [];
  for (const e of media) {
    if (e.video) {
      vStart = Math.min(vStart, e.pts);
      vEnd = Math.max(vEnd, e.pts);
      videoDts.push(e.dts);
    } else {
      aStart = Math.min(aStart, e.dts);
      aEnd = Math.max(aEnd, e.dts);
      audioDts.push(e.dts);
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
