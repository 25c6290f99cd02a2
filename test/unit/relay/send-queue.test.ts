import { describe, expect, it } from 'vitest';
import { SendQueue } from '../../../src/relay/send-queue.js';
import type { MediaPacket } from '../../../src/media/packet.js';

const item = (kind: MediaPacket['kind'], header: boolean, size: number, dts = 0) => ({
  packet: { kind, dts, payload: Buffer.alloc(1), keyframe: false, header },
  bytes: Buffer.alloc(size),
});

describe('SendQueue', () => {
  it('is bounded in bytes and drops frames but never headers', () => {
    const queue = new SendQueue({ maxBytes: 100, maxDurationMs: 4000 });
    queue.push(item('video', true, 10));
    queue.push(item('video', false, 40));
    queue.push(item('audio', false, 30));
    queue.push(item('data', true, 5));
    expect(queue.bytes).toBe(85);
    expect(queue.wouldOverflow(20, 0)).toBe(true);
    expect(queue.dropFrames()).toBe(2);
    expect(queue.bytes).toBe(15);
    expect(queue.length).toBe(2);
    expect(queue.shift()?.packet.kind).toBe('video');
    expect(queue.shift()?.packet.kind).toBe('data');
    expect(queue.shift()).toBeUndefined();
    expect(queue.bytes).toBe(0);
  });

  it('shifts in order through many items', () => {
    const queue = new SendQueue({ maxBytes: 1e9, maxDurationMs: 1e9 });
    for (let i = 0; i < 5000; i++) queue.push(item('audio', false, i % 7));
    let n = 0;
    while (queue.shift()) n++;
    expect(n).toBe(5000);
    expect(queue.bytes).toBe(0);
  });

  it('holds a few seconds at any bitrate: a 1 s hiccup of a 51 Mbps 60 fps stream fits, 5 s does not', () => {
    const queue = new SendQueue({ maxBytes: 32 * 1024 * 1024, maxDurationMs: 4000 });
    const frameBytes = Math.round(51_000_000 / 8 / 60);
    let dts = 0;
    let overflowAt: number | undefined;
    for (let i = 0; i < 300 && overflowAt === undefined; i++, dts += 1000 / 60) {
      if (queue.wouldOverflow(frameBytes, dts)) overflowAt = dts;
      else queue.push(item('video', false, frameBytes, dts));
    }
    // The 4 MiB queue this replaced overflowed after 0.66 s.
    expect(overflowAt).toBeGreaterThan(3900);
    expect(overflowAt).toBeLessThan(4100);
    // The byte cap still holds: a 200 Mbps stream overflows on bytes well before 4 s.
    const capped = new SendQueue({ maxBytes: 32 * 1024 * 1024, maxDurationMs: 4000 });
    const big = Math.round(200_000_000 / 8 / 60);
    let n = 0;
    while (!capped.wouldOverflow(big, n * 16)) capped.push(item('video', false, big, n++ * 16));
    expect(capped.bytes).toBeLessThanOrEqual(32 * 1024 * 1024);
    expect(n * 16).toBeLessThan(4000);
  });
});
