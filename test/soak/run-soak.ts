/**
 * The soak of issue 10: hostile traffic against a real server process while a real broadcast goes to
 * real platforms. Not part of `npm test`.
 *
 *   npm run soak -- [--mutations 1000000] [--publisher-flaps 100] [--sink-flaps 100]
 *                   [--mutated-sessions 3000] [--trickle 300] [--flood-mb 16] [--workers 8]
 *
 * - The broadcast: ffmpeg loops a 10 s H.264/AAC clip (-re, -c copy) into channel `main`, which goes to
 *   nginx-rtmp (recorded: the healthy platform) and to `--sinks` (20) `ffmpeg -listen` receivers.
 * - Publisher flaps: a second channel, `flap`, with its own nginx-rtmp platform. Its publisher is
 *   started, goes live, and is SIGKILLed, over and over. Flapping `main`'s own publisher would be a
 *   takeover of the broadcast being judged; a second channel exercises the same ingest, continuity and
 *   output code while `main` must not lose a frame.
 * - Destination flaps: one of `main`'s ffmpeg receivers is SIGKILLed and restarted on the same port; its
 *   output must come back each time. Spread over the receivers, since an output's backoff doubles up to
 *   60 s until it has been live for 30 s.
 * - Abuse: 4 connections of chunk-size-1 never-ending messages (16 MB each), then the same at chunk size
 *   128; mutated publish sessions (1-16 random bytes changed); `--mutations` mutated RTMP messages over
 *   sockets (see rtmp-attacks.ts, each batch counted once a ping after it is answered); 300 trickling
 *   HTTP bodies.
 *
 * Reports the server's RSS and open fds before and after (after a settle), the RSS growth during the
 * chunk-size-1 attack, and the video frames the healthy platform recorded against those sent. Exits 1
 * when RSS grew by more than 10 MB, fds moved by more than 5, or the platform kept < 90 % of the frames.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { listenReceiver, type Receiver } from '../helpers/ffmpeg.js';
import { startNginxRtmp } from '../helpers/nginx-rtmp.js';
import { freePort } from '../helpers/ports.js';
import { spawnPeer, waitFor as pollFor, type PeerProcess, type WaitForOptions } from '../helpers/process.js';
import { requireProgram } from '../helpers/programs.js';
import { startServerProcess, type ServerProcess } from '../helpers/server-process.js';
import { makeTempDir } from '../helpers/tmp.js';
import { startTrickle } from './http-trickle.js';
import { RssSampler, openFds, rssMb } from './proc-probe.js';
import { chunkFlood, loopbackAddress, mutatedMessages, mutatedPublishSession } from './rtmp-attacks.js';

const run = promisify(execFile);
const { values } = parseArgs({
  options: {
    mutations: { type: 'string', default: '1000000' },
    'publisher-flaps': { type: 'string', default: '100' },
    'sink-flaps': { type: 'string', default: '100' },
    sinks: { type: 'string', default: '20' },
    /** More environment for the server, `NAME=value` (repeatable), e.g. allocator settings. */
    'server-env': { type: 'string', multiple: true, default: [] },
    /** Where to keep the server's log (JSON lines), for a look at what it said. */
    'server-log': { type: 'string' },
    'mutated-sessions': { type: 'string', default: '3000' },
    trickle: { type: 'string', default: '300' },
    'flood-mb': { type: 'string', default: '16' },
    workers: { type: 'string', default: '8' },
    'warmup-seconds': { type: 'string', default: '15' },
    'settle-seconds': { type: 'string', default: '45' },
  },
});
const num = (name: keyof typeof values): number => Number(values[name]);
const began = Date.now();
const say = (message: string): void => {
  console.log(`[${((Date.now() - began) / 1000).toFixed(0).padStart(4)} s] ${message}`);
};
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const mb = (n: number): string => `${n.toFixed(1)} MB`;
const ffmpeg = requireProgram('ffmpeg', 'ffmpeg');
const work = makeTempDir('soak');

interface ChannelStatus {
  id: string;
  source: string | null;
  outputs: { name: string; state: string }[];
}

async function status(server: ServerProcess): Promise<ChannelStatus[]> {
  return (await server.api<{ channels: ChannelStatus[] }>('GET', '/api/status')).body.channels;
}

async function outputState(server: ServerProcess, name: string): Promise<string | undefined> {
  for (const channel of await status(server)) {
    const output = channel.outputs.find((o) => o.name === name);
    if (output) return output.state;
  }
  return undefined;
}

async function sourceOf(server: ServerProcess, channelId: string): Promise<string | null | undefined> {
  return (await status(server)).find((c) => c.id === channelId)?.source;
}

