import { describe, it, expect } from 'vitest';
import { ChunkReader } from '../../../src/rtmp/chunk-reader.js';
import {
  A,
  B,
  basicHeader,
  chunk,
  expectRtmpError,
  expectSplitInvariant,
  readAll,
  summary,
} from '../../fixtures/rtmp/chunks.js';

describe('ChunkReader: headers (spec 5.3.1)', () => {
  it('reads a one-chunk fmt-0 message, stream id little endian', () => {
    const [m] = readAll(
      chunk({ fmt: 0, csid: 4, ts: 1234, length: 3, typeId: 8, streamId: 0x01020304 }, 'abc'),
    );
    expect(m).toMatchObject({ typeId: 8, streamId: 0x01020304, timestamp: 1234 });
    expect(m?.payload.toString()).toBe('abc');
  });

  it('reassembles fmt-3 continuation chunks at the default chunk size of 128', () => {
    const bytes = Buffer.concat([
      chunk({ fmt: 0, csid: 6, ts: 10, length: 300 }, A),
      chunk({ fmt: 3, csid: 6 }, B),
      chunk({ fmt: 3, csid: 6 }, 'c'.repeat(44)),
    ]);
    const [m] = expectSplitInvariant(bytes);
    expect(m?.payload.toString()).toBe(A + B + 'c'.repeat(44));
  });

  it('applies fmt 1 and fmt 2 deltas, and a fmt-3 chunk that starts a new message repeats the delta', () => {
    const bytes = Buffer.concat([
      chunk({ fmt: 0, csid: 4, ts: 40, length: 1, typeId: 8 }, 'a'),
      chunk({ fmt: 1, csid: 4, ts: 33, length: 2, typeId: 9 }, 'bb'),
      chunk({ fmt: 2, csid: 4, ts: 20 }, 'cc'),
      chunk({ fmt: 3, csid: 4 }, 'dd'),
    ]);
    const messages = expectSplitInvariant(bytes);
    expect(messages.map((m) => [m.typeId, m.timestamp, m.streamId, m.payload.toString()])).toEqual([
      [8, 40, 1, 'a'],
      [9, 73, 1, 'bb'],
      [9, 93, 1, 'cc'],
      [9, 113, 1, 'dd'],
    ]);
  });

  it('after fmt 0, a fmt-3 new message adds the fmt-0 timestamp as its delta (spec 5.3.1.2.4)', () => {
    const bytes = Buffer.concat([
      chunk({ fmt: 0, csid: 5, ts: 100, length: 1 }, 'a'),
      chunk({ fmt: 3, csid: 5 }, 'b'),
    ]);
    expect(readAll(bytes).map((m) => m.timestamp)).toEqual([100, 200]);
  });

  it('reads 2-byte and 3-byte basic headers (csid = 64 + b1 + b2 * 256)', () => {
    for (const csid of [63, 64, 319, 320, 1000, 65599]) {
      const bytes = Buffer.concat([chunk({ fmt: 0, csid, length: 130 }, A), chunk({ fmt: 3, csid }, 'zz')]);
      expect(expectSplitInvariant(bytes)[0]?.payload.toString()).toBe(A + 'zz');
    }
    expect(basicHeader(0, 65599)).toEqual(Buffer.from([0x01, 0xff, 0xff]));
  });

  it('accepts fmt 1 on a new chunk stream (librtmp does this on csid 2), stream id 0', () => {
    const [m] = readAll(chunk({ fmt: 1, csid: 2, ts: 5, length: 1, typeId: 4 }, 'x'));
    expect(m).toMatchObject({ typeId: 4, streamId: 0, timestamp: 5 });
  });

  it('keeps per-csid state while chunks of two messages interleave', () => {
    const bytes = Buffer.concat([
      chunk({ fmt: 0, csid: 6, ts: 0, length: 256, typeId: 9 }, A),
      chunk({ fmt: 0, csid: 4, ts: 7, length: 129, typeId: 8 }, B),
      chunk({ fmt: 3, csid: 6 }, A),
      chunk({ fmt: 3, csid: 4 }, 'b'),
    ]);
    const messages = expectSplitInvariant(bytes);
    expect(messages.map((m) => [m.typeId, m.timestamp, m.payload.length])).toEqual([
      [9, 0, 256],
      [8, 7, 129],
    ]);
  });

  it('emits zero-length messages', () => {
    const bytes = Buffer.concat([
      chunk({ fmt: 0, csid: 3, length: 0, typeId: 20 }),
      chunk({ fmt: 3, csid: 3 }),
    ]);
    expect(readAll(bytes).map((m) => m.payload.length)).toEqual([0, 0]);
  });

  it('abandons an unfinished message when a new fmt 0/1/2 header arrives on its csid (as ffmpeg does)', () => {
    const bytes = Buffer.concat([
      chunk({ fmt: 0, csid: 4, length: 200 }, A),
      chunk({ fmt: 1, csid: 4, ts: 1, length: 2, typeId: 8 }, 'ok'),
    ]);
    expect(summary(readAll(bytes))).toEqual([{ typeId: 8, streamId: 1, timestamp: 1, payload: 'ok' }]);
  });

  it('returns a one-chunk payload as a view of the input and copies multi-chunk payloads once', () => {
    const one = chunk({ fmt: 0, csid: 4, length: 3 }, 'abc');
    const [single] = readAll(one);
    one.fill(0x5a);
    expect(single?.payload.toString()).toBe('ZZZ'); // a view: pushed buffers must not be reused
    const two = Buffer.concat([chunk({ fmt: 0, csid: 4, length: 130 }, A), chunk({ fmt: 3, csid: 4 }, 'zz')]);
    const [joined] = readAll(two);
    two.fill(0x5a);
    expect(joined?.payload.toString()).toBe(A + 'zz');
  });

  it('counts every byte fed in bytesRead', () => {
    const reader = new ChunkReader();
    reader.push(Buffer.from([0x04, 0x00]));
    reader.push(Buffer.alloc(0));
    reader.push(Buffer.alloc(5));
    expect(reader.bytesRead).toBe(7);
  });
});

