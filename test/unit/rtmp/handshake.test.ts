import { createHmac, randomBytes } from 'node:crypto';
import { describe, it, expect } from 'vitest';
import { RtmpError } from '../../../src/rtmp/errors.js';
import { ClientHandshake, ServerHandshake, type HandshakeStep } from '../../../src/rtmp/handshake.js';
import { ffmpegC0C1, nginxS0S1S2, publishC2s, publishS2c } from '../../fixtures/rtmp/fixtures.js';

/*
 * An independent re-statement of the checks ffmpeg's client makes (libavformat/rtmpproto.c,
 * rtmp_handshake + rtmp_validate_digest), so the server is judged by the peer's rules, not its own code.
 */
const TAIL = Buffer.from('f0eec24a8068bee82e00d0d1029e7e576eec5d2d29806fab93b8e636cfeb31ae', 'hex');
const FP_KEY = Buffer.concat([Buffer.from('Genuine Adobe Flash Player 001'), TAIL]);
const FMS_KEY = Buffer.concat([Buffer.from('Genuine Adobe Flash Media Server 001'), TAIL]);
const SIZE = 1536;

const hmac = (key: Buffer, ...parts: Buffer[]): Buffer => {
  const h = createHmac('sha256', key);
  for (const p of parts) h.update(p);
  return h.digest();
};
const digestPos = (packet: Buffer, base: number): number =>
  (((packet[base] ?? 0) + (packet[base + 1] ?? 0) + (packet[base + 2] ?? 0) + (packet[base + 3] ?? 0)) %
    728) +
  base +
  4;
/** Position of a valid digest keyed by `key` with the digest block at 772 or 8, as ffmpeg tries them. */
function findDigest(packet: Buffer, key: Buffer): number | undefined {
  for (const base of [772, 8]) {
    const pos = digestPos(packet, base);
    const expected = hmac(key, packet.subarray(0, pos), packet.subarray(pos + 32));
    if (expected.equals(packet.subarray(pos, pos + 32))) return pos;
  }
  return undefined;
}
/** ffmpeg's "Signature mismatch" check on S2, given the client's C1 digest. */
function s2SignatureValid(s2: Buffer, clientDigest: Buffer): boolean {
  const key = hmac(FMS_KEY, clientDigest);
  return hmac(key, s2.subarray(0, SIZE - 32)).equals(s2.subarray(SIZE - 32));
}
function clientDigestOf(c1: Buffer): Buffer {
  const pos = findDigest(c1, FP_KEY.subarray(0, 30));
  if (pos === undefined) throw new Error('C1 has no digest');
  return c1.subarray(pos, pos + 32);
}

/** A C1 carrying a valid Flash Player digest with its digest block at `base` (8 = schema 1, 772 = schema 0). */
function digestC1(base: number): Buffer {
  const c1 = randomBytes(SIZE);
  c1.writeUInt32BE(0x0a000000, 4);
  const pos = digestPos(c1, base);
  hmac(FP_KEY.subarray(0, 30), c1.subarray(0, pos), c1.subarray(pos + 32)).copy(c1, pos);
  return c1;
}

function answer(c0c1: Buffer): { server: ServerHandshake; s0: number; s1: Buffer; s2: Buffer } {
  const server = new ServerHandshake();
  const step = server.push(c0c1);
  expect(step.done).toBe(false);
  const out = Buffer.concat(step.send);
  expect(out.length).toBe(1 + 2 * SIZE);
  return { server, s0: out.readUInt8(0), s1: out.subarray(1, 1 + SIZE), s2: out.subarray(1 + SIZE) };
}

function expectHandshakeFailed(fn: () => unknown): void {
  expect(fn).toThrow(RtmpError);
  expect(fn).toThrow(/version/);
}

describe('the test oracle agrees with real peers', () => {
  it("finds ffmpeg's C1 digest, and nginx-rtmp's S1 digest and S2 signature", () => {
    const c1 = ffmpegC0C1.subarray(1);
    expect(findDigest(c1, FP_KEY.subarray(0, 30))).toBeDefined();
    const s1 = nginxS0S1S2.subarray(1, 1 + SIZE);
    const s2 = nginxS0S1S2.subarray(1 + SIZE);
    expect(findDigest(s1, FMS_KEY.subarray(0, 36))).toBeDefined();
    expect(s2SignatureValid(s2, clientDigestOf(c1))).toBe(true);
  });
});

