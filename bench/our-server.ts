/**
 * This project's server as the bench runs it: built `dist/`, started as its own process
 * (`node bin/restream.js serve`) on free loopback ports with a throwaway data dir, driven over its API.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, waitForListen } from '../test/helpers/ports.js';
import { spawnPeer, waitFor, type PeerProcess } from '../test/helpers/process.js';
import { makeTempDir } from '../test/helpers/tmp.js';

const root = join(fileURLToPath(new URL('.', import.meta.url)), '..');
const password = 'bench-password-123';

/** One output as `GET /api/status` shows it (the fields the bench reads). */
export interface OutputView {
  name: string;
  state: string;
  bitrateKbps: number;
  bytes: number;
  droppedFrames: number;
  reconnects: number;
  lastError: string | null;
}

/** A running server. */
export interface OurServer {
  readonly process: PeerProcess;
  /** Where OBS (the bench's ffmpeg) publishes. */
  readonly publishUrl: string;
  /** `http://127.0.0.1:PORT` */
  readonly httpBase: string;
  /** `Bearer …`, for requests the bench makes itself (the preview's viewers). */
  readonly authorization: string;
  /** Adds a platform `{name, url: appUrl, streamKey: key}`. */
  addPlatform(name: string, appUrl: string, key: string): Promise<void>;
  /** The main channel's outputs. */
  outputs(): Promise<OutputView[]>;
  /** Any API call with the bench's bearer token (JSON in and out). */
  api<T = unknown>(method: string, path: string, body?: unknown): Promise<T>;
  stop(): Promise<void>;
}

/** Options of {@link startOurServer}. */
export interface OurServerOptions {
  /** The server's LOG_LEVEL (default: BENCH_LOG_LEVEL, else `warn`). */
  logLevel?: string;
  /** Append the server's stdout (its pino JSON log lines) to this file (default: discarded). */
  stdoutFile?: string;
}

/** Starts `node bin/restream.js serve` and logs in. */
export async function startOurServer(options: OurServerOptions = {}): Promise<OurServer> {
  const rtmpPort = await freePort();
  const httpPort = await freePort();
  const dataDir = makeTempDir('bench-restream-data', 'process');
  // The node flags `npm start` runs the server with, plus BENCH_NODE_ARGS, e.g.
  // '--cpu-prof --cpu-prof-dir=/tmp/prof', to profile the server under load.
  const nodeArgs = [
    ...startNodeFlags(),
    ...(process.env.BENCH_NODE_ARGS ?? '').split(' ').filter((a) => a !== ''),
  ];
  const args = [...nodeArgs, join(root, 'bin', 'restream.js'), 'serve'];
  // spawnPeer discards stdout; to keep the log, sh redirects it and `exec`s node (same pid).
  const [command, argv] =
    options.stdoutFile === undefined
      ? [process.execPath, args]
      : [
          '/bin/sh',
          ['-c', 'f=$1; shift; exec "$@" >>"$f"', 'sh', options.stdoutFile, process.execPath, ...args],
        ];
  const peer = spawnPeer('restream server', command, argv, {
    cwd: root,
    stopWithTest: false,
    stopTimeoutMs: 8000,
    env: {
      RTMP_PORT: String(rtmpPort),
      RTMP_HOST: '127.0.0.1',
      HTTP_PORT: String(httpPort),
      HTTP_HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      RESTREAM_ADMIN_PASSWORD: password,
      LOG_LEVEL: options.logLevel ?? process.env.BENCH_LOG_LEVEL ?? 'warn',
    },
  });
  const base = `http://127.0.0.1:${httpPort}`;
  try {
    await waitForListen(httpPort, peer, 20_000);
    await waitForListen(rtmpPort, peer, 20_000);
  } catch (err) {
    await peer.kill();
    throw err;
  }

  const call = async <T>(method: string, path: string, body?: unknown, auth?: string): Promise<T> => {
    // Same-origin, as the dashboard's requests are: the API refuses cookie requests from elsewhere.
    const headers: Record<string, string> = { origin: base };
    if (auth !== undefined) headers[auth.startsWith('Bearer') ? 'authorization' : 'cookie'] = auth;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`${base}${path}`, {
      method,
      headers,
      signal: AbortSignal.timeout(10_000),
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path}: HTTP ${response.status} ${text}`);
    if (path === '/api/auth/login') return (response.headers.get('set-cookie') ?? '') as T;
    return (text === '' ? undefined : JSON.parse(text)) as T;
  };

  const cookie = (await call<string>('POST', '/api/auth/login', { password })).split(';')[0] ?? '';
  const { token } = await call<{ token: string }>('POST', '/api/tokens', { name: 'bench' }, cookie);
  const bearer = `Bearer ${token}`;
  const channels = await call<{ id: string; streamKey: string; ingestUrl: string }[]>(
    'GET',
    '/api/channels',
    undefined,
    bearer,
  );
  const main = channels.find((c) => c.id === 'main');
  if (main === undefined) throw new Error('no main channel in GET /api/channels');

  return {
    process: peer,
    // ingestUrl names the configured host; the bench always publishes over loopback.
    publishUrl: `rtmp://127.0.0.1:${rtmpPort}/live/${main.streamKey}`,
    httpBase: base,
    authorization: bearer,
    addPlatform: async (name, appUrl, key) => {
      await call('POST', '/api/platforms', { name, url: appUrl, streamKey: key }, bearer);
    },
    outputs: async () => {
      const status = await call<{ channels: { id: string; outputs: OutputView[] }[] }>(
        'GET',
        '/api/status',
        undefined,
        bearer,
      );
      return status.channels.find((c) => c.id === 'main')?.outputs ?? [];
    },
    api: <T = unknown>(method: string, path: string, body?: unknown) => call<T>(method, path, body, bearer),
    stop: async () => {
      await peer.stop();
    },
  };
}

/** Waits until every output of `server` is `live` (or the timeout; then resolves with how many are). */
export async function waitAllLive(server: OurServer, n: number, timeoutMs: number): Promise<number> {
  let live = 0;
  try {
    await waitFor(
      async () => {
        const outputs = await server.outputs();
        live = outputs.filter((o) => o.state === 'live').length;
        return live >= n;
      },
      { what: `${n} outputs live`, timeoutMs, intervalMs: 500, peer: server.process },
    );
  } catch (err) {
    if (!server.process.isRunning()) throw err;
  }
  return live;
}

/** The flags between `node` and `bin/restream.js` in package.json's start script. */
function startNodeFlags(): string[] {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: { start: string } };
  const match = /node ((?:--\S+ )*)bin\/restream\.js/.exec(pkg.scripts.start);
  return (match?.[1] ?? '').split(' ').filter((a) => a !== '');
}
