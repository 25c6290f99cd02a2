/**
 * Our server as a child process (`node --import tsx test/helpers/run-cli.ts serve`), for what an
 * in-process server cannot show: SIGTERM handling, kill -9 and a restart on the same data directory,
 * and everything the process prints. Ports are 0 and read back from the "listening" log line.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { onProcessExit, registerTestCleanup, withTimeout } from './process.js';
import { makeTempDir } from './tmp.js';

/** The admin password of every server process. */
export const processPassword = 'process-test-password-123';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const runCli = fileURLToPath(new URL('./run-cli.ts', import.meta.url));

/** How a server process ended. */
export interface ServerExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A running server process and a client for its API. */
export interface ServerProcess {
  readonly child: ChildProcess;
  readonly dataDir: string;
  /** `http://127.0.0.1:PORT` */
  readonly httpBase: string;
  /** `rtmp://127.0.0.1:PORT/live` */
  readonly ingestBase: string;
  /** The main channel's ingest key. */
  readonly ingestKey: string;
  /** An API token made at start (through the API, as an admin would). */
  readonly token: string;
  /** Settles when the process has exited. */
  readonly exited: Promise<ServerExit>;
  /** Everything it wrote to stdout and stderr so far (JSON log lines). */
  output(): string;
  /** Calls the API with the bearer token. */
  api<T = unknown>(method: string, path: string, body?: unknown): Promise<ApiAnswer<T>>;
  isRunning(): boolean;
  signal(sig: NodeJS.Signals): void;
  /** Waits for the exit; rejects after `timeoutMs` (with the output's tail). */
  waitForExit(timeoutMs: number): Promise<ServerExit>;
  /** SIGTERM, then SIGKILL after `timeoutMs` (default 10 s). Idempotent. */
  stop(timeoutMs?: number): Promise<ServerExit>;
}

/** Status, parsed JSON (undefined for an empty body) and raw text of an API answer. */
export interface ApiAnswer<T> {
  status: number;
  body: T;
  text: string;
}

/** Options of {@link startServerProcess}. */
export interface ServerProcessOptions {
  /** Data directory (default: a fresh temp dir); pass the same one to restart on the same database. */
  dataDir?: string;
  /** More environment (e.g. `{ LOG_LEVEL: 'debug' }`). */
  env?: Record<string, string>;
  /** How long to wait for it to listen (default 20 s: tsx compiles the sources first). */
  startTimeoutMs?: number;
  /** Run the built server as `npm start` does (`node --max-semi-space-size=4 bin/restream.js`), not tsx. */
  built?: boolean;
}

interface ListeningLine {
  msg?: string;
  rtmpPort?: number;
  httpPort?: number;
}

/** Starts `restream serve` as a child process and waits until it listens. */
export async function startServerProcess(options: ServerProcessOptions = {}): Promise<ServerProcess> {
  const dataDir = options.dataDir ?? makeTempDir('restream-proc');
  const args =
    options.built === true
      ? ['--max-semi-space-size=4', fileURLToPath(new URL('../../bin/restream.js', import.meta.url)), 'serve']
      : ['--import', 'tsx', runCli, 'serve'];
  const child = spawn(process.execPath, args, {
    cwd: repoRoot,
    env: {
      ...process.env,
      RTMP_PORT: '0',
      RTMP_HOST: '127.0.0.1',
      HTTP_PORT: '0',
      HTTP_HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      RESTREAM_ADMIN_PASSWORD: processPassword,
      LOG_LEVEL: 'info',
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let running = true;
  const exited = new Promise<ServerExit>((resolve) => {
    child.once('exit', (code, signal) => {
      running = false;
      resolve({ code, signal });
    });
    child.once('error', (err) => {
      running = false;
      output += `\n[spawn failed: ${err.message}]`;
      resolve({ code: null, signal: null });
    });
  });
  // Read through a function: the flag changes in callbacks, which narrowing does not see.
  const isRunning = (): boolean => running;
  const killSync = (): void => {
    if (running) child.kill('SIGKILL');
  };
  onProcessExit(killSync);

  let ports: { rtmp: number; http: number } | undefined;
  const onData = (chunk: Buffer): void => {
    output += chunk.toString('utf8');
    if (ports !== undefined) return;
    for (const line of output.split('\n')) {
      if (!line.includes('restream server listening')) continue;
      try {
        const parsed = JSON.parse(line) as ListeningLine;
        if (parsed.rtmpPort !== undefined && parsed.httpPort !== undefined) {
          ports = { rtmp: parsed.rtmpPort, http: parsed.httpPort };
        }
      } catch {
        // a partial line: the next chunk completes it
      }
    }
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);

  const tail = (): string => output.slice(-4000);
  const waitForExit = (timeoutMs: number): Promise<ServerExit> =>
    withTimeout(exited, timeoutMs, `the server process to exit\n--- output tail ---\n${tail()}`);
  let stopping: Promise<ServerExit> | undefined;
  const stop = (timeoutMs = 10_000): Promise<ServerExit> =>
    (stopping ??= (async () => {
      if (!running) return exited;
      child.kill('SIGTERM');
      const timer = setTimeout(killSync, timeoutMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    })());
  registerTestCleanup(() => stop().then(() => undefined));

  const deadline = Date.now() + (options.startTimeoutMs ?? 20_000);
  while (ports === undefined) {
    if (!isRunning()) throw new Error(`the server process exited before listening:\n${tail()}`);
    if (Date.now() > deadline) {
      killSync();
      throw new Error(`the server process did not listen in time:\n${tail()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  const httpBase = `http://127.0.0.1:${ports.http}`;
  const token = await makeToken(httpBase);
  const api = async <T>(method: string, path: string, body?: unknown): Promise<ApiAnswer<T>> => {
    const response = await fetch(`${httpBase}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T, text };
  };
  const channels = await api<{ id: string; streamKey: string }[]>('GET', '/api/channels');
  const ingestKey = channels.body.find((c) => c.id === 'main')?.streamKey;
  if (ingestKey === undefined) throw new Error(`no main channel: ${channels.text}`);
  return {
    child,
    dataDir,
    httpBase,
    ingestBase: `rtmp://127.0.0.1:${ports.rtmp}/live`,
    ingestKey,
    token,
    exited,
    output: () => output,
    api,
    isRunning,
    signal: (sig) => {
      if (running) child.kill(sig);
    },
    waitForExit,
    stop,
  };
}

/** Logs in as the dashboard does (cookie, same origin) and makes an API token for the test. */
async function makeToken(httpBase: string): Promise<string> {
  const login = await fetch(`${httpBase}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: httpBase },
    body: JSON.stringify({ password: processPassword }),
  });
  const cookie = login.headers.getSetCookie().find((c) => c.startsWith('restream_session='));
  if (login.status !== 200 || cookie === undefined) {
    throw new Error(`login failed: ${login.status} ${await login.text()}`);
  }
  const created = await fetch(`${httpBase}/api/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: httpBase, cookie: cookie.split(';', 1)[0] ?? '' },
    body: JSON.stringify({ name: 'tests' }),
  });
  const body = (await created.json()) as { token?: string };
  if (created.status !== 201 || body.token === undefined) {
    throw new Error(`token creation failed: ${created.status} ${JSON.stringify(body)}`);
  }
  return body.token;
}
