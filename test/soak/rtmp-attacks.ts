/**
 * Hostile RTMP peers over raw sockets, for the hostile-RTMP tests and `npm run soak`: a real handshake,
 * then what an attacker sends (tiny chunk sizes, never-ending messages, mutated sessions and messages).
 * Each attacker may bind its own loopback source address (127.0.0.2 ...), so per-address limits can be
 * told from global ones.
 */
import net from 'node:net';
import { encodeChunks } from '../../src/rtmp/chunk-writer.js';
import { ChunkReader, type RtmpMessage } from '../../src/rtmp/chunk-reader.js';
import { ClientHandshake } from '../../src/rtmp/handshake.js';
import { c2sChunks } from '../fixtures/rtmp/fixtures.js';
import { below, mutate, prng, type Random } from '../fuzz/mutate.js';

/** Where an attacker connects from and to. */
export interface Target {
  port: number;
  /** Source address to bind (a 127.x.y.z on loopback); default the system's choice. */
  localAddress?: string;
}

/** A raw connection that finished the RTMP handshake. */
export interface RawSession {
  readonly socket: net.Socket;
  /** Settles when the socket closed (by either side). */
  readonly closed: Promise<void>;
  isClosed(): boolean;
  /** Writes and waits for the socket to take it (drain), or for the close; false when it closed. */
  write(bytes: Buffer): Promise<boolean>;
  /**
   * Sends a PingRequest and waits for its PingResponse: true proves the server read everything sent
   * before it (it reads in order); false when the connection closed first.
   */
  ping(chunkSize?: number, timeoutMs?: number): Promise<boolean>;
  destroy(): void;
}

/** The n-th loopback source address above 127.0.0.1 (127.0.0.2, ...): one "remote address" per attacker. */
export function loopbackAddress(n: number): string {
  const i = 2 + (n % 60_000);
  return `127.0.${Math.floor(i / 250)}.${(i % 250) + 1}`;
}

/** Connects and completes a real client handshake; rejects if the server closes first or after 10 s. */
export function openSession(target: Target, timeoutMs = 10_000): Promise<RawSession> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({
      port: target.port,
      host: '127.0.0.1',
      ...(target.localAddress === undefined ? {} : { localAddress: target.localAddress }),
    });
    const handshake = new ClientHandshake();
    let closed = false;
    let settled = false;
    const closedPromise = new Promise<void>((done) => {
      socket.once('close', () => {
        closed = true;
        done();
        if (!settled) {
          settled = true;
          reject(new Error('closed during the handshake'));
        }
      });
    });
    socket.on('error', () => undefined);
    const timer = setTimeout(() => {
      socket.destroy();
    }, timeoutMs);
    socket.setNoDelay(true); // a ping right after a batch must not wait for a delayed ACK (40 ms)
    socket.once('connect', () => socket.write(handshake.start()));
    const onData = (chunk: Buffer): void => {
      const step = handshake.push(chunk);
      for (const out of step.send) socket.write(out);
      if (!step.done) return;
      socket.off('data', onData);
      // Read the server's answers as a client would; only ping responses matter here.
      const answers = new ChunkReader();
      const readAnswers = (bytes: Buffer): void => {
        try {
          for (const m of answers.push(bytes)) {
            if (m.typeId !== 4 || m.payload.length < 6 || m.payload.readUInt16BE(0) !== 7) continue;
            pongs.get(m.payload.readUInt32BE(2))?.(true);
          }
        } catch {
          socket.destroy();
        }
      };
      const pongs = new Map<number, (ok: boolean) => void>();
      let nextPing = 1;
      socket.once('close', () => {
        for (const done of pongs.values()) done(false);
      });
      readAnswers(step.rest);
      socket.on('data', readAnswers);
      clearTimeout(timer);
      settled = true;
      resolve({
        socket,
        closed: closedPromise,
        isClosed: () => closed,
        write: (bytes) =>
          new Promise((done) => {
            if (closed) {
              done(false);
              return;
            }
            if (socket.write(bytes)) {
              done(true);
              return;
            }
            const finish = (): void => {
              socket.off('drain', finish);
              socket.off('close', finish);
              done(!closed);
            };
            socket.once('drain', finish);
            socket.once('close', finish);
          }),
        ping: (chunkSizeOut = 128, timeoutMs = 500) =>
          new Promise((done) => {
            if (closed) {
              done(false);
              return;
            }
            const value = nextPing++;
            // No answer in time: the server took the ping for part of a message (our framing lost step).
            const timeout = setTimeout(() => pongs.get(value)?.(false), timeoutMs);
            pongs.set(value, (ok) => {
              clearTimeout(timeout);
              pongs.delete(value);
              done(ok);
            });
            const payload = Buffer.alloc(6);
            payload.writeUInt16BE(6, 0);
            payload.writeUInt32BE(value, 2);
            socket.write(encodeChunks({ typeId: 4, streamId: 0, timestamp: 0, payload }, 2, chunkSizeOut));
          }),
        destroy: () => socket.destroy(),
      });
    };
    socket.on('data', onData);
  });
}

/** A Set Chunk Size message, chunked at the initial 128. */
export function setChunkSizeBytes(size: number): Buffer {
  const payload = Buffer.alloc(4);
  payload.writeUInt32BE(size >>> 0);
  return encodeChunks({ typeId: 1, streamId: 0, timestamp: 0, payload }, 2, 128);
}

/** How one flood ended. */
export interface FloodResult {
  /** Bytes the socket accepted before the server closed it (kernel buffers included). */
  sentBytes: number;
  /** The server closed the connection before everything was sent. */
  cutByServer: boolean;
}

