/**
 * Golden tests on a real session: ffmpeg publishing to nginx-rtmp, captured by
 * test/fixtures/rtmp/capture.ts (both directions, byte for byte).
 */
import { describe, it, expect } from 'vitest';
import { AmfEcmaArray, amfProps, decodeAmf0, encodeAmf0 } from '../../../src/media/amf0.js';
import { ChunkReader, type RtmpMessage } from '../../../src/rtmp/chunk-reader.js';
import { encodeChunks } from '../../../src/rtmp/chunk-writer.js';
import {
  MessageType,
  setChunkSizeMessage,
  setPeerBandwidthMessage,
  windowAckSizeMessage,
} from '../../../src/rtmp/control.js';
import { ServerHandshake } from '../../../src/rtmp/handshake.js';
import { c2sChunks, ffmpegC0C1, s2cChunks } from '../../fixtures/rtmp/fixtures.js';
import { prng, randomPieces } from '../../fuzz/mutate.js';

const readAll = (bytes: Buffer): RtmpMessage[] => new ChunkReader().push(bytes);
const c2s = readAll(c2sChunks);
const s2c = readAll(s2cChunks);

const isAmf = (m: RtmpMessage): boolean =>
  m.typeId === MessageType.commandAmf0 || m.typeId === MessageType.dataAmf0;
const commandNames = (messages: RtmpMessage[]): unknown[] =>
  messages.filter((m) => m.typeId === MessageType.commandAmf0).map((m) => decodeAmf0(m.payload)[0]);

/** Compact, comparable form: payloads as hex digests would hide which field differs, so keep them whole. */
function same(a: RtmpMessage[], b: RtmpMessage[]): boolean {
  if (a.length !== b.length) return false;
  return a.every((m, i) => {
    const o = b[i];
    return (
      o !== undefined &&
      m.typeId === o.typeId &&
      m.streamId === o.streamId &&
      m.timestamp === o.timestamp &&
      m.payload.equals(o.payload)
    );
  });
}

describe('captured ffmpeg -> nginx-rtmp publish session', () => {
  it("detects the digest (FP9) handshake in ffmpeg's C1", () => {
    expect(ffmpegC0C1.readUInt8(0)).toBe(3);
    expect(ffmpegC0C1.readUInt32BE(5)).toBe(0x09007c02); // ffmpeg's claimed Flash Player version
    const handshake = new ServerHandshake();
    handshake.push(ffmpegC0C1);
    expect(handshake.mode).toBe('digest');
  });

  it('reads the publisher command sequence in order', () => {
    expect(commandNames(c2s)).toEqual([
      'connect',
      'releaseStream',
      'FCPublish',
      'createStream',
      'publish',
      'FCUnpublish',
      'deleteStream',
    ]);
    const connect = decodeAmf0(c2s[0]?.payload ?? Buffer.alloc(0));
    expect(connect.slice(0, 2)).toEqual(['connect', 1]);
    const props = amfProps(connect[2]);
    expect(props).toMatchObject({ app: 'live', type: 'nonprivate' });
    expect(props?.tcUrl).toMatch(/^rtmp:\/\/127\.0\.0\.1:\d+\/live$/);
    const publish = c2s.find(
      (m) => m.typeId === MessageType.commandAmf0 && decodeAmf0(m.payload)[0] === 'publish',
    );
    expect(publish?.streamId).toBe(1);
    expect(decodeAmf0(publish?.payload ?? Buffer.alloc(0))).toEqual(['publish', 5, null, 'key', 'live']);
  });

  it('ffmpeg sends Set Chunk Size 4096 after connect (unlike OBS), and the reader applies it', () => {
    expect(c2s.map((m) => m.typeId).slice(0, 2)).toEqual([MessageType.commandAmf0, MessageType.setChunkSize]);
    const reader = new ChunkReader();
    reader.push(c2sChunks);
    expect(reader.chunkSize).toBe(4096);
    expect(reader.bytesRead).toBe(c2sChunks.length);
  });

  it('reads @setDataFrame onMetaData as an ECMA array with the stream parameters', () => {
    const data = c2s.filter((m) => m.typeId === MessageType.dataAmf0);
    expect(data).toHaveLength(1);
    const [name, event, meta] = decodeAmf0(data[0]?.payload ?? Buffer.alloc(0));
    expect([name, event]).toEqual(['@setDataFrame', 'onMetaData']);
    expect(meta).toBeInstanceOf(AmfEcmaArray);
    expect(amfProps(meta)).toMatchObject({
      width: 320,
      height: 240,
      framerate: 30,
      videocodecid: 7,
      audiocodecid: 10,
    });
  });

  it('carries ~3 s of AAC + H.264 on stream 1 with per-track non-decreasing timestamps', () => {
    const audio = c2s.filter((m) => m.typeId === MessageType.audio);
    const video = c2s.filter((m) => m.typeId === MessageType.video);
    expect(audio.length).toBeGreaterThan(100);
    expect(video.length).toBeGreaterThan(80);
    expect(video[0]?.payload.subarray(0, 2)).toEqual(Buffer.from([0x17, 0x00])); // AVC sequence header
    expect(audio[0]?.payload.subarray(0, 2)).toEqual(Buffer.from([0xaf, 0x00])); // AAC sequence header
    for (const track of [audio, video]) {
      expect(track.every((m) => m.streamId === 1)).toBe(true);
      const times = track.map((m) => m.timestamp);
      expect(times).toEqual([...times].sort((x, y) => x - y));
      expect(times.at(-1)).toBeGreaterThan(2500);
    }
  });

  it("reads nginx-rtmp's answers", () => {
    expect(s2c.map((m) => m.typeId).slice(0, 3)).toEqual([5, 6, 1]);
    expect(s2c[0]).toEqual(windowAckSizeMessage(5_000_000));
    expect(s2c[1]).toEqual(setPeerBandwidthMessage(5_000_000, 2));
    expect(s2c[2]).toEqual(setChunkSizeMessage(4096));
    const answers = s2c.filter((m) => m.typeId === MessageType.commandAmf0).map((m) => decodeAmf0(m.payload));
    expect(answers[0]?.[0]).toBe('_result');
    expect(amfProps(answers[0]?.[3])).toMatchObject({ code: 'NetConnection.Connect.Success' });
    expect(answers[1]).toEqual(['_result', 4, null, 1]);
    expect(amfProps(answers[2]?.[3])).toMatchObject({ code: 'NetStream.Publish.Start' });
  });

  it('re-encodes every AMF payload of both directions byte for byte: encode(decode(raw)) == raw', () => {
    const amf = [...c2s, ...s2c].filter(isAmf);
    expect(amf.length).toBeGreaterThanOrEqual(11);
    for (const m of amf)
      expect(encodeAmf0(...decodeAmf0(m.payload)).toString('hex')).toBe(m.payload.toString('hex'));
  });
});