/** ffmpeg looping `clip` into `url` without re-encoding; `progress` gets its frame counter. */
function loopPublisher(name: string, clip: string, url: string, progress?: string): PeerProcess {
  const args = ['-hide_banner', '-nostdin', '-loglevel', 'error', '-re', '-stream_loop', '-1', '-i', clip];
  args.push('-c', 'copy');
  if (progress !== undefined) args.push('-progress', progress, '-stats_period', '0.5');
  args.push('-f', 'flv', url);
  return spawnPeer(name, ffmpeg, args, { stopSignal: 'SIGINT', stopWithTest: false });
}

function framesSent(progress: string): number {
  if (!existsSync(progress)) return 0;
  const all = [...readFileSync(progress, 'utf8').matchAll(/^frame=(\d+)$/gm)];
  return Number(all.at(-1)?.[1] ?? 0);
}

async function videoFrames(file: string): Promise<number> {
  const { stdout } = await run('ffprobe', [
    '-v', 'error', '-count_packets', '-select_streams', 'v:0',
    '-show_entries', 'stream=nb_read_packets', '-of', 'csv=p=0', file,
  ]); // prettier-ignore
  return Number(stdout.trim()) || 0;
}

/** waitFor, polling the API every 250 ms: the soak's own requests are not the load under test. */
const waitFor = (condition: () => boolean | Promise<boolean>, options: WaitForOptions): Promise<void> =>
  pollFor(condition, { intervalMs: 250, ...options });

const failures: string[] = [];
async function step<T>(what: string, action: () => Promise<T>): Promise<T | undefined> {
  try {
    return await action();
  } catch (err) {
    failures.push(`${what}: ${(err as Error).message.split('\n')[0] ?? ''}`);
    return undefined;
  }
}

// --- setup -----------------------------------------------------------------------------------------
say('making the clip, starting nginx-rtmp and the server');
const clip = join(work, 'clip.flv');
// prettier-ignore
await run(ffmpeg, [
  '-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=30',
  '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000', '-t', '10',
  '-c:v', 'libx264', '-preset', 'veryfast', '-profile:v', 'main', '-pix_fmt', 'yuv420p', '-g', '60',
  '-keyint_min', '60', '-sc_threshold', '0', '-b:v', '1000k', '-c:a', 'aac', '-ar', '48000', '-ac', '2',
  '-f', 'flv', clip,
]);
const nginx = await startNginxRtmp({ apps: [{ name: 'healthy', record: true }, { name: 'flap' }] });
const serverEnv = Object.fromEntries(
  values['server-env'].map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]),
);
const server = await startServerProcess({ built: true, startTimeoutMs: 30_000, env: serverEnv });
const pid = server.child.pid ?? 0;
const rtmpPort = Number(new URL(server.ingestBase).port);
const httpPort = Number(new URL(server.httpBase).port);
const flapChannel = await server.api<{ streamKey: string }>('POST', '/api/channels', {
  id: 'flap',
  name: 'Flap',
});
const sinkPorts = await Promise.all(Array.from({ length: num('sinks') }, () => freePort()));
for (const platform of [
  { name: 'healthy', url: `rtmp://127.0.0.1:${nginx.port}/healthy`, streamKey: 'healthy-key-0001' },
  ...sinkPorts.map((port, i) => ({
    name: `sink ${i}`,
    url: `rtmp://127.0.0.1:${port}/live`,
    streamKey: 'sink-key-0001',
  })),
  {
    name: 'flap platform',
    url: `rtmp://127.0.0.1:${nginx.port}/flap`,
    streamKey: 'flap-key-0001',
    channelId: 'flap',
  },
]) {
  const created = await server.api('POST', '/api/platforms', platform);
  if (created.status !== 201) throw new Error(`platform ${platform.name}: ${created.text}`);
}
let sinkRuns = 0;
const startSink = (i: number): Promise<Receiver> =>
  listenReceiver({
    port: sinkPorts[i] ?? 0,
    outFile: join(work, `sink-${i}-${sinkRuns++}.flv`),
    key: 'sink-key-0001',
    listenTimeoutMs: 30_000,
  });
const sinks = await Promise.all(sinkPorts.map((_, i) => startSink(i)));

// A clean stop at the end ends the broadcast at once, so the recording holds only what was sent live.
const settings = await server.api('PUT', '/api/channels/main', { settings: { cleanStopAction: 'end' } });
if (settings.status !== 200) throw new Error(`channel settings: ${settings.text}`);
const progress = join(work, 'progress.txt');
const broadcast = loopPublisher(
  'healthy publisher',
  clip,
  `${server.ingestBase}/${server.ingestKey}`,
  progress,
);
await waitFor(async () => (await outputState(server, 'healthy')) === 'live', {
  what: 'the healthy platform live',
  timeoutMs: 30_000,
  peer: broadcast,
});
say(`broadcast live (server pid ${pid}, RTMP ${rtmpPort}, HTTP ${httpPort})`);

