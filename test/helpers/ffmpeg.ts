/**
 * ffmpeg as the real peers of the relay: the publisher that stands in for OBS (H.264 + AAC, fixed GOP,
 * as OBS sends), a file looper for the bench, and a receiving "platform" (`ffmpeg -listen 1`), which
 * accepts exactly one connection — so a receiver that got a stream proves exactly one connection came.
 */
import { freePort, waitForListen } from './ports.js';
import { spawnPeer, withTimeout, type PeerExit, type PeerProcess } from './process.js';
import { requireProgram } from './programs.js';

/** A running ffmpeg publisher. */
export interface Publisher {
  /** The ffmpeg process. */
  readonly process: PeerProcess;
  /** Settles when ffmpeg exits (never rejects). */
  readonly exited: Promise<PeerExit>;
  /** Graceful stop (SIGINT: ffmpeg sends FCUnpublish/deleteStream, like OBS's Stop Streaming). */
  stop(): Promise<void>;
  /** SIGSTOP: the publisher stalls with its connection open. */
  pause(): void;
  /** SIGCONT after `pause()`. */
  resume(): void;
  /** SIGKILL: the connection drops without a clean stop. */
  kill(): Promise<void>;
  /** Wait for ffmpeg to end by itself; rejects (with its stderr) after `timeoutMs`. */
  waitForExit(timeoutMs: number): Promise<PeerExit>;
}

/** Options of {@link publishTestStream}. */
export interface TestStreamOptions {
  /** Where to publish, e.g. `rtmp://127.0.0.1:1935/live/KEY`. */
  url: string;
  /** Length of the stream in seconds; omitted: until stopped. */
  seconds?: number;
  /** Video width (default 640). */
  width?: number;
  /** Video height (default 360). */
  height?: number;
  /** Frame rate (default 30). */
  fps?: number;
  /** Keyframe interval in seconds (default 2, as platforms ask). */
  gopSeconds?: number;
  /** Video bitrate (default 1000 kbit/s). */
  videoBitrateKbps?: number;
  /** Include a 440 Hz AAC 48 kHz stereo track (default true). */
  audio?: boolean;
  /** Include the video track (default true; false: an audio-only encoder). */
  video?: boolean;
  /** Audio codec (default `aac`; `mp3` is legacy FLV SoundFormat 2 at 44.1 kHz). */
  audioCodec?: 'aac' | 'mp3';
  /** Shift output timestamps (`-output_ts_offset`), e.g. to start near the 0xFFFFFF ms boundary. */
  outputTsOffsetSec?: number;
  /** Read inputs at native rate (`-re`, default true), as a live encoder does. */
  realtime?: boolean;
  /** More output options, placed just before `-f flv URL` (e.g. `['-tls_verify', '0']`). */
  extraArgs?: readonly string[];
}

const QUIET = ['-hide_banner', '-nostdin', '-nostats', '-loglevel', 'info'];

/** The ffmpeg arguments of {@link publishTestStream} (exported for tests of the args themselves). */
export function testStreamArgs(options: TestStreamOptions): string[] {
  const width = options.width ?? 640;
  const height = options.height ?? 360;
  const fps = options.fps ?? 30;
  const gopFrames = String(Math.max(1, Math.round(fps * (options.gopSeconds ?? 2))));
  const realtime = options.realtime ?? true;
  const audio = options.audio ?? true;
  const video = options.video ?? true;
  const args = [...QUIET];
  if (realtime) args.push('-re');
  if (video) args.push('-f', 'lavfi', '-i', `testsrc2=size=${width}x${height}:rate=${fps}`);
  if (audio) args.push('-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000');
  // prettier-ignore
  if (video) args.push(
    '-c:v', 'libx264', '-preset', 'veryfast', '-tune', 'zerolatency', '-profile:v', 'main',
    '-pix_fmt', 'yuv420p', '-g', gopFrames, '-keyint_min', gopFrames, '-sc_threshold', '0',
    '-b:v', `${options.videoBitrateKbps ?? 1000}k`,
  );
  else args.push('-vn');
  if (audio && options.audioCodec === 'mp3') args.push('-c:a', 'libmp3lame', '-b:a', '128k', '-ar', '44100');
  else if (audio) args.push('-c:a', 'aac', '-b:a', '128k', '-ar', '48000', '-ac', '2');
  else args.push('-an');
  if (options.seconds !== undefined) args.push('-t', String(options.seconds));
  if (options.outputTsOffsetSec !== undefined)
    args.push('-output_ts_offset', String(options.outputTsOffsetSec));
  args.push(...(options.extraArgs ?? []), '-f', 'flv', options.url);
  return args;
}

/** ffmpeg as OBS: testsrc2 + sine, H.264 main + AAC, fixed GOP, published as FLV to `url`. */
export function publishTestStream(options: TestStreamOptions): Publisher {
  const ffmpeg = requireProgram('ffmpeg', 'ffmpeg');
  return publisher(spawnPeer('ffmpeg publisher', ffmpeg, testStreamArgs(options), { stopSignal: 'SIGINT' }));
}

