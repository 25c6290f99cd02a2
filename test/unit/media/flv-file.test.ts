import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { MediaError } from '../../../src/media/errors.js';
import { flvHeader, flvTag, readFlv } from '../../../src/media/flv-file.js';

const fixture = readFileSync(
  fileURLToPath(new URL('../../fixtures/media/h264-main-426x240-aac48-mono.flv', import.meta.url)),
);

describe('flvHeader', () => {
  it('writes signature, version, flags, DataOffset 9 and PreviousTagSize0', () => {
    expect(flvHeader(true, true)).toEqual(Buffer.from([0x46, 0x4c, 0x56, 1, 5, 0, 0, 0, 9, 0, 0, 0, 0]));
    expect(flvHeader(true, false).readUInt8(4)).toBe(4);
    expect(flvHeader(false, true).readUInt8(4)).toBe(1);
  });
});

describe('flvTag', () => {
  it('lays out type, size, 24-bit timestamp + extension, stream id 0, payload, PreviousTagSize', () => {
    const tag = flvTag({ kind: 'video', timestamp: 0x12345678, payload: Buffer.from([0x17, 1]) });
    expect(tag).toEqual(Buffer.from([9, 0, 0, 2, 0x34, 0x56, 0x78, 0x12, 0, 0, 0, 0x17, 1, 0, 0, 0, 13]));
    expect(flvTag({ kind: 'audio', timestamp: 0, payload: Buffer.alloc(0) }).readUInt8(0)).toBe(8);
    expect(flvTag({ kind: 'data', timestamp: 0, payload: Buffer.alloc(0) }).readUInt8(0)).toBe(18);
  });

  it('reduces timestamps to 32 bits', () => {
    const [tag] = readFlv(
      Buffer.concat([
        flvHeader(false, true),
        flvTag({ kind: 'video', timestamp: 2 ** 32 + 40, payload: Buffer.from([0x27]) }),
      ]),
    ).tags;
    expect(tag?.timestamp).toBe(40);
  });

  it('refuses a payload over the 24-bit DataSize', () => {
    expect(() => flvTag({ kind: 'video', timestamp: 0, payload: Buffer.alloc(0x1000000) })).toThrow(
      MediaError,
    );
  });
});

describe('readFlv', () => {
  it('reads the extended timestamp byte as bits 31-24', () => {
    const bytes = Buffer.concat([
      flvHeader(true, false),
      flvTag({ kind: 'audio', timestamp: 0xfeffffff, payload: Buffer.from([0xaf, 1, 2]) }),
    ]);
    expect(readFlv(bytes)).toEqual({
      hasAudio: true,
      hasVideo: false,
      tags: [{ kind: 'audio', timestamp: 0xfeffffff, payload: Buffer.from([0xaf, 1, 2]) }],
      truncated: false,
    });
  });

  it('honours a DataOffset past 9, and skips tags of other types and filtered (encrypted) tags', () => {
    const header = Buffer.from([0x46, 0x4c, 0x56, 1, 1, 0, 0, 0, 12, 0xaa, 0xbb, 0xcc, 0, 0, 0, 0]);
    const odd = flvTag({ kind: 'video', timestamp: 1, payload: Buffer.from([1]) });
    odd.writeUInt8(15, 0);
    const filtered = flvTag({ kind: 'video', timestamp: 2, payload: Buffer.from([2]) });
    filtered.writeUInt8(0x20 | 9, 0);
    const kept = flvTag({ kind: 'video', timestamp: 3, payload: Buffer.from([0x17]) });
    const { tags } = readFlv(Buffer.concat([header, odd, filtered, kept]));
    expect(tags.map((t) => t.timestamp)).toEqual([3]);
  });

  it.each([
    ['empty', Buffer.alloc(0)],
    ['short', Buffer.from('FLV')],
    ['bad signature', Buffer.from('FLX\x01\x05\x00\x00\x00\x09\x00\x00\x00\x00', 'latin1')],
    ['DataOffset < 9', Buffer.from('FLV\x01\x05\x00\x00\x00\x05\x00\x00\x00\x00', 'latin1')],
    ['DataOffset past the end', Buffer.from('FLV\x01\x05\x00\x00\x10\x00\x00\x00\x00\x00', 'latin1')],
    ['an MP4', Buffer.from('\x00\x00\x00\x20ftypisom', 'latin1')],
  ])('throws FLV_MALFORMED on %s', (_name, bytes) => {
    expect(() => readFlv(bytes)).toThrow(
      expect.objectContaining({ name: 'MediaError', code: 'FLV_MALFORMED' }),
    );
  });

  it('cut anywhere: returns the whole tags before the cut and flags the truncation', () => {
    const full = readFlv(fixture);
    const ends = new Set<number>([13]);
    let pos = 13;
    for (const tag of full.tags) {
      pos += 11 + tag.payload.length + 4;
      ends.add(pos);
    }
    // every offset through the first tags, then each tag boundary ± 4 and a stride through the rest
    const cuts = new Set<number>();
    for (let cut = 9; cut < Math.min(fixture.length, 1200); cut++) cuts.add(cut);
    for (const end of ends) for (let d = -15; d <= 4; d++) cuts.add(end + d);
    for (let cut = 1200; cut < fixture.length; cut += 37) cuts.add(cut);
    for (const cut of [...cuts].filter((c) => c >= 9 && c < fixture.length)) {
      const partial = readFlv(fixture.subarray(0, cut));
      expect(partial.truncated).toBe(!ends.has(cut));
      // a tag whose data is whole but whose PreviousTagSize is cut is kept
      const whole = [...ends].filter((e) => e - 4 <= cut && e > 13).length;
      expect(partial.tags).toHaveLength(whole);
      const last = partial.tags.at(-1);
      if (last) expect(last.payload.equals(full.tags[whole - 1]!.payload)).toBe(true);
    }
  });
});
