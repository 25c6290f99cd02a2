/** ChunkReader: extended timestamps, wrap-around, and the control messages that change how chunks are read. */
import { describe, it, expect } from 'vitest';
import { ChunkReader } from '../../../src/rtmp/chunk-reader.js';
import {
  A,
  B,
  chunk,
  expectRtmpError,
  expectSplitInvariant,
  readAll,
  setChunkSize,
  u32,
} from '../../fixtures/rtmp/chunks.js';

describe('ChunkReader: extended timestamps (spec 5.3.1.3)', () => {
  const big = 0x01234567;

  it('reads an absolute extended timestamp on fmt 0, repeated on every fmt-3 continuation (ffmpeg, FMLE)', () => {
    const bytes = Buffer.concat([
      chunk({ fmt: 0, csid: 6, ts: big, length: 300 }, A),
      chunk({ fmt: 3, csid: 6, ext: big }, B),
      chunk({ fmt: 3, csid: 6, ext: big }, 'c'.repeat(44)),
    ]);
    const [m] = expectSplitInvariant(bytes);
    expect(m?.timestamp).toBe(big);
    expect(m?.payload.toString()).toBe(A + B + 'c'.repeat(44));
  });

  it('also reads continuations that omit the repeated field (old librtmp), deciding only with 4 bytes in hand', () => {
    const bytes = Buffer.concat([
      chunk({ fmt: 0, csid: 6, ts: big, length: 300 }, A),
      chunk({ fmt: 3, csid: 6 }, B),
      chunk({ fmt: 3, csid: 6 }, 'c'.repeat(44)),
      chunk({ fmt: 0, csid: 4, ts: 1, length: 1, typeId: 8 }, 'x'),
    ]);
    const messages = expectSplitInvariant(bytes);
    expect(messages[0]?.payload.toString()).toBe(A + B + 'c'.repeat(44));
    expect(messages[1]?.payload.toString()).toBe('x');
  });

  it('handles one continuation with the field and the next without', () => {
    const bytes = Buffer.concat([
      chunk({ fmt: 0, csid: 6, ts: big, length: 300 }, A),
      chunk({ fmt: 3, csid: 6, ext: big }, B),
      chunk({ fmt: 3, csid: 6 }, 'c'.repeat(44)),
    ]);
    expect(expectSplitInvariant(bytes)[0]?.payload.toString()).toBe(A + B + 'c'.repeat(44));
  });

  it('accepts a continuation that repeats the absolute timestamp after an extended delta header', () => {
    const bytes = Buffer.concat([
      chunk({ fmt: 0, csid: 6, ts: 10, length: 1 }, 'a'),
      chunk({ fmt: 1, csid: 6, ts: 0xffffff, length: 200 }, A),
      chunk({ fmt: 3, csid: 6, ext: 10 + 0xffffff }, 'b'.repeat(72)),
    ]);
    const messages = expectSplitInvariant(bytes);
    expect(messages[1]?.timestamp).toBe(10 + 0xffffff);
    expect(messages[1]?.payload.toString()).toBe(A + 'b'.repeat(72));
  });

  it('treats an extended field on fmt 1 and fmt 2 as a delta, and fmt-3 new messages re-read it', () => {
    const bytes = Buffer.concat([
      chunk({ fmt: 0, csid: 4, ts: 1000, length: 1, typeId: 8 }, 'a'),
      chunk({ fmt: 1, csid: 4, ts: 0x1000000, length: 1, typeId: 8 }, 'b'),
      chunk({ fmt: 2, csid: 4, ts: 0xffffff }, 'c'),
      chunk({ fmt: 3, csid: 4, ext: 0xffffff }, 'd'),
      chunk({ fmt: 3, csid: 4, ext: 0x2000000 }, 'e'), // ffmpeg: fmt 3 whenever the field is 0xFFFFFF again
      chunk({ fmt: 2, csid: 4, ts: 5 }, 'f'),
    ]);
    const times = expectSplitInvariant(bytes).map((m) => m.timestamp);
    const t1 = 1000 + 0x1000000;
    const t2 = t1 + 0xffffff;
    const t3 = t2 + 0xffffff;
    const t4 = t3 + 0x2000000;
    expect(times).toEqual([1000, t1, t2, t3, t4, t4 + 5]);
  });

  it('accumulates timestamps modulo 2^32 (wrap-around after ~49.7 days)', () => {
    const bytes = Buffer.concat([
      chunk({ fmt: 0, csid: 4, ts: 0xfffffff0, length: 1, typeId: 8 }, 'a'),
      chunk({ fmt: 2, csid: 4, ts: 0x20 }, 'b'),
      chunk({ fmt: 3, csid: 4 }, 'c'),
      chunk({ fmt: 2, csid: 4, ts: 0xfffffff0 }, 'd'),
    ]);
    expect(expectSplitInvariant(bytes).map((m) => m.timestamp)).toEqual([0xfffffff0, 0x10, 0x30, 0x20]);
  });

  it('crosses 0xFFFFFF (4 h 39 min) without losing payload bytes', () => {
    const parts = [
      chunk({ fmt: 0, csid: 6, ts: 0xfffff0, length: 200 }, A),
      chunk({ fmt: 3, csid: 6 }, 'b'.repeat(72)),
    ];
    for (let i = 0; i < 3; i++) {
      parts.push(
        chunk({ fmt: 1, csid: 6, ts: 10, length: 200 }, A),
        chunk({ fmt: 3, csid: 6 }, 'b'.repeat(72)),
      );
    }
    const messages = expectSplitInvariant(Buffer.concat(parts));
    expect(messages.map((m) => m.timestamp)).toEqual([0xfffff0, 0xfffffa, 0x1000004, 0x100000e]);
    for (const m of messages) expect(m.payload.toString()).toBe(A + 'b'.repeat(72));
  });
});

