/**
 * nginx-rtmp instances for the bench: the sink (with the rtmp module's `rtmp_stat` XML served over
 * http on 127.0.0.1, so delivered bytes are counted per stream where they arrive), the reference relay
 * (`push` lines) and the ingest of the ffmpeg-per-destination design. The rtmp part of the config is
 * the test helper's, so the bench's nginx is the tests' nginx.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { nginxRtmpConfig, type NginxRtmpApp } from '../test/helpers/nginx-rtmp.js';
import { freePort, waitForListen } from '../test/helpers/ports.js';
import { childPidsSync, signalPid, spawnPeer, type PeerProcess } from '../test/helpers/process.js';
import { requireProgram } from '../test/helpers/programs.js';
import { makeTempDir } from '../test/helpers/tmp.js';

/** A running nginx started by {@link startNginx}. */
export interface BenchNginx {
  /** RTMP port on 127.0.0.1. */
  readonly rtmpPort: number;
  /** HTTP port of the stat page, when asked for. */
  readonly statPort: number | undefined;
  /** The master process. */
  readonly process: PeerProcess;
  /** Master and worker pids now. */
  pids(): number[];
  /** SIGSTOP the workers (a destination that stops reading with its sockets open). */
  pause(): void;
  /** SIGCONT after `pause()`. */
  resume(): void;
  /** SIGQUIT, SIGKILL (master and workers) after `timeoutMs`. */
  stop(timeoutMs?: number): Promise<void>;
}

/** One stream's counters from `rtmp_stat`. */
export interface StreamStat {
  /** Bytes received from the publisher of this stream since it started. */
  bytesIn: number;
  /** True while a publisher is on it. */
  publishing: boolean;
}

/** Starts nginx with `apps` (rtmp) and, when `stat` is true, an http `rtmp_stat all` page. */
export async function startNginx(name: string, apps: NginxRtmpApp[], stat = false): Promise<BenchNginx> {
  const nginx = requireProgram('nginx-light', 'nginx');
  const workDir = makeTempDir(`bench-${name}`, 'process');
  const errorLog = join(workDir, 'error.log');
  for (const app of apps) mkdirSync(join(workDir, 'record', app.name), { recursive: true });
  const rtmpPort = await freePort();
  const statPort = stat ? await freePort() : undefined;
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']
    .map((what) => `${what}_temp_path ${join(workDir, what)};`)
    .join(' ');
  const http =
    statPort === undefined
      ? ''
      : `http {\n  access_log off;\n  ${temp}\n` +
        `  server {\n    listen 127.0.0.1:${statPort};\n    location /stat { rtmp_stat all; }\n  }\n}\n`;
  const conf = join(workDir, 'nginx.conf');
  writeFileSync(conf, nginxRtmpConfig(workDir, rtmpPort, apps) + http);
  let paused: number[] = [];
  const peer: PeerProcess = spawnPeer(`nginx ${name}`, nginx, ['-e', errorLog, '-p', workDir, '-c', conf], {
    stopSignal: 'SIGQUIT',
    stopWithTest: false,
    killSync: () => {
      const workers = childPidsSync(peer.pid);
      signalPid(peer.pid, 'SIGKILL');
      for (const pid of workers) signalPid(pid, 'SIGKILL');
    },
  });
  try {
    await waitForListen(rtmpPort, peer, 10_000);
    if (statPort !== undefined) await waitForListen(statPort, peer, 10_000);
  } catch (err) {
    await peer.kill();
    throw err;
  }
  return {
    rtmpPort,
    statPort,
    process: peer,
    pids: () => [peer.pid, ...childPidsSync(peer.pid)],
    pause: () => {
      paused = childPidsSync(peer.pid);
      for (const pid of paused) signalPid(pid, 'SIGSTOP');
    },
    resume: () => {
      for (const pid of paused) signalPid(pid, 'SIGCONT');
      paused = [];
    },
    stop: async (timeoutMs = 4000) => {
      for (const pid of [...paused, ...childPidsSync(peer.pid)]) signalPid(pid, 'SIGCONT');
      paused = [];
      await peer.stop(timeoutMs);
    },
  };
}

/** Per-stream counters of application `app` from the sink's stat page (stream name -> stat). */
export async function fetchStreamStats(statPort: number, app: string): Promise<Map<string, StreamStat>> {
  const response = await fetch(`http://127.0.0.1:${statPort}/stat`, { signal: AbortSignal.timeout(5000) });
  return parseStreamStats(await response.text(), app);
}

/**
 * Parses nginx-rtmp's stat XML: `<application><name>APP</name><live><stream><name>S</name>…
 * <bytes_in>B</bytes_in>…<publishing/>…</stream>…`. A regex walk is enough for this fixed layout.
 */
export function parseStreamStats(xml: string, app: string): Map<string, StreamStat> {
  const stats = new Map<string, StreamStat>();
  for (const appMatch of xml.matchAll(/<application>([\s\S]*?)<\/application>/g)) {
    const body = appMatch[1] ?? '';
    if (/^\s*<name>([^<]*)<\/name>/.exec(body)?.[1] !== app) continue;
    for (const streamMatch of body.matchAll(/<stream>([\s\S]*?)<\/stream>/g)) {
      const stream = streamMatch[1] ?? '';
      const name = /<name>([^<]*)<\/name>/.exec(stream)?.[1];
      const bytesIn = Number(/<bytes_in>(\d+)<\/bytes_in>/.exec(stream)?.[1] ?? 0);
      // The stream's own <publishing/> follows its clients; any publishing client marks it.
      if (name !== undefined) stats.set(name, { bytesIn, publishing: stream.includes('<publishing/>') });
    }
  }
  return stats;
}
