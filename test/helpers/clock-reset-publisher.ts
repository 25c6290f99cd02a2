/**
 * A publisher whose encoder clock restarts from 0 on the same connection, as some hardware and mobile
 * encoders do on an input change: a segment encoded once by ffmpeg (H.264 + AAC, a keyframe every
 * second) is sent over and over in real time through this project's own RTMP client session, and every
 * repetition starts again at timestamp 0 with its sequence headers, like an encoder that restarted.
 */
import { execFileSync } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { readFlv } from '../../src/media/flv-file.js';
import type { MediaPacket } from '../../src/media/packet.js';
import { packetFromTag } from '../../src/media/packet-from-tag.js';
import { ClientSession, publishTargetOf } from '../../src/rtmp/client-session.js';
import { requireProgram } from './programs.js';
import { registerTestCleanup } from './process.js';
import { makeTempDir } from './tmp.js';

/** Options of {@link publishWithClockResets}. */
export interface ClockResetOptions {
  /** Where to publish, `rtmp://host:port/app/key`. */
  url: string;
  /** Length of one clock period (the clock restarts from 0 after each), ms. */
  periodMs: number;
  /** How many periods to send. */
  periods: number;
  /** Video size (default 640x360) and frame rate (default 30). */
  width?: number;
  height?: number;
  fps?: number;
  /** Send audio (default true). */
  audio?: boolean;
}

/** A running clock-resetting publisher. */
export interface ClockResetPublisher {
  /** Video frames sent so far (sequence headers excluded). */
  readonly videoFramesSent: number;
  /** Settles when every period was sent (or the connection closed). */
  readonly done: Promise<void>;
  /** Ends the broadcast as OBS does (FCUnpublish, deleteStream). */
  stop(): void;
}

/** Encodes the segment once: `periodMs` of testsrc2 + sine as FLV, keyframe every second. */
function encodeSegment(options: ClockResetOptions): MediaPacket[] {
  const ffmpeg = requireProgram('ffmpeg', 'ffmpeg');
  const file = path.join(makeTempDir('clock-reset'), 'segment.flv');
  const fps = options.fps ?? 30;
  const size = `${options.width ?? 640}x${options.height ?? 360}`;
  const seconds = String(options.periodMs / 1000);
  // prettier-ignore
  const args = [
    '-hide_banner', '-loglevel', 'error', '-y',
    '-f', 'lavfi', '-i', `testsrc2=size=${size}:rate=${fps}`,
    '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000',
    '-t', seconds, '-c:v', 'libx264', '-preset', 'veryfast', '-profile:v', 'main', '-pix_fmt', 'yuv420p',
    '-g', String(fps), '-keyint_min', String(fps), '-sc_threshold', '0', '-bf', '0', '-b:v', '800k',
  ];
  if (options.audio ?? true) args.push('-c:a', 'aac', '-ar', '48000', '-ac', '2');
  else args.push('-an');
  args.push('-f', 'flv', file);
  execFileSync(ffmpeg, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  return readFlv(readFileSync(file))
    .tags.map((tag) => packetFromTag(tag.kind, tag.timestamp, tag.payload))
    .filter((packet) => !packet.sequenceEnd);
}

/** Publishes `periods` repetitions of one segment on one connection, the clock back to 0 each time. */
export function publishWithClockResets(options: ClockResetOptions): ClockResetPublisher {
  const packets = encodeSegment(options);
  const url = new URL(options.url);
  const socket = net.connect({ host: url.hostname, port: Number(url.port || 1935) });
  const session = new ClientSession(socket, publishTargetOf(url));
  let videoFramesSent = 0;
  let timer: NodeJS.Timeout | undefined;
  let finished = false;
  let resolveDone: () => void = () => undefined;
  const done = new Promise<void>((resolve) => {
    resolveDone = resolve;
  });
  const finish = (): void => {
    if (finished) return;
    finished = true;
    if (timer) clearTimeout(timer);
    if (!session.connection.closed) session.finish('publisher done');
    resolveDone();
  };
  session.on('close', finish);
  session.on('publishing', () => {
    const start = Date.now();
    let period = 0;
    let index = 0;
    const tick = (): void => {
      const elapsed = Date.now() - start;
      while (period < options.periods) {
        const packet = packets[index];
        if (!packet) {
          period++;
          index = 0;
          continue;
        }
        // Headers (and metadata) go out again at the start of every period, with the clock at 0.
        const due = period * options.periodMs + packet.dts;
        if (due > elapsed) break;
        session.sendMedia(packet, packet.dts);
        if (packet.kind === 'video' && !packet.header) videoFramesSent++;
        index++;
      }
      if (period >= options.periods) {
        finish();
        return;
      }
      timer = setTimeout(tick, 5);
    };
    tick();
  });
  registerTestCleanup(() => {
    finish();
    return Promise.resolve();
  });
  return {
    get videoFramesSent() {
      return videoFramesSent;
    },
    done,
    stop: finish,
  };
}