describe('ServerHandshake (spec 5.2 + FP9 digest)', () => {
  it("answers ffmpeg's digest C1 with a digest S1 (version >= 3) and a signed S2 that ffmpeg accepts", () => {
    const { server, s0, s1, s2 } = answer(ffmpegC0C1);
    expect(server.mode).toBe('digest');
    expect(s0).toBe(3);
    expect(s1.readUInt8(4)).toBeGreaterThanOrEqual(3);
    expect(s1.readUInt32BE(4)).toBe(0x0d0e0a0d);
    expect(findDigest(s1, FMS_KEY.subarray(0, 36))).toBeDefined();
    expect(s2SignatureValid(s2, clientDigestOf(ffmpegC0C1.subarray(1)))).toBe(true);
  });

  it('detects both digest schemas and places its own digest in the same schema', () => {
    for (const base of [8, 772]) {
      const c1 = digestC1(base);
      const { server, s1, s2 } = answer(Buffer.concat([Buffer.from([3]), c1]));
      expect(server.mode).toBe('digest');
      const pos = findDigest(s1, FMS_KEY.subarray(0, 36));
      expect(pos).toBe(digestPos(s1, base));
      expect(s2SignatureValid(s2, clientDigestOf(c1))).toBe(true);
    }
  });

  it('answers a plain C1 with a zero-version S1 and S2 = echo of C1', () => {
    const c1 = randomBytes(SIZE);
    c1.writeUInt32BE(0, 4);
    const { server, s1, s2 } = answer(Buffer.concat([Buffer.from([3]), c1]));
    expect(server.mode).toBe('plain');
    expect(s1.readUInt32BE(4)).toBe(0);
    expect(s2.equals(c1)).toBe(true);
  });

  it('treats a C1 with a version but a wrong digest as plain', () => {
    const c1 = digestC1(8);
    c1.writeUInt8(c1.readUInt8(100) ^ 1, 100);
    c1.writeUInt8(c1.readUInt8(900) ^ 1, 900);
    expect(answer(Buffer.concat([Buffer.from([3]), c1])).server.mode).toBe('plain');
  });

  it('rejects a C0 other than 3 (6 is RTMPE) as soon as the first byte arrives', () => {
    for (const version of [0, 6, 8, 0x47]) {
      const err = ((): unknown => {
        try {
          new ServerHandshake().push(Buffer.from([version]));
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(err).toBeInstanceOf(RtmpError);
      expect((err as RtmpError).code).toBe('HANDSHAKE_FAILED');
    }
  });

  it('does not require C2 to echo S1, and hands over the bytes after C2', () => {
    const server = new ServerHandshake();
    server.push(ffmpegC0C1);
    const step = server.push(Buffer.concat([randomBytes(SIZE), Buffer.from('chunks')]));
    expect(step).toEqual({ send: [], done: true, rest: Buffer.from('chunks') });
    expect(server.push(Buffer.from('more')).rest.toString()).toBe('more');
  });

  it('behaves the same when the client bytes are split at every offset', () => {
    const input = Buffer.concat([publishC2s.subarray(0, 1 + 2 * SIZE), Buffer.from('after')]);
    for (let at = 0; at <= input.length; at++) {
      const server = new ServerHandshake();
      const steps: HandshakeStep[] = [server.push(input.subarray(0, at)), server.push(input.subarray(at))];
      const sent = steps.flatMap((s) => s.send);
      expect(sent.length).toBe(1);
      expect(sent[0]?.length).toBe(1 + 2 * SIZE);
      expect(steps[0]?.send.length).toBe(at >= 1 + SIZE ? 1 : 0);
      expect(steps[0]?.done).toBe(at >= 1 + 2 * SIZE);
      expect(steps[1]?.done).toBe(true);
      expect(Buffer.concat(steps.map((s) => s.rest)).toString()).toBe('after');
    }
  });
});

describe('ClientHandshake', () => {
  it('starts with C0 = 3 and a plain C1 (time, zero, random)', () => {
    const c0c1 = new ClientHandshake().start();
    expect(c0c1.length).toBe(1 + SIZE);
    expect(c0c1.readUInt8(0)).toBe(3);
    expect(c0c1.readUInt32BE(5)).toBe(0);
  });

  it("completes against nginx-rtmp's captured answer, C2 echoing S1, split at every offset", () => {
    const s1 = nginxS0S1S2.subarray(1, 1 + SIZE);
    const tail = publishS2c.subarray(nginxS0S1S2.length, nginxS0S1S2.length + 40);
    const input = Buffer.concat([nginxS0S1S2, tail]);
    for (let at = 0; at <= input.length; at++) {
      const client = new ClientHandshake();
      client.start();
      const steps = [client.push(input.subarray(0, at)), client.push(input.subarray(at))];
      const sent = steps.flatMap((s) => s.send);
      expect(sent).toHaveLength(1);
      expect(sent[0]?.equals(s1)).toBe(true);
      expect(steps[1]?.done).toBe(true);
      expect(Buffer.concat(steps.map((s) => s.rest)).equals(tail)).toBe(true);
    }
  });

  it("does not require S1 bytes 4-7 to be zero (YouTube sends 0x04000001) and doesn't check S2", () => {
    const s1 = randomBytes(SIZE);
    s1.writeUInt32BE(0x04000001, 4);
    const client = new ClientHandshake();
    const step = client.push(Buffer.concat([Buffer.from([3]), s1, randomBytes(SIZE)]));
    expect(step.done).toBe(true);
    expect(step.send[0]?.equals(s1)).toBe(true);
  });

  it('rejects an S0 other than 3', () => {
    expectHandshakeFailed(() => new ClientHandshake().push(Buffer.from([6, 0, 0])));
  });

  it('completes against ServerHandshake in memory, handing over the first chunk bytes both ways', () => {
    const client = new ClientHandshake();
    const server = new ServerHandshake();
    const s = server.push(client.start());
    const c = client.push(Buffer.concat([...s.send, Buffer.from('srv')]));
    expect(c.done).toBe(true);
    expect(c.rest.toString()).toBe('srv');
    const end = server.push(Buffer.concat([...c.send, Buffer.from('cli')]));
    expect(end.done).toBe(true);
    expect(end.rest.toString()).toBe('cli');
    expect(server.mode).toBe('plain');
  });
});