describe('ChunkReader: Set Chunk Size and Abort apply immediately (spec 5.4.1, 5.4.2)', () => {
  it('reads the chunks right after Set Chunk Size, in the same push, with the new size', () => {
    const big = 'x'.repeat(3000);
    const bytes = Buffer.concat([setChunkSize(4096), chunk({ fmt: 0, csid: 6, length: 3000 }, big)]);
    const reader = new ChunkReader();
    const messages = reader.push(bytes);
    expect(messages.map((m) => m.typeId)).toEqual([1, 9]);
    expect(messages[1]?.payload.toString()).toBe(big);
    expect(reader.chunkSize).toBe(4096);
    expectSplitInvariant(bytes);
  });

  it('applies a new size in the middle of another message on another csid', () => {
    const bytes = Buffer.concat([
      chunk({ fmt: 0, csid: 6, length: 400 }, A),
      setChunkSize(272),
      chunk({ fmt: 3, csid: 6 }, 'z'.repeat(272)),
    ]);
    expect(expectSplitInvariant(bytes)[1]?.payload.toString()).toBe(A + 'z'.repeat(272));
  });

  it('works at chunk size 1 (where allowed) and above 65536, and ignores the top bit', () => {
    const tiny = Buffer.concat([
      setChunkSize(1),
      chunk({ fmt: 0, csid: 4, length: 3 }, 'a'),
      chunk({ fmt: 3, csid: 4 }, 'b'),
      chunk({ fmt: 3, csid: 4 }, 'c'),
    ]);
    expect(expectSplitInvariant(tiny, { minChunkSize: 1 })[1]?.payload.toString()).toBe('abc');
    const huge = Buffer.concat([
      setChunkSize(0x80000000 + 100_000),
      chunk({ fmt: 0, csid: 4, length: 90_000 }, 'y'.repeat(90_000)),
    ]);
    const reader = new ChunkReader();
    expect(reader.push(huge)[1]?.payload.length).toBe(90_000);
    expect(reader.chunkSize).toBe(100_000);
  });

  it('rejects a chunk size of 0 (also 0x80000000) or a short payload with PROTOCOL_VIOLATION', () => {
    expectRtmpError(() => readAll(setChunkSize(0)), 'PROTOCOL_VIOLATION');
    expectRtmpError(() => readAll(setChunkSize(0x80000000)), 'PROTOCOL_VIOLATION');
    expectRtmpError(
      () => readAll(chunk({ fmt: 0, csid: 2, length: 2, typeId: 1 }, 'ab')),
      'PROTOCOL_VIOLATION',
    );
  });

  it('Abort drops the partial message of that csid, and the next fmt-3 chunk there starts a new one', () => {
    const abort = chunk({ fmt: 0, csid: 2, length: 4, typeId: 2, streamId: 0 }, u32(4));
    const bytes = Buffer.concat([
      chunk({ fmt: 0, csid: 4, ts: 50, length: 130, typeId: 8 }, A),
      abort,
      chunk({ fmt: 3, csid: 4 }, A),
      chunk({ fmt: 3, csid: 4 }, 'zz'),
    ]);
    const messages = expectSplitInvariant(bytes);
    expect(messages.map((m) => [m.typeId, m.timestamp, m.payload.length])).toEqual([
      [2, 0, 4],
      [8, 100, 130],
    ]);
  });
});
