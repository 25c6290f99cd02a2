/**
 * Reassembles RTMP messages from the chunk stream (RTMP spec 5.3). Pure: bytes in, messages out.
 *
 * Chunk (spec 5.3.1):
 *
 *   | basic header 1-3 | message header 0/3/7/11 | extended timestamp 0/4 | chunk data <= chunk size |
 *
 * Basic header (5.3.1.1), csid 0 and 1 mean "longer form":
 *
 *    0 1 2 3 4 5 6 7      0 1 2 3 4 5 6 7 | 8 .. 15           0 .. 7    | 8 .. 15  | 16 .. 23
 *   | fmt | csid 2-63 |  | fmt |    0      | csid - 64 |     | fmt | 1 |  b1       | b2       |  csid = 64 + b1 + b2*256
 *
 * Message header (5.3.1.2), by fmt:
 *
 *   fmt 0 (11): | timestamp u24 | message length u24 | type id u8 | message stream id u32 LITTLE endian |
 *   fmt 1 (7):  | timestamp delta u24 | message length u24 | type id u8 |
 *   fmt 2 (3):  | timestamp delta u24 |
 *   fmt 3 (0):  everything as before on this csid
 *
 * A timestamp field of 0xFFFFFF means a 4-byte extended timestamp follows (5.3.1.3): absolute on fmt 0, a
 * delta on fmt 1/2, and on fmt 3 a repeat of the last one — which old librtmp omits on continuation chunks,
 * so there it is only consumed when it matches (SRS does the same).
 *
 * Memory is spent only on bytes that arrived: each message is assembled into one buffer that grows (doubling,
 * never past the declared length) as its chunks come, so a header declaring 8 MiB costs nothing until 8 MiB
 * are sent, and a stream of 1-byte chunks costs one byte per byte, not a Buffer object per byte. The bytes
 * held in unfinished messages are capped by a budget the owner raises once the peer has proven a key.
 */
import { RtmpError } from './errors.js';

/** One complete RTMP message. */
export interface RtmpMessage {
  /** Message type id (spec 5.4, 7.1), see MessageType. */
  typeId: number;
  /** Message stream id (0 for control and connection-level commands). */
  streamId: number;
  /** ms, 32-bit as on the wire (absolute, accumulated mod 2^32) */
  timestamp: number;
  /** The message body. */
  payload: Buffer;
}

/** Limits for one reader (one connection). */
export interface ChunkReaderOptions {
  /** declared message length above this is RtmpError MESSAGE_TOO_LARGE (default 8 MiB) */
  maxMessageBytes?: number;
  /** More distinct chunk stream ids than this is RtmpError PROTOCOL_VIOLATION (default 256; peers use < 10). */
  maxChunkStreams?: number;
  /**
   * Bytes all unfinished messages may hold together; more is RtmpError BUFFER_LIMIT (default: the message
   * cap). A server starts a peer on a small budget and raises it with `setBufferBudget` after its key.
   */
  maxBufferedBytes?: number;
  /** Set Chunk Size below this is PROTOCOL_VIOLATION (default 128, as SRS: smaller only costs us headers). */
  minChunkSize?: number;
}

const SET_CHUNK_SIZE = 1;
const ABORT = 2;
const EXTENDED = 0xffffff;
/** Longest header: 3-byte basic + 11-byte fmt 0 + 4-byte extended timestamp. */
const MAX_HEADER_BYTES = 18;
const MAX_CHUNK_SIZE = 0x7fffffff;
/** The smallest Set Chunk Size accepted by default: the spec's initial size, and SRS's floor. */
export const minChunkSize = 128;
/** First allocation of a message assembled from several chunks; it then doubles up to the message length. */
const FIRST_ASSEMBLY_BYTES = 4096;

/** What a chunk stream remembers between chunks (spec 5.3.1.2: later headers inherit from earlier). */
interface ChunkStream {
  timestamp: number;
  /** Delta that a fmt-3 chunk starting a new message adds again (for fmt 0: its absolute timestamp). */
  delta: number;
  /** The last fmt 0/1/2 header had a 0xFFFFFF timestamp field. */
  extended: boolean;
  /** The last extended timestamp value read on this csid. */
  extendedValue: number;
  length: number;
  typeId: number;
  streamId: number;
  /**
   * The message in progress: a growing copy (capacity >= received, <= length), or a view of the input when
   * the whole message arrived in one piece.
   */
  buffer: Buffer | undefined;
  received: number;
  inProgress: boolean;
}

