import { describe, expect, it } from 'vitest';
import { packetFromTag } from '../../../src/media/packet-from-tag.js';
import { ChunkReader } from '../../../src/rtmp/chunk-reader.js';
import { encodeMedia, type PayloadForm } from '../../../src/rtmp/media-wire.js';

const upper: PayloadForm = {
  payload: (packet) => Buffer.from(packet.payload.toString('latin1').toUpperCase()),
};
const none: PayloadForm = { payload: () => null };

describe('encodeMedia', () => {
  const packet = () => packetFromTag('data', 40, Buffer.from([0x02, 0x00, 0x03, 0x61, 0x62, 0x63]));

  it('shares one Buffer between sessions that agree on form, chunk size and stream id, and no more', () => {
    const p = packet();
    const bare = encodeMedia(p, 4096, 1);
    expect(encodeMedia(p, 4096, 1)).toBe(bare);
    expect(encodeMedia(p, 4096, 1, upper)).toBe(encodeMedia(p, 4096, 1, upper));
    expect(encodeMedia(p, 4096, 1, upper)).not.toBe(bare);
    expect(encodeMedia(p, 4096, 2, upper)).not.toBe(encodeMedia(p, 4096, 1, upper));
    expect(encodeMedia(p, 128, 1)).not.toBe(bare);
    // Another packet with the same bytes is another packet: the memo is per object.
    expect(encodeMedia(packet(), 4096, 1)).not.toBe(bare);
  });

  it('encodes the form payload at the packet dts, and nothing for a form that sends nothing', () => {
    const p = packet();
    const [message] = new ChunkReader().push(encodeMedia(p, 128, 1, upper));
    expect(message?.payload.toString('latin1')).toBe('\u0002\u0000\u0003ABC');
    expect(message?.timestamp).toBe(40);
    expect(message?.streamId).toBe(1);
    expect(encodeMedia(p, 128, 1, none).length).toBe(0);
  });
});
