import { describe, it, expect } from 'vitest';
import { ChunkReader, type RtmpMessage } from '../../../src/rtmp/chunk-reader.js';
import { Csid, encodeChunks } from '../../../src/rtmp/chunk-writer.js';
import { setChunkSizeMessage } from '../../../src/rtmp/control.js';

const message = (payload: Buffer | string, timestamp = 0, typeId = 9, streamId = 1): RtmpMessage => ({
  typeId,
  streamId,
  timestamp,
  payload: typeof payload === 'string' ? Buffer.from(payload) : payload,
});

function readBack(bytes: Buffer, chunkSize: number): RtmpMessage[] {
  // The writer must work at any size; the reader refuses sizes below 128 unless told otherwise.
  const reader = new ChunkReader({ minChunkSize: 1 });
  if (chunkSize !== 128) reader.push(encodeChunks(setChunkSizeMessage(chunkSize), Csid.control, 128));
  return reader.push(bytes);
}

describe('encodeChunks (spec 5.3)', () => {
  it('writes a one-chunk fmt-0 message: | 0x06 | ts u24 | length u24 | type | stream id LE | data |', () => {
    const bytes = encodeChunks(message('abc', 0x123456, 8, 0x01020304), 6, 128);
    expect(bytes.toString('hex')).toBe('06' + '123456' + '000003' + '08' + '04030201' + '616263');
  });

  it('continues with one-byte fmt-3 headers at the chunk size', () => {
    const payload = Buffer.alloc(300, 0x61);
    const bytes = encodeChunks(message(payload), 4, 128);
    expect(bytes.length).toBe(12 + 128 + 1 + 128 + 1 + 44);
    expect(bytes.readUInt8(12 + 128)).toBe(0xc4);
    expect(bytes.readUInt8(12 + 128 + 1 + 128)).toBe(0xc4);
    expect(readBack(bytes, 128)[0]?.payload.equals(payload)).toBe(true);
  });

  it('does not add an empty chunk when the payload is an exact multiple of the chunk size', () => {
    expect(encodeChunks(message(Buffer.alloc(256)), 4, 128).length).toBe(12 + 256 + 1);
    expect(encodeChunks(message(Buffer.alloc(0)), 4, 128).length).toBe(12);
  });

  it('puts a timestamp >= 0xFFFFFF in the extended field and repeats it on every continuation', () => {
    const ts = 0x01234567;
    const bytes = encodeChunks(message(Buffer.alloc(200, 0x62), ts), 6, 128);
    expect(bytes.readUIntBE(1, 3)).toBe(0xffffff);
    expect(bytes.readUInt32BE(12)).toBe(ts);
    expect(bytes.readUInt8(16 + 128)).toBe(0xc6);
    expect(bytes.readUInt32BE(16 + 128 + 1)).toBe(ts);
    expect(bytes.length).toBe(16 + 128 + 5 + 72);
    const [m] = readBack(bytes, 128);
    expect(m?.timestamp).toBe(ts);
    expect(m?.payload.equals(Buffer.alloc(200, 0x62))).toBe(true);
    expect(encodeChunks(message('x', 0xffffff), 6, 128).readUInt32BE(12)).toBe(0xffffff);
    expect(encodeChunks(message('x', 0xfffffe), 6, 128).length).toBe(13);
  });

  it('reduces timestamps modulo 2^32', () => {
    expect(readBack(encodeChunks(message('x', 2 ** 32 + 5), 6, 128), 128)[0]?.timestamp).toBe(5);
    expect(readBack(encodeChunks(message('x', 2 ** 33 + 2 ** 31), 6, 128), 128)[0]?.timestamp).toBe(2 ** 31);
  });

  it('writes 1-, 2- and 3-byte basic headers and reads them back', () => {
    const expected: [number, string][] = [
      [2, '02'],
      [63, '3f'],
      [64, '0000'],
      [319, '00ff'],
      [320, '01' + '0001'],
      [65599, '01' + 'ffff'],
    ];
    for (const [csid, header] of expected) {
      const bytes = encodeChunks(message(Buffer.alloc(130)), csid, 128);
      expect(bytes.subarray(0, header.length / 2).toString('hex')).toBe(header);
      const basic = header.length / 2;
      expect(bytes.subarray(basic + 11 + 128, basic + 11 + 128 + basic).toString('hex')).toBe(
        ((0xc0 | parseInt(header.slice(0, 2), 16)) & 0xff).toString(16) + header.slice(2),
      );
      expect(readBack(bytes, 128)[0]?.payload.length).toBe(130);
    }
  });

  it('round-trips through the reader at chunk sizes 1, 128, 4096 and 65536+', () => {
    const payload = Buffer.from(Array.from({ length: 70_000 }, (_, i) => i % 251));
    for (const size of [1, 128, 4096, 65_536, 100_000]) {
      const m = message(size === 1 ? payload.subarray(0, 1000) : payload, 77);
      const [back] = readBack(encodeChunks(m, Csid.video, size), size);
      expect(back?.payload.equals(m.payload), `chunk size ${size}`).toBe(true);
      expect(back?.timestamp).toBe(77);
    }
  });

  it('allocates exactly the bytes it writes (one Buffer per message)', () => {
    for (const [len, size, ts] of [
      [0, 128, 0],
      [1, 1, 0xffffff],
      [5000, 4096, 1],
      [8192, 4096, 0x7fffffff],
    ] as const) {
      const chunks = Math.max(1, Math.ceil(len / size));
      const ext = ts >= 0xffffff ? 4 : 0;
      expect(encodeChunks(message(Buffer.alloc(len), ts), 3, size).length).toBe(
        11 + len + chunks * (1 + ext),
      );
    }
  });

  it('refuses arguments it cannot encode with RangeError', () => {
    expect(() => encodeChunks(message('x'), 1, 128)).toThrow(RangeError);
    expect(() => encodeChunks(message('x'), 65600, 128)).toThrow(RangeError);
    expect(() => encodeChunks(message('x'), 3, 0)).toThrow(RangeError);
    expect(() => encodeChunks(message(Buffer.alloc(0x1000000)), 3, 4096)).toThrow(RangeError);
  });

  it('names distinct chunk stream ids with control on 2', () => {
    expect(Csid.control).toBe(2);
    expect(new Set(Object.values(Csid)).size).toBe(Object.keys(Csid).length);
  });
});