// --- the flaps, as functions (one cycle each) ---------------------------------------------------------
const flapUrl = `${server.ingestBase}/${flapChannel.body.streamKey}`;
async function publisherFlap(): Promise<void> {
  const publisher = loopPublisher('flap publisher', clip, flapUrl);
  try {
    await waitFor(async () => (await sourceOf(server, 'flap')) === 'live', {
      what: 'the flap channel live',
      timeoutMs: 30_000,
      peer: publisher,
    });
  } finally {
    await publisher.kill();
  }
  await waitFor(async () => (await sourceOf(server, 'flap')) !== 'live', {
    what: 'the flap channel off live',
  });
}
/** Kills sink `i` and restarts it; the output retries with its backoff (1 s, doubling) until it is back. */
async function sinkFlap(i: number): Promise<void> {
  await sinks[i]?.process.kill();
  await waitFor(async () => (await outputState(server, `sink ${i}`)) !== 'live', {
    what: `output ${i} to notice its dead sink`,
  });
  // Under the load of the rest of the soak ffmpeg can be slow to listen again; give it three tries.
  for (let attempt = 1; ; attempt++) {
    try {
      sinks[i] = await startSink(i);
      break;
    } catch (err) {
      if (attempt === 3) throw err;
    }
  }
  await waitFor(async () => (await outputState(server, `sink ${i}`)) === 'live', {
    what: `output ${i} back on its restarted sink`,
    timeoutMs: 90_000,
  });
}

// --- warm-up and the baseline -------------------------------------------------------------------------
const mainLive = async (): Promise<boolean> =>
  (await status(server)).find((c) => c.id === 'main')?.outputs.every((o) => o.state === 'live') === true;
await waitFor(mainLive, { what: "every output of 'main' live", timeoutMs: 30_000 });
await publisherFlap();
await sleep(num('warmup-seconds') * 1000);
const before = { rss: rssMb(pid), fds: openFds(pid) };
say(`before: RSS ${mb(before.rss)}, ${before.fds} fds`);

// --- abuse 1: chunk-size-1 never-ending messages, then the same at 128 --------------------------------
const floodSampler = new RssSampler(pid);
const flood = async (chunkSize: number, base: number): Promise<{ cut: number; sentMb: number }> => {
  const results = await Promise.all(
    Array.from({ length: 4 }, (_, i) =>
      chunkFlood(
        { port: rtmpPort, localAddress: loopbackAddress(base + i) },
        { chunkSize, totalBytes: num('flood-mb') * 1_000_000 },
      ),
    ),
  );
  return {
    cut: results.filter((r) => r.cutByServer).length,
    sentMb: results.reduce((sum, r) => sum + r.sentBytes, 0) / 1e6,
  };
};
const flood1 = await flood(1, 0);
const flood128 = await flood(128, 10);
const floodPeak = floodSampler.stop();
say(
  `chunk-size-1 flood: ${flood1.cut}/4 cut by the server after ${flood1.sentMb.toFixed(1)} MB sent in all; ` +
    `chunk size 128: ${flood128.cut}/4 cut after ${flood128.sentMb.toFixed(1)} MB; ` +
    `RSS peak ${mb(floodPeak)} (+${mb(floodPeak - before.rss)})`,
);

// --- abuse 2: mutated publish sessions ---------------------------------------------------------------
const sessions = num('mutated-sessions');
let nextSession = 0;
await Promise.all(
  Array.from({ length: num('workers') }, async (_, worker) => {
    while (nextSession < sessions) {
      const seed = nextSession++;
      await mutatedPublishSession({ port: rtmpPort, localAddress: loopbackAddress(100 + worker) }, seed);
    }
  }),
);
const afterSessions = rssMb(pid);
say(
  `${sessions} mutated publish sessions: RSS ${mb(afterSessions)} (${afterSessions >= before.rss ? '+' : ''}${mb(afterSessions - before.rss)})`,
);

