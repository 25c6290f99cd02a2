/**
 * The RTMP handshake (RTMP spec 5.2), both sides, over bytes.
 *
 *   C0/S0 (1 byte):  | version = 3 |
 *   C1/S1 (1536):    | time u32 | zero u32 (or a version, see below) | random 1528 |
 *   C2/S2 (1536):    | echo of the peer's C1/S1 (time u32 | time2 u32 | random echo 1528) |
 *
 * Flash Player 9 added a "digest" (a.k.a. complex) handshake, undocumented but implemented alike by
 * librtmp, ffmpeg, nginx-rtmp and SRS. C1/S1 bytes 4-7 hold a version, and the 1528 bytes are two
 * 764-byte blocks, a key block and a digest block, in either order ("schema"):
 *
 *   schema 0: | time | version | key block (764) | digest block (764) |   digest block at byte 772
 *   schema 1: | time | version | digest block (764) | key block (764) |   digest block at byte 8
 *
 *   digest block: | o0 o1 o2 o3 | ... 32-byte digest at (o0+o1+o2+o3) % 728 ... |
 *
 * The digest is HMAC-SHA256 over the 1536 bytes minus the 32 digest bytes, keyed by the first 30 bytes
 * of the player key (C1) or the first 36 of the server key (S1). The last 32 bytes of S2 are
 * HMAC-SHA256(HMAC-SHA256(full 68-byte server key, C1 digest), S2 bytes 0..1503). ffmpeg always sends a
 * digest C1 and, when playing, rejects a server whose S1 version byte is >= 3 but whose digests are wrong.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { RtmpError } from './errors.js';

/** Size of C1, C2, S1 and S2. */
export const HANDSHAKE_BYTES = 1536;
const RTMP_VERSION = 3;
const DIGEST_BYTES = 32;

const KEY_TAIL = [
  0xf0, 0xee, 0xc2, 0x4a, 0x80, 0x68, 0xbe, 0xe8, 0x2e, 0x00, 0xd0, 0xd1, 0x02, 0x9e, 0x7e, 0x57, 0x6e, 0xec,
  0x5d, 0x2d, 0x29, 0x80, 0x6f, 0xab, 0x93, 0xb8, 0xe6, 0x36, 0xcf, 0xeb, 0x31, 0xae,
];
const PLAYER_KEY = Buffer.concat([
  Buffer.from('Genuine Adobe Flash Player 001', 'latin1'),
  Buffer.from(KEY_TAIL),
]);
const SERVER_KEY = Buffer.concat([
  Buffer.from('Genuine Adobe Flash Media Server 001', 'latin1'),
  Buffer.from(KEY_TAIL),
]);
const PLAYER_KEY_OPEN = PLAYER_KEY.subarray(0, 30);
const SERVER_KEY_OPEN = SERVER_KEY.subarray(0, 36);
/** The FMS version we claim in S1 (13.14.10.13, as nginx-rtmp and SRS do); >= 3 means "digest present". */
const SERVER_VERSION = 0x0d0e0a0d;

/** Where a digest handshake puts its digest block (see the schema diagram above). */
export type DigestSchema = 0 | 1;
const DIGEST_BLOCK = { 0: 772, 1: 8 } as const satisfies Record<DigestSchema, number>;

function digestOffset(packet: Buffer, schema: DigestSchema): number {
  const block = DIGEST_BLOCK[schema];
  let sum = 0;
  for (let i = 0; i < 4; i++) sum += packet.readUInt8(block + i);
  return block + 4 + (sum % 728);
}

/** HMAC-SHA256 of the packet with the 32 digest bytes at `offset` left out. */
function packetDigest(packet: Buffer, offset: number, key: Buffer): Buffer {
  return createHmac('sha256', key)
    .update(packet.subarray(0, offset))
    .update(packet.subarray(offset + DIGEST_BYTES))
    .digest();
}

/** The schema and digest of a C1 that carries a valid Flash Player digest, if it does. */
function findClientDigest(c1: Buffer): { schema: DigestSchema; digest: Buffer } | undefined {
  for (const schema of [1, 0] as const) {
    const offset = digestOffset(c1, schema);
    const digest = c1.subarray(offset, offset + DIGEST_BYTES);
    if (packetDigest(c1, offset, PLAYER_KEY_OPEN).equals(digest)) return { schema, digest };
  }
  return undefined;
}

function timeField(): number {
  return Math.floor(performance.now()) >>> 0;
}

/** A C1/S1: time, the given version field, random bytes. */
function randomPacket(version: number): Buffer {
  const packet = randomBytes(HANDSHAKE_BYTES);
  packet.writeUInt32BE(timeField(), 0);
  packet.writeUInt32BE(version, 4);
  return packet;
}

/** Collects input until a step has the bytes it needs. */
class ByteCollector {
  #parts: Buffer[] = [];
  #length = 0;

  get length(): number {
    return this.#length;
  }

  add(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.#parts.push(chunk);
    this.#length += chunk.length;
  }

  firstByte(): number {
    const first = this.#parts[0];
    if (first === undefined) throw new RangeError('no bytes collected');
    return first.readUInt8(0);
  }

  take(n: number): Buffer {
    const all =
      this.#parts.length === 1 && this.#parts[0] !== undefined ? this.#parts[0] : Buffer.concat(this.#parts);
    const rest = all.subarray(n);
    this.#parts = rest.length > 0 ? [rest] : [];
    this.#length = rest.length;
    return all.subarray(0, n);
  }
}

