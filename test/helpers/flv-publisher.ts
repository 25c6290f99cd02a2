/**
 * An "OBS" made of our own RTMP client session publishing an FLV fixture's tags in a loop at real-time
 * pace: for Enhanced RTMP (ffmpeg 5.1 cannot mux HEVC/AV1 into FLV/RTMP; that came in 6.1), and for an
 * encoder that publishes and then sends nothing for a while, which no ffmpeg option does.
 */
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { readFlv } from '../../src/media/flv-file.js';
import { packetFromTag } from '../../src/media/packet-from-tag.js';
import { ClientSession, publishTargetOf } from '../../src/rtmp/client-session.js';
import { registerTestCleanup } from './process.js';

/** A publisher sending a FLV file's tags over our own RTMP client, looped, paced like a live encoder. */
export interface TagPublisher {
  /** Resolves once the server answered NetStream.Publish.Start. */
  readonly publishing: Promise<void>;
  /** Video frames sent so far. */
  readonly videoFrames: () => number;
  /** Ends the stream the way OBS does (FCUnpublish, deleteStream), or just drops it. */
  stop(clean?: boolean): void;
}

/** Options of {@link publishFlvLoop}. */
export interface FlvLoopOptions {
  /**
   * Sends nothing for this long after NetStream.Publish.Start, as an encoder that connects before its
   * first frame is ready does (default 0). OBS is not one: with a stream delay it connects only when the
   * delay is over (OBS 29 here).
   */
  silentForMs?: number;
}

/**
 * Publishes `fixture` to `url` (rtmp://host:port/app/key) in a loop: its sequence headers once, then
 * its media tags again and again with timestamps shifted by the clip's length each time, sent when
 * their time comes.
 */
export function publishFlvLoop(url: string, fixture: string, options: FlvLoopOptions = {}): TagPublisher {
  const file = readFlv(readFileSync(new URL(`../fixtures/media/${fixture}`, import.meta.url)));
  const packets = file.tags.map((tag) => packetFromTag(tag.kind, tag.timestamp, tag.payload));
  const headers = packets.filter((p) => p.header);
  const media = packets.filter((p) => !p.header);
  const first = media[0]?.dts ?? 0;
  const frameMs = 1000 / 30;
  const loopMs = Math.ceil((media.at(-1)?.dts ?? 0) - first + frameMs);
  const target = new URL(url);
  const socket = net.connect({ host: target.hostname, port: Number(target.port) });
  const session = new ClientSession(socket, publishTargetOf(target));
  let silence: NodeJS.Timeout | undefined;
  let timer: NodeJS.Timeout | undefined;
  let videoFrames = 0;
  let stopped = false;

  const startSending = (): void => {
    for (const header of headers) session.sendMedia(header, 0);
    const startedAt = Date.now();
    let loop = 0;
    let index = 0;
    timer = setInterval(() => {
      const elapsed = Date.now() - startedAt;
      for (;;) {
        const packet = media[index];
        if (!packet) break;
        const dts = loop * loopMs + packet.dts - first;
        if (dts > elapsed) break;
        session.sendMedia(packet, dts);
        if (packet.kind === 'video') videoFrames++;
        index++;
        if (index === media.length) {
          index = 0;
          loop++;
        }
      }
    }, 10);
  };
  const publishing = new Promise<void>((resolve, reject) => {
    session.on('close', (info) => {
      clearTimeout(silence);
      clearInterval(timer);
      if (!stopped) reject(new Error(`publisher of ${fixture} closed: ${info.reason}`));
    });
    session.on('publishing', () => {
      resolve();
      silence = setTimeout(startSending, options.silentForMs ?? 0);
    });
  });
  // Keep an early failure from being an unhandled rejection; the test awaits `publishing` itself.
  publishing.catch(() => undefined);

  const stop = (clean = true): void => {
    if (stopped) return;
    stopped = true;
    clearTimeout(silence);
    clearInterval(timer);
    if (clean) session.finish('test done');
    else socket.destroy();
  };
  registerTestCleanup(() => {
    stop(false);
    return Promise.resolve();
  });
  return { publishing, videoFrames: () => videoFrames, stop };
}
