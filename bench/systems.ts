/**
 * The relays under test, each started with its own publisher (ffmpeg looping the bench file)
 * and pointed at N destinations:
 * - `restream`: this project's server, N platforms added over its API;
 * - `nginx-rtmp`: one nginx-rtmp application with N `push` lines;
 * - `ffmpeg-per-dest`: the design this project replaces, an nginx-rtmp ingest plus one
 *   `ffmpeg -i rtmp://…/live/key -c copy -f flv rtmp://…/sink/sN` per destination;
 * - `node-media-server`: Node-Media-Server 4 (JavaScript), its own node process started by
 *   bench/node-media-server-launcher.ts with one push relay task per destination;
 * - `node-floor`: a reference, not a relay anyone runs: bench/node-floor-relay.mjs, the least a Node
 *   process can do to relay this stream (FLV over TCP in, RTMP push out, the same coalescing as ours).
 *
 * Each records the relay's idle RSS: started and configured for its N destinations, before the
 * publisher connects (at N = 1, its startup memory).
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { publishFile, type Publisher, type PublishFileOptions } from '../test/helpers/ffmpeg.js';
import { spawnPeer, type PeerProcess } from '../test/helpers/process.js';
import { requireProgram } from '../test/helpers/programs.js';
import { freePort, waitForListen } from '../test/helpers/ports.js';
import { makeTempDir } from '../test/helpers/tmp.js';
import { treeRssMb } from './proc-stats.js';
import { startNginx, type BenchNginx } from './nginx.js';
import { startOurServer, type OurServer } from './our-server.js';
import { defaultFlushIntervalMs } from '../src/relay/output.js';

/** The systems, in the order they run for each N. */
export const systemIds = [
  'restream',
  'nginx-rtmp',
  'ffmpeg-per-dest',
  'node-media-server',
  'node-floor',
] as const;
/** One system under test. */
export type SystemId = (typeof systemIds)[number];

/** One destination: `appUrl` is `rtmp://127.0.0.1:PORT/app`, `key` the stream name there. */
export interface Destination {
  appUrl: string;
  key: string;
}

/** A system running with its publisher. */
export interface RunningSystem {
  readonly id: SystemId;
  /** Pids whose process trees are the relay (what CPU and RSS are measured on). */
  relayRoots(): number[];
  /** This server, for the restream system. */
  readonly ours: OurServer | undefined;
  /** The publisher (to check it is still running). */
  readonly publisher: Publisher;
  /** RSS of the relay's process tree once started and configured, before the publisher (MB). */
  readonly idleRssMb: number;
  /** Relay processes that exited unexpectedly so far (ffmpeg-per-dest's pullers). */
  exitedEarly(): number;
  /** Stops the publisher, then the relay. */
  stop(): Promise<void>;
}

const ingestKey = 'benchkey';

/** Where the publisher connects, given the relay's ingest URL (the bench may put a tap in between). */
export type PublishRoute = (ingestUrl: string) => Promise<string>;

const direct: PublishRoute = (url) => Promise.resolve(url);

/** Starts `id` relaying to `destinations`, publishing `mediaFile` into it through `route`. */
export async function startSystem(
  id: SystemId,
  destinations: readonly Destination[],
  mediaFile: string,
  route: PublishRoute = direct,
): Promise<RunningSystem> {
  switch (id) {
    case 'restream':
      return startRestream(destinations, mediaFile, route);
    case 'nginx-rtmp':
      return startNginxRelay(destinations, mediaFile, route);
    case 'ffmpeg-per-dest':
      return startFfmpegPerDest(destinations, mediaFile, route);
    case 'node-media-server':
      return startNodeMediaServer(destinations, mediaFile, route);
    case 'node-floor':
      return startNodeFloor(destinations, mediaFile);
  }
}

/** The relay's RSS after a second of idling (startup work, e.g. JIT and GC, settles). */
async function idleRss(roots: readonly number[]): Promise<number> {
  await new Promise((resolve) => setTimeout(resolve, 1000));
  return treeRssMb(roots);
}

async function startRestream(
  destinations: readonly Destination[],
  mediaFile: string,
  route: PublishRoute,
): Promise<RunningSystem> {
  const server = await startOurServer();
  try {
    let i = 0;
    for (const dest of destinations) await server.addPlatform(`bench-${i++}`, dest.appUrl, dest.key);
  } catch (err) {
    await server.stop();
    throw err;
  }
  const idleRssMb = await idleRss([server.process.pid]);
  const publisher = publishFile({ url: await route(server.publishUrl), file: mediaFile });
  return {
    id: 'restream',
    ours: server,
    publisher,
    idleRssMb,
    relayRoots: () => [server.process.pid],
    exitedEarly: () => (server.process.isRunning() ? 0 : 1),
    stop: async () => {
      await publisher.stop();
      await server.stop();
    },
  };
}