/** One step of a handshake: bytes to send now, whether it finished, and the bytes that followed it. */
export interface HandshakeStep {
  /** Bytes to write to the peer now, in order. */
  send: Buffer[];
  /** The handshake is complete; `rest` starts the chunk stream. */
  done: boolean;
  /** Input after the handshake (empty until done). */
  rest: Buffer;
}

const EMPTY = Buffer.alloc(0);

function checkVersion(version: number, who: string): void {
  if (version !== RTMP_VERSION) {
    // 6 (and 8, 9) are RTMPE, which needs Diffie-Hellman and RC4; nothing we serve or push uses it.
    throw new RtmpError('HANDSHAKE_FAILED', `${who} asked for RTMP version ${version}; only 3 is supported`);
  }
}

/**
 * The server side. S0, S1 and S2 go out together as soon as C0+C1 arrived; C2 is read and ignored (some
 * clients do not echo S1 faithfully, owncast #34).
 */
export class ServerHandshake {
  readonly #input = new ByteCollector();
  #state: 'c0c1' | 'c2' | 'done' = 'c0c1';
  #mode: 'plain' | 'digest' | undefined;

  /** How the client's C1 was answered: `digest` when it carried a valid Flash Player digest. */
  get mode(): 'plain' | 'digest' | undefined {
    return this.#mode;
  }

  /** Feed bytes from the client. Returns bytes to send now, and once C2 has been read: done=true and the bytes after it (start of chunk stream). */
  push(chunk: Buffer): HandshakeStep {
    if (this.#state === 'done') return { send: [], done: true, rest: chunk };
    this.#input.add(chunk);
    const send: Buffer[] = [];
    if (this.#state === 'c0c1') {
      if (this.#input.length > 0) checkVersion(this.#input.firstByte(), 'client');
      if (this.#input.length < 1 + HANDSHAKE_BYTES) return { send, done: false, rest: EMPTY };
      const c1 = this.#input.take(1 + HANDSHAKE_BYTES).subarray(1);
      send.push(this.#answer(c1));
      this.#state = 'c2';
    }
    if (this.#input.length < HANDSHAKE_BYTES) return { send, done: false, rest: EMPTY };
    this.#input.take(HANDSHAKE_BYTES);
    this.#state = 'done';
    return { send, done: true, rest: this.#input.take(this.#input.length) };
  }

  /** S0 + S1 + S2 in one buffer. */
  #answer(c1: Buffer): Buffer {
    const out = Buffer.allocUnsafe(1 + 2 * HANDSHAKE_BYTES);
    out.writeUInt8(RTMP_VERSION, 0);
    const s1 = out.subarray(1, 1 + HANDSHAKE_BYTES);
    const s2 = out.subarray(1 + HANDSHAKE_BYTES);
    const client = findClientDigest(c1);
    if (client === undefined) {
      this.#mode = 'plain';
      randomPacket(0).copy(s1);
      c1.copy(s2);
      return out;
    }
    this.#mode = 'digest';
    randomPacket(SERVER_VERSION).copy(s1);
    const offset = digestOffset(s1, client.schema);
    packetDigest(s1, offset, SERVER_KEY_OPEN).copy(s1, offset);
    randomBytes(HANDSHAKE_BYTES - DIGEST_BYTES).copy(s2);
    const key = createHmac('sha256', SERVER_KEY).update(client.digest).digest();
    const signature = createHmac('sha256', key)
      .update(s2.subarray(0, HANDSHAKE_BYTES - DIGEST_BYTES))
      .digest();
    signature.copy(s2, HANDSHAKE_BYTES - DIGEST_BYTES);
    return out;
  }
}

/**
 * The client side: a plain handshake (as OBS sends without a SWF URL). S1 bytes 4-7 may be anything
 * (YouTube sends 0x04000001) and S2 is not checked; C2 echoes S1.
 */
export class ClientHandshake {
  readonly #input = new ByteCollector();
  #state: 's0s1' | 's2' | 'done' = 's0s1';

  /** C0+C1 to send first (plain handshake: version 3, time, zero, random). */
  start(): Buffer {
    return Buffer.concat([Buffer.from([RTMP_VERSION]), randomPacket(0)]);
  }

  /** Feed server bytes; returns C2 to send once S0S1 arrived, done=true after S2, rest = following bytes. */
  push(chunk: Buffer): HandshakeStep {
    if (this.#state === 'done') return { send: [], done: true, rest: chunk };
    this.#input.add(chunk);
    const send: Buffer[] = [];
    if (this.#state === 's0s1') {
      if (this.#input.length > 0) checkVersion(this.#input.firstByte(), 'server');
      if (this.#input.length < 1 + HANDSHAKE_BYTES) return { send, done: false, rest: EMPTY };
      const s1 = this.#input.take(1 + HANDSHAKE_BYTES).subarray(1);
      send.push(Buffer.from(s1)); // C2 = S1 echoed (a copy: s1 may alias the caller's buffer)
      this.#state = 's2';
    }
    if (this.#input.length < HANDSHAKE_BYTES) return { send, done: false, rest: EMPTY };
    this.#input.take(HANDSHAKE_BYTES);
    this.#state = 'done';
    return { send, done: true, rest: this.#input.take(this.#input.length) };
  }
}
