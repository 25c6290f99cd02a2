/**
 * nginx with libnginx-mod-rtmp as a real multi-destination sink (and the bench's reference relay):
 * its own config, pid, logs and recordings in a temp dir, listening on 127.0.0.1 only (no http block,
 * so nothing binds port 80).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, waitForListen } from './ports.js';
import {
  childPidsSync,
  peerError,
  registerTestCleanup,
  signalPid,
  spawnPeer,
  type PeerExit,
  type PeerProcess,
} from './process.js';
import { findRtmpModule, requireProgram } from './programs.js';
import { makeTempDir } from './tmp.js';

/** One `application` block. */
export interface NginxRtmpApp {
  /** Application name (first path segment of the RTMP URL). */
  name: string;
  /** Record everything published (`record all`) into `recordings(name)` (default false). */
  record?: boolean;
  /** Add a unique timestamp to each recording's name (default true; false: `KEY.flv`, overwritten). */
  recordUnique?: boolean;
  /** `on_publish` URL: a non-2xx answer rejects the publisher (see `startHookServer`). */
  onPublish?: string;
  /** `push` targets (full RTMP URLs): nginx relays everything published here to each. */
  pushes?: string[];
  /** Raw directives added to the block, e.g. `['wait_key on;']`. */
  directives?: string[];
}

/** Options of {@link startNginxRtmp}. */
export interface NginxRtmpOptions {
  /** The applications (at least one). */
  apps: NginxRtmpApp[];
  /** Directory for config, logs and recordings; default a temp dir removed after the test. */
  workDir?: string;
  /** Port; default a free one. */
  port?: number;
  /** How long to wait for it to listen (default 10000 ms). */
  startTimeoutMs?: number;
}

/** A running nginx-rtmp. */
export interface NginxRtmp {
  /** RTMP port on 127.0.0.1. */
  readonly port: number;
  /** Directory holding nginx.conf, error.log and the recordings. */
  readonly workDir: string;
  /** The master process. */
  readonly process: PeerProcess;
  /** `rtmp://127.0.0.1:PORT/APP/KEY`. */
  url(app: string, key: string): string;
  /** Where `app` records. */
  recordDir(app: string): string;
  /** Absolute paths of the recordings of `app`, sorted by name. */
  recordings(app: string): string[];
  /** The contents of nginx's error log (info level: connects, publishes, pushes). */
  errorLog(): string;
  /** SIGSTOP the worker processes: a platform that stops reading, with its sockets open. */
  pause(): void;
  /** SIGCONT the workers after `pause()`. */
  resume(): void;
  /** Graceful stop (SIGQUIT; sessions closed after 2 s so recordings are complete), SIGKILL after a timeout. */
  stop(timeoutMs?: number): Promise<PeerExit>;
}

/** The `load_module` line, or a clear error when the rtmp module is not installed. */
function loadModuleLine(): string {
  const module = findRtmpModule();
  if (module !== undefined) return `load_module ${module};`;
  // Debian's snippet names the module relative to nginx's compiled-in prefix, which `-p` overrides.
  const snippet = '/usr/share/nginx/modules-available/mod-rtmp.conf';
  if (existsSync(snippet)) {
    const line = readFileSync(snippet, 'utf8')
      .split('\n')
      .find((l) => l.trim().startsWith('load_module'));
    const path = /load_module\s+(\S+);/.exec(line ?? '')?.[1];
    if (path !== undefined) return `load_module ${path.startsWith('/') ? path : `/usr/lib/nginx/${path}`};`;
  }
  throw new Error('nginx rtmp module not found (Debian package libnginx-mod-rtmp)');
}

/** The nginx.conf text (exported so a test can show it). */
export function nginxRtmpConfig(workDir: string, port: number, apps: readonly NginxRtmpApp[]): string {
  const isRoot = process.getuid?.() === 0;
  const blocks = apps.map((app) => {
    const lines = ['live on;'];
    if (app.record === true) {
      lines.push('record all;', `record_path ${join(workDir, 'record', app.name)};`);
      lines.push(`record_unique ${app.recordUnique === false ? 'off' : 'on'};`);
    }
    if (app.onPublish !== undefined) lines.push(`on_publish ${app.onPublish};`);
    for (const push of app.pushes ?? []) lines.push(`push ${push};`);
    lines.push(...(app.directives ?? []));
    return `    application ${app.name} {\n${lines.map((l) => `      ${l}`).join('\n')}\n    }`;
  });
  return [
    loadModuleLine(),
    // As root the workers would drop to nobody/www-data and could not write the temp dir.
    ...(isRoot ? ['user root;'] : []),
    'daemon off;',
    'master_process on;',
    'worker_processes 1;',
    // Graceful shutdown closes live RTMP sessions after this, instead of waiting for the publisher.
    'worker_shutdown_timeout 2s;',
    `pid ${join(workDir, 'nginx.pid')};`,
    `error_log ${join(workDir, 'error.log')} info;`,
    'events { worker_connections 4096; }',
    'rtmp {',
    '  server {',
    `    listen 127.0.0.1:${port};`,
    '    chunk_size 4096;',
    ...blocks,
    '  }',
    '}',
    '',
  ].join('\n');
}

