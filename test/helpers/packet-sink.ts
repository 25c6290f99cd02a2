/**
 * A platform that speaks Enhanced RTMP: this project's own RTMP server session accepting any publish and
 * keeping every media packet. For HEVC/AV1 no installed peer can judge what a platform got: nginx-rtmp
 * records no E-RTMP video at all, and ffmpeg 5.1 cannot demux it.
 */
import { createServer, type AddressInfo } from 'node:net';
import type { MediaPacket } from '../../src/media/packet.js';
import { ServerSession } from '../../src/rtmp/server-session.js';
import { registerTestCleanup } from './process.js';

/** What a {@link startPacketSink} received. */
export interface PacketSink {
  readonly port: number;
  /** Every media packet of every publish, in order. */
  readonly packets: MediaPacket[];
  /** Publishes seen (one per connection that published). */
  readonly publishes: () => number;
}

export async function startPacketSink(): Promise<PacketSink> {
  const packets: MediaPacket[] = [];
  let publishes = 0;
  const server = createServer((socket) => {
    socket.on('error', () => undefined);
    const session = new ServerSession(socket, {
      authorizePublish: () => ({ ok: true }),
      authorizePlay: () => ({ ok: false, code: 'Denied', description: 'publish only' }),
    });
    session.on('publish', () => {
      publishes++;
    });
    session.setMediaSink((packet) => {
      packets.push({ ...packet, payload: Buffer.from(packet.payload) });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  registerTestCleanup(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      }),
  );
  return { port: (server.address() as AddressInfo).port, packets, publishes: () => publishes };
}