async function startNginxRelay(
  destinations: readonly Destination[],
  mediaFile: string,
  route: PublishRoute,
): Promise<RunningSystem> {
  const pushes = destinations.map((d) => `${d.appUrl}/${d.key}`);
  const relay = await startNginx('relay', [{ name: 'live', pushes }]);
  const idleRssMb = await idleRss([relay.process.pid]);
  const publisher = publishFile({
    url: await route(`rtmp://127.0.0.1:${relay.rtmpPort}/live/${ingestKey}`),
    file: mediaFile,
  });
  return {
    id: 'nginx-rtmp',
    ours: undefined,
    publisher,
    idleRssMb,
    relayRoots: () => [relay.process.pid],
    exitedEarly: () => (relay.process.isRunning() ? 0 : 1),
    stop: async () => {
      await publisher.stop();
      await relay.stop();
    },
  };
}

async function startFfmpegPerDest(
  destinations: readonly Destination[],
  mediaFile: string,
  route: PublishRoute,
): Promise<RunningSystem> {
  const ffmpeg = requireProgram('ffmpeg', 'ffmpeg');
  const ingest: BenchNginx = await startNginx('ingest', [{ name: 'live' }]);
  const idleRssMb = await idleRss([ingest.process.pid]);
  const source = `rtmp://127.0.0.1:${ingest.rtmpPort}/live/${ingestKey}`;
  const publisher = publishFile({ url: await route(source), file: mediaFile });
  const pullers: PeerProcess[] = [];
  let stopping = false;
  let exited = 0;
  // Started together, as the old design's supervisor did; a few ms apart so 100 probes do not collide.
  for (const [i, dest] of destinations.entries()) {
    // prettier-ignore
    const args = [
      '-hide_banner', '-nostdin', '-nostats', '-loglevel', 'error',
      '-i', source, '-c', 'copy', '-f', 'flv', `${dest.appUrl}/${dest.key}`,
    ];
    const peer = spawnPeer(`ffmpeg relay ${i}`, ffmpeg, args, { stopWithTest: false, stopTimeoutMs: 3000 });
    void peer.exited.then(() => {
      if (!stopping) exited++;
    });
    pullers.push(peer);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return {
    id: 'ffmpeg-per-dest',
    ours: undefined,
    publisher,
    idleRssMb,
    relayRoots: () => [ingest.process.pid, ...pullers.filter((p) => p.isRunning()).map((p) => p.pid)],
    exitedEarly: () => exited,
    stop: async () => {
      stopping = true;
      await publisher.stop();
      await Promise.all(pullers.map((p) => p.stop()));
      await ingest.stop();
    },
  };
}

const launcher = join(fileURLToPath(new URL('.', import.meta.url)), 'node-media-server-launcher.ts');

async function startNodeMediaServer(
  destinations: readonly Destination[],
  mediaFile: string,
  route: PublishRoute,
): Promise<RunningSystem> {
  const port = await freePort();
  const streamPath = `/live/${ingestKey}`;
  // Its store persists relay tasks: a fresh directory per run, so none come back from an earlier one.
  const dataDir = makeTempDir('bench-nms', 'process');
  const urls = destinations.map((d) => `${d.appUrl}/${d.key}`);
  return startNodeRelay('node-media-server', [launcher, String(port), dataDir, streamPath, ...urls], port, {
    url: await route(`rtmp://127.0.0.1:${port}${streamPath}`),
    file: mediaFile,
  });
}

const floorRelay = join(fileURLToPath(new URL('.', import.meta.url)), 'node-floor-relay.mjs');

/**
 * The Node floor (bench/node-floor-relay.mjs). Its ingest is FLV over TCP, not RTMP, so the publisher
 * does not go through the latency probe's RTMP tap: no latency figure for it.
 */
async function startNodeFloor(
  destinations: readonly Destination[],
  mediaFile: string,
): Promise<RunningSystem> {
  const port = await freePort();
  const urls = destinations.map((d) => `${d.appUrl}/${d.key}`);
  const argv = [floorRelay, String(port), String(defaultFlushIntervalMs), ...urls];
  // One write per FLV tag, as an RTMP publisher sends a message at a time.
  return startNodeRelay('node-floor', argv, port, {
    url: `tcp://127.0.0.1:${port}`,
    file: mediaFile,
    extraArgs: ['-flush_packets', '1'],
  });
}

/**
 * A relay that is a node process of its own (`node ...argv`, Node's own loader, so no tsx sits in the
 * measured process): started, waited for on `port`, then `publish` starts its publisher.
 */
async function startNodeRelay(
  id: SystemId,
  argv: string[],
  port: number,
  publish: PublishFileOptions,
): Promise<RunningSystem> {
  const relay = spawnPeer(id, process.execPath, argv, { stopWithTest: false, stopTimeoutMs: 5000 });
  try {
    await waitForListen(port, relay);
  } catch (err) {
    await relay.kill();
    throw err;
  }
  const idleRssMb = await idleRss([relay.pid]);
  const publisher = publishFile(publish);
  return {
    id,
    ours: undefined,
    publisher,
    idleRssMb,
    relayRoots: () => [relay.pid],
    exitedEarly: () => (relay.isRunning() ? 0 : 1),
    stop: async () => {
      await publisher.stop();
      await relay.stop();
    },
  };
}
