import { describe, expect, it } from 'vitest';
import { SendQueue } from '../../../src/relay/send-queue.js';
import type { MediaPacket } from '../../../src/media/packet.js';

const item = (kind: MediaPacket['kind'], header: boolean, size: number) => ({
  packet: { kind, dts: 0, payload: Buffer.alloc(1), keyframe: false, header },
  bytes: Buffer.alloc(size),
});

describe('SendQueue', () => {
  it('is bounded in bytes and drops frames but never headers', () => {
    const queue = new SendQueue(100);
    queue.push(item('video', true, 10));
    queue.push(item('video', false, 40));
    queue.push(item('audio', false, 30));
    queue.push(item('data', true, 5));
    expect(queue.bytes).toBe(85);
    expect(queue.wouldOverflow(20)).toBe(true);
    expect(queue.dropFrames()).toBe(2);
    expect(queue.bytes).toBe(15);
    expect(queue.length).toBe(2);
    expect(queue.shift()?.packet.kind).toBe('video');
    expect(queue.shift()?.packet.kind).toBe('data');
    expect(queue.shift()).toBeUndefined();
    expect(queue.bytes).toBe(0);
  });

  it('shifts in order through many items', () => {
    const queue = new SendQueue(1e9);
    for (let i = 0; i < 5000; i++) queue.push(item('audio', false, i % 7));
    let n = 0;
    while (queue.shift()) n++;
    expect(n).toBe(5000);
    expect(queue.bytes).toBe(0);
  });
});