/**
 * The chunk-size attack of issue 10: Set Chunk Size `chunkSize`, then one video message declaring
 * `declaredBytes` (default 8 MiB - 1, under the message cap) that never completes, as `totalBytes` of
 * chunks (1-byte header + `chunkSize` bytes of data each).
 */
export async function chunkFlood(
  target: Target,
  options: { chunkSize: number; totalBytes: number; declaredBytes?: number },
): Promise<FloodResult> {
  const session = await openSession(target);
  const { chunkSize, totalBytes } = options;
  const declared = options.declaredBytes ?? 8 * 1024 * 1024 - 1;
  let sent = 0;
  const header = Buffer.alloc(12);
  header.writeUInt8(0x06, 0); // fmt 0, csid 6
  header.writeUIntBE(declared, 4, 3);
  header.writeUInt8(9, 7); // video
  header.writeUInt32LE(1, 8);
  const first = Buffer.concat([setChunkSizeBytes(chunkSize), header, Buffer.alloc(chunkSize, 0x17)]);
  if (await session.write(first)) sent += first.length;
  // Continuation chunks (fmt 3, csid 6), 64 kB of them per write.
  const unit = Buffer.concat([Buffer.from([0xc6]), Buffer.alloc(chunkSize, 0x17)]);
  const block = Buffer.concat(
    Array.from({ length: Math.max(1, Math.floor(65_536 / unit.length)) }, () => unit),
  );
  while (sent < totalBytes && !session.isClosed()) {
    if (!(await session.write(block))) break;
    sent += block.length;
  }
  const cutByServer = session.isClosed();
  session.destroy();
  return { sentBytes: sent, cutByServer };
}

/**
 * A captured ffmpeg publish session (its chunk stream after the handshake) with 1-16 random bytes
 * changed, as in issue 10. Its key is not one of ours, so unmutated it is refused at `publish`.
 */
export function mutatedPublishStream(random: Random): Buffer {
  const out = Buffer.from(c2sChunks);
  const n = 1 + below(random, 16);
  for (let i = 0; i < n; i++) out.writeUInt8(below(random, 256), below(random, out.length));
  return out;
}

/** Sends one mutated publish session; resolves when the server closed it or `lingerMs` after sending. */
export async function mutatedPublishSession(target: Target, seed: number, lingerMs = 200): Promise<void> {
  let session: RawSession;
  try {
    session = await openSession(target);
  } catch {
    return; // refused during the handshake (a pool limit): that is an answer too
  }
  await session.write(mutatedPublishStream(prng(seed)));
  await Promise.race([session.closed, new Promise((resolve) => setTimeout(resolve, lingerMs))]);
  session.destroy();
}

/** The messages of the captured publish session: what mutated messages are made from. */
export const corpusMessages: readonly RtmpMessage[] = new ChunkReader().push(c2sChunks);
/**
 * What most mutated messages are made from: the corpus without its commands (a mutated command ends the
 * session, and `mutatedPublishSession` covers those) and without messages over the 8 KiB an
 * unauthenticated peer may send (refused at once, whatever their bytes).
 */
const survivable = corpusMessages.filter((m) => m.typeId !== 20 && m.payload.length <= 8000);

/**
 * Sends up to `maxMessages` mutated messages on one connection: corpus messages with mutated payloads
 * (1 % drawn from the whole corpus, commands included, the rest from the messages a session survives),
 * 10 % with a mutated timestamp and 2 % with a mutated type id, framed correctly (so the session
 * survives what it can), and 0.1 % with the chunk bytes themselves mutated. Returns how many the server is known to have read:
 * each batch counts once a ping sent after it is answered.
 */
export async function mutatedMessages(target: Target, seed: number, maxMessages: number): Promise<number> {
  let session: RawSession;
  try {
    session = await openSession(target);
  } catch {
    return 0;
  }
  const random = prng(seed);
  const framing = { chunkSize: 128 };
  let written = 0;
  while (written < maxMessages && !session.isClosed()) {
    const n = Math.min(32, maxMessages - written);
    const batch = Array.from({ length: n }, () => mutatedMessageBytes(random, framing));
    if (!(await session.write(Buffer.concat(batch)))) break;
    if (!(await session.ping(framing.chunkSize))) break; // only batches the server is known to have read count
    written += batch.length;
  }
  session.destroy();
  return written;
}

/**
 * One mutated message, chunked at `framing.chunkSize`; a Set Chunk Size the server will apply updates
 * `framing`, so later messages stay in step with the server's reader.
 */
export function mutatedMessageBytes(random: Random, framing: { chunkSize: number }): Buffer {
  const pool = random() < 0.01 ? corpusMessages : survivable;
  const base = pool[below(random, pool.length)] ?? {
    typeId: 8,
    streamId: 1,
    timestamp: 0,
    payload: Buffer.alloc(1),
  };
  const message: RtmpMessage = { ...base, payload: mutate(base.payload, random) };
  if (random() < 0.02) message.typeId = below(random, 24);
  if (random() < 0.1) message.timestamp = Math.floor(random() * 2 ** 32);
  const csid = message.typeId <= 6 ? 2 : 3 + (message.typeId % 4);
  const bytes = encodeChunks(message, csid, framing.chunkSize);
  if (random() < 0.001) return mutate(bytes, random);
  if (message.typeId === 1 && message.payload.length >= 4) {
    const size = message.payload.readUInt32BE(0) & 0x7fffffff;
    if (size >= 128) framing.chunkSize = Math.min(size, 1 << 20);
  }
  return bytes;
}
