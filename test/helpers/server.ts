/** Our own server, started in-process on free ports with a throwaway data directory. */
import { startServer, type RunningServer, type StartOptions } from '../../src/main.js';
import { loadConfig } from '../../src/config.js';
import type { ChannelStatusDto } from '../../src/contract/index.js';
import { registerTestCleanup, waitFor } from './process.js';
import { makeTempDir } from './tmp.js';

/** The admin password every test server gets. */
export const testPassword = 'test-password-123';

/** A running test server plus an authenticated API client. */
export interface TestServer {
  readonly server: RunningServer;
  /** `rtmp://127.0.0.1:PORT/live` */
  readonly ingestBase: string;
  /** The main channel's ingest key. */
  readonly ingestKey: string;
  /** `http://127.0.0.1:PORT` */
  readonly httpBase: string;
  /** Calls the API with a bearer token; returns status and parsed JSON. */
  api<T = unknown>(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: T; text: string }>;
  stop(): Promise<void>;
}

/** Starts the server. `env` overrides configuration (e.g. `{ LOG_LEVEL: 'debug' }`). */
export async function startTestServer(
  options: { env?: Record<string, string>; start?: StartOptions; dataDir?: string } = {},
): Promise<TestServer> {
  const dataDir = options.dataDir ?? makeTempDir('restream-data');
  const config = loadConfig([], {
    RTMP_PORT: '0',
    RTMP_HOST: '127.0.0.1',
    HTTP_PORT: '0',
    HTTP_HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    RESTREAM_ADMIN_PASSWORD: testPassword,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    ...options.env,
  });
  const server = await startServer(config, {
    announce: () => undefined,
    ...options.start,
    // Most tests end with ffmpeg's clean stop and then judge what the platforms recorded, so a clean
    // stop ends the broadcast at once; the continuity tests set their own policy.
    continuity: { cleanStopAction: 'end', ...options.start?.continuity },
  });
  registerTestCleanup(() => server.stop());
  const httpBase = `http://127.0.0.1:${server.ports.http}`;
  const token = server.store.auth.createToken('tests').token;
  const api = async <T>(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: T; text: string }> => {
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
  const main = server.store.channels.get('main');
  return {
    server,
    ingestBase: `rtmp://127.0.0.1:${server.ports.rtmp}/live`,
    ingestKey: main.ingestKey,
    httpBase,
    api,
    stop: () => server.stop(),
  };
}

/** Output status of the main channel from `/api/status`. */
export interface OutputStatusView {
  id: string;
  name: string;
  state: string;
  lastError: string | null;
  reconnects: number;
  droppedFrames: number;
  bytes: number;
}

/** The main channel's outputs, by name. */
export async function outputsByName(test: TestServer): Promise<Map<string, OutputStatusView>> {
  const { body } = await test.api<{ channels: { id: string; outputs: OutputStatusView[] }[] }>(
    'GET',
    '/api/status',
  );
  const main = body.channels.find((c) => c.id === 'main');
  return new Map((main?.outputs ?? []).map((o) => [o.name, o]));
}

/** Adds the platform `rx`: a receiver (`listenReceiver`'s ffmpeg, `startPacketSink`) listening on `port`. */
export async function addReceiverPlatform(test: Pick<TestServer, 'api'>, port: number): Promise<void> {
  await test.api('POST', '/api/platforms', {
    name: 'rx',
    url: `rtmp://127.0.0.1:${port}/live`,
    streamKey: 'key',
  });
}

/** The main channel as `GET /api/status` shows it. */
export async function mainChannel(test: Pick<TestServer, 'api'>): Promise<ChannelStatusDto> {
  const { body } = await test.api<{ channels: ChannelStatusDto[] }>('GET', '/api/status');
  const main = body.channels.find((c) => c.id === 'main');
  if (!main) throw new Error('no main channel in /api/status');
  return main;
}

/**
 * Samples the main channel every 200 ms, keeping `describe` of each sample; the returned function stops
 * and gives the distinct values seen. A state shorter than a sample can slip between two.
 */
export function sampleMainChannel(
  test: Pick<TestServer, 'api'>,
  describe: (channel: ChannelStatusDto) => string,
): () => Set<string> {
  const seen = new Set<string>();
  const timer = setInterval(() => {
    void mainChannel(test).then((c) => seen.add(describe(c)));
  }, 200);
  return () => {
    clearInterval(timer);
    return seen;
  };
}

/** Waits until the main channel's platforms get `source` (null: off air), for `reason` when one is given. */
export async function waitForSource(
  test: Pick<TestServer, 'api'>,
  source: string | null,
  reason?: string,
  timeoutMs = 20_000,
): Promise<void> {
  await waitFor(
    async () => {
      const main = await mainChannel(test);
      return main.source === source && (reason === undefined || main.reason === reason);
    },
    { what: `source ${source} (${reason ?? 'any reason'})`, timeoutMs },
  );
}