/** Start nginx-rtmp with `apps`; resolves once it listens. */
export async function startNginxRtmp(options: NginxRtmpOptions): Promise<NginxRtmp> {
  const nginx = requireProgram('nginx-light', 'nginx');
  if (options.apps.length === 0) throw new Error('startNginxRtmp: at least one app');
  const workDir = options.workDir ?? makeTempDir('nginx');
  for (const app of options.apps) mkdirSync(join(workDir, 'record', app.name), { recursive: true });
  const confFile = join(workDir, 'nginx.conf');
  const errorLogFile = join(workDir, 'error.log');
  const readErrorLog = (): string => (existsSync(errorLogFile) ? readFileSync(errorLogFile, 'utf8') : '');

  for (let attempt = 1; ; attempt++) {
    const port = options.port ?? (await freePort());
    writeFileSync(confFile, nginxRtmpConfig(workDir, port, options.apps));
    let paused: number[] = [];
    const workers = (pid: number): number[] => childPidsSync(pid);
    const peer = spawnPeer(
      `nginx-rtmp :${port}`,
      nginx,
      ['-e', errorLogFile, '-p', workDir, '-c', confFile],
      {
        stopSignal: 'SIGQUIT',
        stopWithTest: false,
        // Kill the master first so it cannot respawn workers, then the workers it had.
        killSync: () => {
          const pids = workers(peer.pid);
          signalPid(peer.pid, 'SIGKILL');
          for (const pid of pids) {
            signalPid(pid, 'SIGCONT');
            signalPid(pid, 'SIGKILL');
          }
        },
      },
    );
    try {
      await waitForListen(port, peer, options.startTimeoutMs ?? 10_000);
    } catch (err) {
      await peer.kill();
      const log = peer.stderrTail() + readErrorLog();
      if (log.includes('Address already in use') && options.port === undefined && attempt < 3) continue;
      throw new Error(`${(err as Error).message}\n--- error.log ---\n${readErrorLog().slice(-4000)}`, {
        cause: err,
      });
    }

    const stop = (timeoutMs = 5000): Promise<PeerExit> => {
      // Paused workers would sit on the SIGQUIT; the peer's hard kill (after timeoutMs) takes them too.
      for (const pid of [...paused, ...workers(peer.pid)]) signalPid(pid, 'SIGCONT');
      paused = [];
      return peer.stop(timeoutMs);
    };

    const instance: NginxRtmp = {
      port,
      workDir,
      process: peer,
      url: (app, key) => `rtmp://127.0.0.1:${port}/${app}/${key}`,
      recordDir: (app) => join(workDir, 'record', app),
      recordings: (app) => {
        const dir = join(workDir, 'record', app);
        if (!existsSync(dir)) return [];
        return readdirSync(dir)
          .filter((f) => f.endsWith('.flv'))
          .sort()
          .map((f) => join(dir, f));
      },
      errorLog: readErrorLog,
      pause: () => {
        paused = workers(peer.pid);
        if (paused.length === 0) throw peerError('nginx has no worker process to pause', peer);
        for (const pid of paused) signalPid(pid, 'SIGSTOP');
      },
      resume: () => {
        for (const pid of paused) signalPid(pid, 'SIGCONT');
        paused = [];
      },
      stop,
    };
    registerTestCleanup(() => stop().then(() => undefined));
    return instance;
  }
}

/**
 * Whether nginx-rtmp saw the publisher of `key` end its broadcast as OBS does: `deleteStream` on that
 * connection before it disconnected (a dropped connection logs only the disconnect).
 */
export function endedCleanly(log: string, key: string): boolean {
  const connection = new RegExp(`(\\*\\d+) publish: name='${key}'`).exec(log)?.[1];
  if (connection === undefined) return false;
  const events = log
    .split('\n')
    .filter((line) => line.includes(`${connection} `))
    .map((line) =>
      line.includes('deleteStream') ? 'deleteStream' : line.includes('disconnect') ? 'disconnect' : '',
    )
    .filter((event) => event !== '');
  return events[0] === 'deleteStream';
}