/**
 * The largest message a peer may declare by default. The 24-bit length field allows 16 MiB - 1, so a
 * cap must sit below that to mean anything; 8 MiB holds a 4K keyframe at a high bitrate.
 */
export const defaultMaxMessageBytes = 8 * 1024 * 1024;

export class ChunkReader {
  readonly #maxMessageBytes: number;
  readonly #maxChunkStreams: number;
  readonly #minChunkSize: number;
  #maxBuffered: number;
  /** Bytes held by unfinished messages, all chunk streams together. */
  #buffered = 0;
  readonly #streams = new Map<number, ChunkStream>();
  /** Unconsumed input; only the first buffer is partly consumed (from #offset). */
  #queue: Buffer[] = [];
  #offset = 0;
  #available = 0;
  /** Chunk whose data is being read, and how many of its data bytes are still to come. */
  #current: ChunkStream | undefined;
  #chunkRemaining = 0;
  #chunkSize = 128;
  #bytesRead = 0;
  #failed: RtmpError | undefined;

  constructor(options: ChunkReaderOptions = {}) {
    this.#maxMessageBytes = options.maxMessageBytes ?? defaultMaxMessageBytes;
    this.#maxChunkStreams = options.maxChunkStreams ?? 256;
    this.#minChunkSize = options.minChunkSize ?? minChunkSize;
    this.#maxBuffered = options.maxBufferedBytes ?? this.#maxMessageBytes;
  }

  /** Changes the budget of bytes unfinished messages may hold (e.g. raised once the peer proved a key). */
  setBufferBudget(bytes: number): void {
    this.#maxBuffered = bytes;
  }

  /** Bytes held now by unfinished messages. */
  get bufferedBytes(): number {
    return this.#buffered;
  }

  /** Total bytes fed so far (for acknowledgements). */
  get bytesRead(): number {
    return this.#bytesRead;
  }

  /** The peer's current chunk size (128 until it sends Set Chunk Size). */
  get chunkSize(): number {
    return this.#chunkSize;
  }

