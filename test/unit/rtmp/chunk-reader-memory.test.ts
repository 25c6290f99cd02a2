/**
 * What an unauthenticated peer can make the reader hold: chunk sizes below 128 are refused, a message is
 * assembled into one buffer (not an object per chunk), nothing is allocated for bytes that have not
 * arrived, and unfinished messages together stay within a budget.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, it, expect } from 'vitest';
import { ChunkReader } from '../../../src/rtmp/chunk-reader.js';
import {
  chunk,
  expectRtmpError,
  expectSplitInvariant,
  readAll,
  setChunkSize,
} from '../../fixtures/rtmp/chunks.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Heap plus ArrayBuffer bytes still reachable after a full GC. */
function liveBytes(): number {
  gc();
  gc();
  const { heapUsed, arrayBuffers } = process.memoryUsage();
  return heapUsed + arrayBuffers;
}

/** `n` chunks of `size` bytes on csid 6: a fmt-0 header declaring `length`, then fmt-3 continuations. */
function chunks(length: number, n: number, size: number): Buffer {
  const parts = [chunk({ fmt: 0, csid: 6, length }, Buffer.alloc(size, 0x61))];
  for (let i = 1; i < n; i++) parts.push(chunk({ fmt: 3, csid: 6 }, Buffer.alloc(size, 0x61)));
  return Buffer.concat(parts);
}

describe('ChunkReader: what a hostile peer can make it hold', () => {
  it('refuses Set Chunk Size 1 and 127 with PROTOCOL_VIOLATION (as SRS), and accepts 128', () => {
    expectRtmpError(() => readAll(setChunkSize(1)), 'PROTOCOL_VIOLATION');
    expectRtmpError(() => readAll(setChunkSize(127)), 'PROTOCOL_VIOLATION');
    const reader = new ChunkReader();
    reader.push(setChunkSize(128));
    expect(reader.chunkSize).toBe(128);
  });

  it('assembles a message of many chunks into one buffer of exactly its length, split anywhere', () => {
    const bytes = chunks(128 * 40, 40, 128);
    const [m] = expectSplitInvariant(bytes);
    expect(m?.payload.length).toBe(128 * 40);
    expect(m?.payload.equals(Buffer.alloc(128 * 40, 0x61))).toBe(true);
    // A copy: the socket's buffers are not kept alive by the message.
    expect(m?.payload.buffer).not.toBe(bytes.buffer);
  });

  it('keeps a one-chunk message as a view of the input (no copy on the common path)', () => {
    const bytes = chunk({ fmt: 0, csid: 6, length: 100 }, Buffer.alloc(100, 0x62));
    const [m] = readAll(bytes);
    expect(m?.payload.buffer).toBe(bytes.buffer);
  });

  it('holds about one byte per byte of an unfinished message sent in 1-byte chunks', () => {
    const n = 100_000;
    const bytes = chunks(1_000_000, n, 1);
    const reader = new ChunkReader({ minChunkSize: 1 });
    reader.push(setChunkSize(1));
    const before = liveBytes();
    expect(reader.push(bytes)).toEqual([]);
    const held = liveBytes() - before;
    expect(reader.bufferedBytes).toBe(n);
    // One Buffer object per chunk (the old reader) would be > 5 MB here; the bytes themselves are 100 kB.
    expect(held).toBeLessThan(1024 * 1024);
  });

  it('allocates nothing for what a header declares until the bytes arrive', () => {
    const reader = new ChunkReader();
    const before = liveBytes();
    const readers = Array.from({ length: 50 }, () => new ChunkReader());
    for (const r of readers) r.push(chunk({ fmt: 0, csid: 6, length: 8 * 1024 * 1024 - 1 }, 'x'.repeat(128)));
    const held = liveBytes() - before;
    // 50 headers declaring 8 MiB each: 400 MiB if allocated up front.
    expect(held).toBeLessThan(4 * 1024 * 1024);
    expect(readers.every((r) => r.bufferedBytes === 128)).toBe(true);
    expect(reader.bufferedBytes).toBe(0);
  });

  it('caps what unfinished messages hold together, across chunk streams, and raises the cap on demand', () => {
    const partial = (csid: number): Buffer => chunk({ fmt: 0, csid, length: 200 }, 'y'.repeat(128));
    const reader = new ChunkReader({ maxBufferedBytes: 300 });
    reader.push(Buffer.concat([partial(4), partial(5)]));
    expect(reader.bufferedBytes).toBe(256);
    expectRtmpError(() => reader.push(partial(6)), 'BUFFER_LIMIT');

    const raised = new ChunkReader({ maxBufferedBytes: 300 });
    raised.push(partial(4));
    raised.setBufferBudget(1_000_000);
    raised.push(Buffer.concat([partial(5), partial(6)]));
    expect(raised.bufferedBytes).toBe(384);
  });

  it('refuses at the header a message that could never fit the budget, and frees a finished one', () => {
    expectRtmpError(
      () => readAll(chunk({ fmt: 0, csid: 6, length: 5000 }, 'z'), { maxBufferedBytes: 4096 }),
      'BUFFER_LIMIT',
    );
    const reader = new ChunkReader({ maxBufferedBytes: 4096 });
    const messages = reader.push(Buffer.concat([chunks(256, 2, 128), chunks(256, 2, 128)]));
    expect(messages.map((m) => m.payload.length)).toEqual([256, 256]);
    expect(reader.bufferedBytes).toBe(0);
  });
});