describe('chunk reassembly of the capture, however it is split', () => {
  it('gives the same messages when the first 20 KB is split at every byte offset', () => {
    const prefix = c2sChunks.subarray(0, 20_000);
    const whole = readAll(prefix);
    expect(whole.length).toBeGreaterThan(10);
    for (let at = 1; at < prefix.length; at++) {
      const reader = new ChunkReader();
      const got = [...reader.push(prefix.subarray(0, at)), ...reader.push(prefix.subarray(at))];
      if (!same(got, whole)) expect.fail(`split at ${at} changed the messages`);
    }
  });

  it('gives the same messages fed one byte at a time', () => {
    for (const [bytes, expected] of [
      [c2sChunks, c2s],
      [s2cChunks, s2c],
    ] as const) {
      const reader = new ChunkReader();
      const got: RtmpMessage[] = [];
      for (let i = 0; i < bytes.length; i++) got.push(...reader.push(bytes.subarray(i, i + 1)));
      expect(same(got, expected)).toBe(true);
    }
  });

  it('gives the same messages for 50 seeded random splits of each direction', () => {
    for (let seed = 1; seed <= 50; seed++) {
      const random = prng(seed);
      for (const [bytes, expected] of [
        [c2sChunks, c2s],
        [s2cChunks, s2c],
      ] as const) {
        const reader = new ChunkReader();
        const got = randomPieces(bytes, random).flatMap((piece) => reader.push(piece));
        if (!same(got, expected)) expect.fail(`seed ${seed} changed the messages`);
      }
    }
  });
});

describe('chunk writer against the capture', () => {
  it("encodes ffmpeg's connect exactly as ffmpeg chunked it (fmt 0 + fmt 3 on csid 3 at 128)", () => {
    const connect = c2s[0];
    if (connect === undefined) throw new Error('no connect');
    const ours = encodeChunks(connect, 3, 128);
    expect(ours.toString('hex')).toBe(c2sChunks.subarray(0, ours.length).toString('hex'));
  });

  it("re-encodes nginx-rtmp's whole server stream byte for byte (nginx sends fmt 0 only)", () => {
    let chunkSize = 128;
    const parts = s2c.map((m) => {
      const csid = m.typeId !== MessageType.commandAmf0 ? 2 : m.streamId === 0 ? 3 : 5;
      const bytes = encodeChunks(m, csid, chunkSize);
      if (m.typeId === MessageType.setChunkSize) chunkSize = m.payload.readUInt32BE(0);
      return bytes;
    });
    expect(Buffer.concat(parts).toString('hex')).toBe(s2cChunks.toString('hex'));
  });

  it('reads back what it wrote for the whole publish session, at chunk sizes 128 and 4096', () => {
    for (const size of [128, 4096]) {
      let chunkSize = 128;
      const parts = c2s.map((m) => {
        const message = m.typeId === MessageType.setChunkSize ? setChunkSizeMessage(size) : m;
        const bytes = encodeChunks(message, m.typeId === MessageType.audio ? 4 : 6, chunkSize);
        if (m.typeId === MessageType.setChunkSize) chunkSize = size;
        return bytes;
      });
      const back = readAll(Buffer.concat(parts));
      expect(
        same(
          back.filter((m) => m.typeId !== 1),
          c2s.filter((m) => m.typeId !== 1),
        ),
      ).toBe(true);
    }
  });
});