  /**
   * Feeds bytes; returns the messages completed, in order. Throws RtmpError (CHUNK_MALFORMED /
   * MESSAGE_TOO_LARGE / PROTOCOL_VIOLATION) on bad input; after that every push() throws the same error.
   * A message that fits one chunk is returned as a subarray of `chunk` (no copy): callers must not reuse
   * the buffers they push (Node socket buffers are never reused).
   */
  push(chunk: Buffer): RtmpMessage[] {
    if (this.#failed !== undefined) throw this.#failed;
    this.#bytesRead += chunk.length;
    if (chunk.length > 0) {
      this.#queue.push(chunk);
      this.#available += chunk.length;
    }
    const out: RtmpMessage[] = [];
    try {
      this.#drain(out);
    } catch (err) {
      this.#failed =
        err instanceof RtmpError
          ? err
          : new RtmpError('CHUNK_MALFORMED', 'chunk stream unreadable', { cause: err });
      throw this.#failed;
    }
    return out;
  }

  #drain(out: RtmpMessage[]): void {
    for (;;) {
      if (this.#current === undefined && !this.#readHeader()) break;
      const stream = this.#current;
      if (stream === undefined) break;
      if (this.#chunkRemaining > 0) {
        this.#take(stream);
        if (this.#chunkRemaining > 0) break; // out of input mid-chunk
      }
      this.#current = undefined;
      if (stream.received < stream.length) continue;
      const message = this.#complete(stream);
      out.push(message);
      this.#applyControl(message);
    }
  }

  /** Parses one chunk header if the whole of it is available; false means "wait for more bytes". */
  #readHeader(): boolean {
    if (this.#available === 0) return false;
    const h = this.#peek();
    const end = h.length;
    const b0 = h.readUInt8(0);
    const fmt = b0 >> 6;
    let csid = b0 & 0x3f;
    let pos = 1;
    if (csid === 0) {
      if (end < 2) return false;
      csid = 64 + h.readUInt8(1);
      pos = 2;
    } else if (csid === 1) {
      if (end < 3) return false;
      csid = 64 + h.readUInt8(1) + h.readUInt8(2) * 256;
      pos = 3;
    }
    const stream = this.#stream(csid, fmt);

    if (fmt === 3) {
      let consumed = pos;
      const startsMessage = !stream.inProgress;
      if (stream.extended) {
        // Need the 4 bytes before deciding. (So an old-librtmp continuation shorter than 4 bytes waits for
        // the next chunk to arrive; with media flowing that is immediate.)
        if (end < pos + 4) return false;
        const value = h.readUInt32BE(pos);
        if (startsMessage) {
          // A new message must repeat the field (spec 5.3.1.3); its value is the delta to apply.
          stream.extendedValue = value;
          stream.delta = value;
          consumed += 4;
        } else if (value === stream.extendedValue || value === stream.timestamp) {
          consumed += 4; // the repeated field; otherwise these bytes are chunk data (old librtmp)
        }
      }
      if (startsMessage) {
        stream.timestamp = (stream.timestamp + stream.delta) >>> 0;
        this.#begin(stream, stream.length);
      }
      return this.#startChunk(stream, consumed);
    }

    const headerBytes = fmt === 0 ? 11 : fmt === 1 ? 7 : 3;
    if (end < pos + headerBytes) return false;
    const field = h.readUIntBE(pos, 3);
    const extended = field === EXTENDED;
    if (extended && end < pos + headerBytes + 4) return false;
    const value = extended ? h.readUInt32BE(pos + headerBytes) : field;
    let length = stream.length;
    if (fmt <= 1) {
      length = h.readUIntBE(pos + 3, 3);
      stream.typeId = h.readUInt8(pos + 6);
      if (fmt === 0) stream.streamId = h.readUInt32LE(pos + 7);
    }
    stream.extended = extended;
    if (extended) stream.extendedValue = value;
    stream.delta = value;
    stream.timestamp = fmt === 0 ? value : (stream.timestamp + value) >>> 0;
    // A new header while a message is unfinished abandons it (as ffmpeg does): the header says "new message".
    this.#begin(stream, length);
    return this.#startChunk(stream, pos + headerBytes + (extended ? 4 : 0));
  }

  #stream(csid: number, fmt: number): ChunkStream {
    const known = this.#streams.get(csid);
    if (known !== undefined) return known;
    // The first chunk on a csid must say the length: fmt 0, or fmt 1 (librtmp sends that on csid 2).
    if (fmt >= 2) throw new RtmpError('CHUNK_MALFORMED', `fmt ${fmt} chunk on new chunk stream ${csid}`);
    if (this.#streams.size >= this.#maxChunkStreams) {
      throw new RtmpError('PROTOCOL_VIOLATION', `more than ${this.#maxChunkStreams} chunk streams`);
    }
    const stream: ChunkStream = {
      timestamp: 0,
      delta: 0,
      extended: false,
      extendedValue: 0,
      length: 0,
      typeId: 0,
      streamId: 0,
      buffer: undefined,
      received: 0,
      inProgress: false,
    };
    this.#streams.set(csid, stream);
    return stream;
  }

  #begin(stream: ChunkStream, length: number): void {
    if (length > this.#maxMessageBytes) {
      throw new RtmpError('MESSAGE_TOO_LARGE', `message of ${length} bytes (limit ${this.#maxMessageBytes})`);
    }
    // It could never complete within the budget: say so now rather than after buffering the budget.
    if (length > this.#maxBuffered) {
      throw new RtmpError(
        'BUFFER_LIMIT',
        `message of ${length} bytes over the ${this.#maxBuffered}-byte budget`,
      );
    }
    this.#drop(stream);
    stream.length = length;
    stream.inProgress = true;
  }

