import { Duplex, duplexPair } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ChunkReader, type RtmpMessage } from '../../../src/rtmp/chunk-reader.js';
import { encodeChunks } from '../../../src/rtmp/chunk-writer.js';
import { RtmpConnection } from '../../../src/rtmp/connection.js';
import {
  MessageType,
  UserControlEvent,
  parseUserControl,
  userControlMessage,
  windowAckSizeMessage,
} from '../../../src/rtmp/control.js';
import { ClientHandshake } from '../../../src/rtmp/handshake.js';
import { waitFor } from '../../helpers/process.js';

/**
 * A server-role connection and, on the other end of an in-memory pipe, a bare client: handshake, then
 * chunks written by hand and every message the server sends read back.
 */
async function serverAndBareClient(): Promise<{
  server: RtmpConnection;
  send: (message: RtmpMessage) => void;
  received: RtmpMessage[];
}> {
  const [near, far]: [Duplex, Duplex] = duplexPair();
  const server = new RtmpConnection(near, 'server');
  const handshake = new ClientHandshake();
  const reader = new ChunkReader();
  const received: RtmpMessage[] = [];
  let done = false;
  far.on('data', (chunk: Buffer) => {
    let rest = chunk;
    if (!done) {
      const step = handshake.push(chunk);
      for (const out of step.send) far.write(out);
      if (!step.done) return;
      done = true;
      rest = step.rest;
    }
    received.push(...reader.push(rest));
  });
  far.write(handshake.start());
  await waitFor(() => done, { what: 'the handshake', timeoutMs: 2000 });
  const send = (message: RtmpMessage): void => {
    far.write(encodeChunks(message, message.typeId === MessageType.userControl ? 2 : 6, 128));
  };
  return { server, send, received };
}

const media = (sizeBytes: number): RtmpMessage => ({
  typeId: MessageType.video,
  streamId: 1,
  timestamp: 0,
  payload: Buffer.alloc(sizeBytes, 0x27),
});

/** The sequence numbers of the acknowledgements among `messages`. */
const acks = (messages: RtmpMessage[]): number[] =>
  messages.filter((m) => m.typeId === MessageType.acknowledgement).map((m) => m.payload.readUInt32BE(0));

describe('RtmpConnection', () => {
  it('answers PingRequest with PingResponse carrying the same value (nginx-rtmp drops sessions that do not)', async () => {
    const { send, received } = await serverAndBareClient();
    send(userControlMessage(UserControlEvent.pingRequest, 1234));
    await waitFor(() => received.some((m) => m.typeId === MessageType.userControl), {
      what: 'the ping response',
      timeoutMs: 2000,
    });
    const controls = received.filter((m) => m.typeId === MessageType.userControl);
    expect(controls.map((m) => parseUserControl(m.payload))).toEqual([
      { event: UserControlEvent.pingResponse, value: 1234 },
    ]);
  });

  it('acknowledges at the window it announced while the peer names none (OBS and ffmpeg never do), then at the peer’s', async () => {
    const { server, send, received } = await serverAndBareClient();
    server.announceWindow(2000);
    // 1500 bytes of payload and its chunk headers: not yet a window.
    send(media(1500));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(acks(received)).toEqual([]);
    send(media(1500));
    await waitFor(() => acks(received).length === 1, { what: 'the first ack', timeoutMs: 2000 });
    // The sequence number is the bytes received so far.
    expect(acks(received)).toEqual([server.bytesRead]);

    // The peer names a window of its own: that one counts from now on.
    send(windowAckSizeMessage(10_000));
    send(media(3000));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(acks(received)).toHaveLength(1);
    for (let i = 0; i < 3; i++) send(media(3000));
    await waitFor(() => acks(received).length === 2, { what: 'the ack at the peer window', timeoutMs: 2000 });
    expect(acks(received)[1]).toBe(server.bytesRead);
  });
});

/** A stream that records each write the connection hands it: one entry per write(v), its chunks. */
function recordingStream(): { stream: Duplex; writes: Buffer[][] } {
  const writes: Buffer[][] = [];
  const stream = new Duplex({
    read() {
      // nothing to read
    },
    write(chunk: Buffer, _encoding, callback) {
      writes.push([chunk]);
      callback();
    },
    writev(chunks, callback) {
      writes.push(chunks.map((c) => c.chunk as Buffer));
      callback();
    },
  });
  return { stream, writes };
}

const bytes = (tag: number): Buffer => Buffer.alloc(100, tag);
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('RtmpConnection write coalescing', () => {
  it('sends media written over the flush interval in one vectored write, in order', async () => {
    const { stream, writes } = recordingStream();
    const connection = new RtmpConnection(stream, 'server', { flushIntervalMs: 40 });
    for (let i = 1; i <= 5; i++) connection.sendEncoded(bytes(i));
    await nextTurn();
    // Still waiting for the interval: nothing has left in this turn.
    expect(writes).toEqual([]);
    for (let i = 6; i <= 10; i++) connection.sendEncoded(bytes(i));
    await waitFor(() => writes.length > 0, { what: 'the flush', timeoutMs: 2000 });
    expect(writes).toHaveLength(1);
    expect(writes[0]!.map((b) => b[0])).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  it('never holds a command: it leaves at the end of the tick and takes the waiting media with it', async () => {
    const { stream, writes } = recordingStream();
    const connection = new RtmpConnection(stream, 'server', { flushIntervalMs: 10_000 });
    connection.sendEncoded(bytes(1));
    connection.send({ typeId: MessageType.commandAmf0, streamId: 0, timestamp: 0, payload: bytes(2) });
    await nextTurn();
    expect(writes).toHaveLength(1);
    expect(writes[0]!.map((b) => b.length)).toEqual([100, expect.any(Number)]);
    connection.close('done');
  });

  it('without an interval, sends each tick’s writes together as before', async () => {
    const { stream, writes } = recordingStream();
    const connection = new RtmpConnection(stream, 'server');
    connection.sendEncoded(bytes(1));
    connection.sendEncoded(bytes(2));
    await nextTurn();
    connection.sendEncoded(bytes(3));
    await nextTurn();
    expect(writes.map((w) => w.map((b) => b[0]))).toEqual([[1, 2], [3]]);
  });
});