/** Options of {@link publishFile}. */
export interface PublishFileOptions {
  /** Where to publish. */
  url: string;
  /** A pre-encoded FLV/MP4 with H.264 + AAC. */
  file: string;
  /** Loop the file forever (default true). */
  loop?: boolean;
  /** Stop after this many seconds; omitted: until stopped (or the end of the file when not looping). */
  seconds?: number;
  /** More output options, before `-f flv URL`. */
  extraArgs?: readonly string[];
}

/** ffmpeg sending a file at native rate without re-encoding (`-re -stream_loop -1 -c copy`): the bench's OBS. */
export function publishFile(options: PublishFileOptions): Publisher {
  const ffmpeg = requireProgram('ffmpeg', 'ffmpeg');
  const args = [...QUIET, '-re'];
  if (options.loop ?? true) args.push('-stream_loop', '-1');
  args.push('-i', options.file, '-c', 'copy');
  if (options.seconds !== undefined) args.push('-t', String(options.seconds));
  args.push(...(options.extraArgs ?? []), '-f', 'flv', options.url);
  return publisher(spawnPeer('ffmpeg file publisher', ffmpeg, args, { stopSignal: 'SIGINT' }));
}

function publisher(peer: PeerProcess): Publisher {
  return {
    process: peer,
    exited: peer.exited,
    stop: async () => {
      await peer.stop();
    },
    pause: () => {
      peer.signal('SIGSTOP');
    },
    resume: () => {
      peer.signal('SIGCONT');
    },
    kill: async () => {
      await peer.kill();
    },
    waitForExit: (timeoutMs) => withTimeout(peer.exited, timeoutMs, `${peer.name} to exit`, peer),
  };
}

/** Options of {@link listenReceiver}. */
export interface ReceiverOptions {
  /** Port to listen on; omitted: a free one. */
  port?: number;
  /** RTMP app (default `live`); ffmpeg 5 accepts any app/key, these only make the URL. */
  app?: string;
  /** Stream key in the URL (default `key`). */
  key?: string;
  /** The FLV file to record to. */
  outFile: string;
  /** How long to wait for ffmpeg to listen (default 10000 ms). */
  listenTimeoutMs?: number;
  /** Keep the timestamps as received (`-copyts`, default true) instead of shifting the start to 0. */
  copyTimestamps?: boolean;
}

/** A receiving platform: `ffmpeg -listen 1` recording what it gets. */
export interface Receiver {
  /** Port it listens on (127.0.0.1). */
  readonly port: number;
  /** The URL to push to: `rtmp://127.0.0.1:PORT/APP/KEY`. */
  readonly url: string;
  /** The recording. */
  readonly outFile: string;
  /** The ffmpeg process. */
  readonly process: PeerProcess;
  /** Settles when ffmpeg exits (it does by itself when the one publisher leaves). */
  readonly exited: Promise<PeerExit>;
  /** SIGINT, so ffmpeg finalises the FLV; SIGKILL after a timeout. */
  stop(): Promise<PeerExit>;
  /** SIGSTOP: a platform that stops reading (TCP window fills up). */
  pause(): void;
  /** SIGCONT after `pause()`. */
  resume(): void;
  /** Wait for the receiver to end by itself (publisher left); rejects after `timeoutMs`. */
  waitForExit(timeoutMs: number): Promise<PeerExit>;
}

/** ffmpeg as a receiving platform: `ffmpeg -y -listen 1 -i rtmp://127.0.0.1:PORT/APP/KEY -c copy -copyts -f flv OUT`. */
export async function listenReceiver(options: ReceiverOptions): Promise<Receiver> {
  const ffmpeg = requireProgram('ffmpeg', 'ffmpeg');
  const app = options.app ?? 'live';
  const key = options.key ?? 'key';
  // A port picked by freePort() can be taken before ffmpeg binds it: retry on EADDRINUSE.
  for (let attempt = 1; ; attempt++) {
    const port = options.port ?? (await freePort());
    const url = `rtmp://127.0.0.1:${port}/${app}/${key}`;
    const args = [...QUIET, '-y', '-listen', '1', '-i', url, '-c', 'copy'];
    if (options.copyTimestamps ?? true) args.push('-copyts');
    args.push('-f', 'flv', options.outFile);
    const peer = spawnPeer(`ffmpeg receiver :${port}`, ffmpeg, args, { stopSignal: 'SIGINT' });
    try {
      await waitForListen(port, peer, options.listenTimeoutMs ?? 10_000);
    } catch (err) {
      await peer.kill();
      const inUse = peer.stderrTail().includes('Address already in use');
      if (inUse && options.port === undefined && attempt < 3) continue;
      throw err;
    }
    return {
      port,
      url,
      outFile: options.outFile,
      process: peer,
      exited: peer.exited,
      stop: () => peer.stop(),
      pause: () => {
        peer.signal('SIGSTOP');
      },
      resume: () => {
        peer.signal('SIGCONT');
      },
      waitForExit: (timeoutMs) => withTimeout(peer.exited, timeoutMs, `${peer.name} to exit`, peer),
    };
  }
}