  /** Forgets the unfinished message of `stream`, if any, and gives its bytes back to the budget. */
  #drop(stream: ChunkStream): void {
    this.#buffered -= stream.received;
    stream.buffer = undefined;
    stream.received = 0;
    stream.inProgress = false;
  }

  #startChunk(stream: ChunkStream, headerBytes: number): true {
    this.#skip(headerBytes);
    this.#current = stream;
    this.#chunkRemaining = Math.min(this.#chunkSize, stream.length - stream.received);
    return true;
  }

  #complete(stream: ChunkStream): RtmpMessage {
    // The buffer never grows past the declared length, so a complete one is exactly the payload.
    const payload = stream.buffer ?? Buffer.alloc(0);
    this.#drop(stream);
    return { typeId: stream.typeId, streamId: stream.streamId, timestamp: stream.timestamp, payload };
  }

  /** Set Chunk Size and Abort change how the very next bytes are read, so they apply here (spec 5.4.1, 5.4.2). */
  #applyControl(message: RtmpMessage): void {
    if (message.typeId !== SET_CHUNK_SIZE && message.typeId !== ABORT) return;
    if (message.payload.length < 4) {
      throw new RtmpError(
        'PROTOCOL_VIOLATION',
        `control message type ${message.typeId} shorter than 4 bytes`,
      );
    }
    const value = message.payload.readUInt32BE(0);
    if (message.typeId === SET_CHUNK_SIZE) {
      const size = value & MAX_CHUNK_SIZE;
      // 1-byte chunks cost a header per byte of payload and buy a peer nothing; SRS refuses < 128 too.
      if (size < this.#minChunkSize) {
        throw new RtmpError('PROTOCOL_VIOLATION', `Set Chunk Size ${size} (below ${this.#minChunkSize})`);
      }
      this.#chunkSize = size;
      return;
    }
    const aborted = this.#streams.get(value);
    if (aborted !== undefined && aborted !== this.#current) this.#drop(aborted);
  }

  /** Up to MAX_HEADER_BYTES of input, contiguous: a view of the first buffer, or a small copy across two. */
  #peek(): Buffer {
    const first = this.#queue[0];
    if (first === undefined) return Buffer.alloc(0);
    if (first.length - this.#offset >= MAX_HEADER_BYTES || this.#queue.length === 1) {
      return first.subarray(this.#offset);
    }
    const n = Math.min(MAX_HEADER_BYTES, this.#available);
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    let offset = this.#offset;
    for (const buf of this.#queue) {
      filled += buf.copy(out, filled, offset, Math.min(buf.length, offset + n - filled));
      offset = 0;
      if (filled === n) break;
    }
    return out;
  }

  #skip(n: number): void {
    this.#available -= n;
    while (n > 0) {
      const first = this.#queue[0];
      if (first === undefined) return;
      const left = first.length - this.#offset;
      if (n < left) {
        this.#offset += n;
        return;
      }
      n -= left;
      this.#queue.shift();
      this.#offset = 0;
    }
  }

  /**
   * Moves up to #chunkRemaining bytes of chunk data into the message: a view when the whole message is
   * here in one piece (the common single-chunk case, no copy), else copied into its growing buffer.
   */
  #take(stream: ChunkStream): void {
    while (this.#chunkRemaining > 0) {
      const first = this.#queue[0];
      if (first === undefined) return;
      const n = Math.min(this.#chunkRemaining, first.length - this.#offset);
      if (this.#buffered + n > this.#maxBuffered) {
        throw new RtmpError(
          'BUFFER_LIMIT',
          `unfinished messages would hold ${this.#buffered + n} bytes (budget ${this.#maxBuffered})`,
        );
      }
      const bytes = first.subarray(this.#offset, this.#offset + n);
      if (stream.received === 0 && n === stream.length) {
        stream.buffer = bytes;
      } else {
        this.#reserve(stream, stream.received + n).set(bytes, stream.received);
      }
      stream.received += n;
      this.#buffered += n;
      this.#chunkRemaining -= n;
      this.#skip(n);
    }
  }

  /** The message's buffer with room for `needed` bytes: doubled (at most to the declared length) when short. */
  #reserve(stream: ChunkStream, needed: number): Buffer {
    const { buffer } = stream;
    if (buffer !== undefined && buffer.length >= needed) return buffer;
    const capacity = buffer?.length ?? 0;
    const size = Math.min(stream.length, Math.max(needed, capacity * 2, FIRST_ASSEMBLY_BYTES));
    const grown = Buffer.allocUnsafe(size);
    if (buffer !== undefined) buffer.copy(grown, 0, 0, stream.received);
    stream.buffer = grown;
    return grown;
  }
}