describe('ChunkReader: limits, always as RtmpError', () => {
  it('rejects a declared length above maxMessageBytes before buffering it', () => {
    const reader = new ChunkReader({ maxMessageBytes: 1000 });
    expect(reader.push(chunk({ fmt: 0, csid: 4, length: 1000 }, A))).toEqual([]);
    expectRtmpError(
      () => readAll(chunk({ fmt: 0, csid: 4, length: 1001 }), { maxMessageBytes: 1000 }),
      'MESSAGE_TOO_LARGE',
    );
    expectRtmpError(
      () => readAll(chunk({ fmt: 1, csid: 4, length: 0xffffff }), { maxMessageBytes: 1 << 20 }),
      'MESSAGE_TOO_LARGE',
    );
  });

  it('rejects fmt 2 or fmt 3 on a chunk stream never introduced', () => {
    expectRtmpError(() => readAll(chunk({ fmt: 2, csid: 4 }, 'a')), 'CHUNK_MALFORMED');
    expectRtmpError(() => readAll(chunk({ fmt: 3, csid: 4 }, 'a')), 'CHUNK_MALFORMED');
  });

  it('bounds the number of chunk streams', () => {
    const bytes = Buffer.concat(
      Array.from({ length: 9 }, (_, i) => chunk({ fmt: 0, csid: 10 + i, length: 0 })),
    );
    expect(readAll(bytes, { maxChunkStreams: 9 })).toHaveLength(9);
    expectRtmpError(() => readAll(bytes, { maxChunkStreams: 8 }), 'PROTOCOL_VIOLATION');
  });

  it('keeps failing with the same error once broken', () => {
    const reader = new ChunkReader();
    expectRtmpError(() => reader.push(chunk({ fmt: 3, csid: 9 })), 'CHUNK_MALFORMED');
    expectRtmpError(() => reader.push(chunk({ fmt: 0, csid: 4, length: 1 }, 'a')), 'CHUNK_MALFORMED');
  });
});