// --- concurrently: trickling bodies, a million mutated messages, publisher and destination flaps ------
const trickle = startTrickle(httpPort, { count: num('trickle'), everyMs: 5000, spreadMs: 3000 });
let mutations = 0;
let mutationConnections = 0;
let seed = 1;
const mutationsDone = Promise.all(
  Array.from({ length: num('workers') }, async (_, worker) => {
    while (mutations < num('mutations')) {
      mutationConnections++;
      mutations += await mutatedMessages(
        { port: rtmpPort, localAddress: loopbackAddress(200 + worker) },
        seed++,
        2000,
      );
    }
  }),
).then(() => {
  say(`${mutations} mutated messages read by the server, over ${mutationConnections} connections`);
});
let publisherFlaps = 0;
const publisherFlapsDone = (async () => {
  for (let i = 0; i < num('publisher-flaps'); i++) {
    await step(`publisher flap ${i + 1}`, async () => {
      await publisherFlap();
      publisherFlaps++;
    });
  }
  say(`${publisherFlaps} publisher flaps`);
})();
let sinkFlaps = 0;
// Spread over the sinks: an output's backoff forgives only after 30 s live, so one sink flapped 100
// times would wait 60 s a time; each of 20 flapped 5 times waits 1, 2, 4, 8 and 16 s.
let sinkFlapsStarted = 0;
const sinkFlapsDone = Promise.all(
  sinkPorts.map(async (_, i) => {
    while (sinkFlapsStarted < num('sink-flaps')) {
      sinkFlapsStarted++;
      await step(`destination flap of sink ${i}`, async () => {
        await sinkFlap(i);
        sinkFlaps++;
      });
    }
  }),
).then(() => {
  say(`${sinkFlaps} destination flaps over ${sinkPorts.length} sinks`);
});
await Promise.all([mutationsDone, publisherFlapsDone, sinkFlapsDone]);
const trickled = trickle.finish();
const cutTimes = [...trickled.cutAfterSec].sort((a, b) => a - b);
say(
  `trickling HTTP bodies: ${trickled.cut}/${trickled.opened} cut by the server` +
    (cutTimes.length > 0
      ? ` (after ${cutTimes[0]?.toFixed(0)}-${cutTimes.at(-1)?.toFixed(0)} s, median ${cutTimes[Math.floor(cutTimes.length / 2)]?.toFixed(0)} s)`
      : ''),
);

// --- settle, the figures, and the verdict ----------------------------------------------------------------
await sleep(num('settle-seconds') * 1000);
const after = { rss: rssMb(pid), fds: openFds(pid) };
const healthyStill = (await outputState(server, 'healthy')) === 'live';
// Everything the publisher sent, against everything the healthy platform recorded (it starts at the
// first keyframe after it connected, so up to a GOP short of 100 %).
await broadcast.stop();
await waitFor(async () => (await outputState(server, 'healthy')) !== 'live', {
  what: 'the broadcast to end',
  timeoutMs: 15_000,
}).catch(() => undefined);
await nginx.stop();
await Promise.all(sinks.map((sink) => sink.stop()));
const sent = framesSent(progress);
const received = (await Promise.all(nginx.recordings('healthy').map(videoFrames))).reduce((a, b) => a + b, 0);
const logLines = server
  .output()
  .split('\n')
  .filter((l) => l.startsWith('{')).length;
if (values['server-log'] !== undefined) writeFileSync(values['server-log'], server.output());
await server.stop();

const growth = after.rss - before.rss;
const fdDelta = after.fds - before.fds;
const kept = sent > 0 ? received / sent : 0;
console.log('');
console.log('| figure | value |');
console.log('|:--|--:|');
console.log(
  `| server RSS before / after (${num('settle-seconds')} s settle) | ${mb(before.rss)} / ${mb(after.rss)} (${growth >= 0 ? '+' : ''}${mb(growth)}) |`,
);
console.log(`| open fds before / after | ${before.fds} / ${after.fds} |`);
console.log(
  `| RSS growth during the chunk-size-1 attack (4 × ${num('flood-mb')} MB) | +${mb(floodPeak - before.rss)} |`,
);
console.log(`| RSS after ${sessions} mutated publish sessions | ${mb(afterSessions)} |`);
console.log(`| mutated RTMP messages read / connections | ${mutations} / ${mutationConnections} |`);
console.log(`| publisher flaps / destination flaps | ${publisherFlaps} / ${sinkFlaps} |`);
console.log(`| trickling HTTP bodies cut | ${trickled.cut} of ${trickled.opened} |`);
console.log(
  `| healthy platform: video frames recorded / sent | ${received} / ${sent} (${(kept * 100).toFixed(1)} %) |`,
);
console.log(`| server log lines in all | ${logLines} |`);
console.log(`| took | ${((Date.now() - began) / 1000).toFixed(0)} s |`);
if (!healthyStill) failures.push('the healthy platform was not live at the end');
if (growth > 10) failures.push(`RSS grew by ${mb(growth)} (limit 10 MB)`);
if (Math.abs(fdDelta) > 5) failures.push(`open fds moved by ${fdDelta} (limit 5)`);
if (kept < 0.9)
  failures.push(`the healthy platform kept ${(kept * 100).toFixed(1)} % of the frames (limit 90 %)`);
if (mutations < num('mutations')) failures.push(`only ${mutations} mutated messages`);
for (const failure of failures) console.log(`FAIL ${failure}`);
console.log(failures.length === 0 ? 'soak passed' : 'soak FAILED');
process.exit(failures.length === 0 ? 0 : 1);
