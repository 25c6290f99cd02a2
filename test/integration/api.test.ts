import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApi, type ApiBackend, type PlatformDto, type StatusDto } from '../../src/api/index.js';
import type { ChannelAction } from '../../src/contract/index.js';
import {
  ControlPlane,
  type LiveChannelStatus,
  type FallbackUploads,
  type LiveView,
} from '../../src/control/control-plane.js';
import { defaultParams, type RenditionParams } from '../../src/fallback/params.js';
import { silentLogger } from '../../src/shared/logger.js';
import { openStore, type Store } from '../../src/store/index.js';

const password = 'admin-password-for-tests';
const twitchKey = 'live_987654321_VerySecretTwitchKey';

/** A LiveView the test controls: records every notification, reports whatever status it is given. */
class FakeLive implements LiveView {
  readonly calls: string[] = [];
  readonly statuses = new Map<string, LiveChannelStatus>();
  failStatus = false;
  failNotify = false;

  channelStatus(channelId: string): LiveChannelStatus | undefined {
    if (this.failStatus) throw new Error('secret internal detail /var/lib/restream');
    return this.statuses.get(channelId);
  }

  destinationsChanged(channelId: string): void {
    this.calls.push(`destinations:${channelId}`);
    if (this.failNotify) throw new Error('engine broke');
  }

  channelKeysChanged(channelId: string): void {
    this.calls.push(`keys:${channelId}`);
  }

  channelAction(channelId: string, action: ChannelAction): string | undefined {
    this.calls.push(`action:${channelId}:${action}`);
    return undefined;
  }

  fallbackParams(): RenditionParams {
    return defaultParams;
  }
}

/** A fallback library with nothing in it (the continuity routes have their own test). */
const emptyFallback: FallbackUploads = {
  maxUploadBytes: 1024,
  incomingPath: () => join(dir, 'incoming', 'x'),
  accept: () => Promise.reject(new Error('not in this test')),
  jobs: () => [],
  job: () => undefined,
  info: () => ({ renditions: [] }),
  remove: () => undefined,
  originalFile: () => undefined,
};

/** Continuity fields of a channel the engine reports nothing for. */
const offAir = {
  source: null,
  mode: 'off',
  reason: null,
  since: null,
  fallbackEndsAt: null,
  fallbackKind: null,
  fallbackJobs: [],
} as const;

let dir: string;
let store: Store;
let live: FakeLive;
let app: FastifyInstance;
let clock: number;
/** Every response body the test saw, to prove no whole platform key was ever in one. */
let bodies: string[];

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'restream-api-'));
  store = openStore(dir);
  await store.auth.setAdminPassword(password);
  live = new FakeLive();
  clock = Date.now();
  // The compiler checks here that the control plane fits what the API declares it needs.
  const backend: ApiBackend = new ControlPlane({
    store,
    live,
    rtmpPort: 1935,
    logger: silentLogger,
    fallback: emptyFallback,
  });
  app = createApi({ backend, logger: silentLogger, now: () => clock });
  bodies = [];
});

afterEach(async () => {
  await app.close();
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

async function call(
  method: Method,
  url: string,
  options: { body?: unknown; auth?: string; headers?: Record<string, string> } = {},
): Promise<LightMyRequestResponse> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.auth?.startsWith('rst_')) headers['authorization'] = `Bearer ${options.auth}`;
  else if (options.auth !== undefined) {
    headers['cookie'] = `restream_session=${options.auth}`;
    // As a browser on our own page does: cookie requests that change state must name our origin.
    headers['origin'] ??= 'http://localhost';
  }
  const response = await app.inject({
    method,
    url,
    headers,
    ...(options.body === undefined ? {} : { payload: options.body as Record<string, unknown> }),
  });
  bodies.push(response.body, JSON.stringify(response.headers));
  return response;
}

async function login(): Promise<string> {
  const response = await call('POST', '/api/auth/login', { body: { password } });
  expect(response.statusCode).toBe(200);
  const cookie = response.cookies.find((c) => c.name === 'restream_session');
  expect(cookie).toBeDefined();
  return cookie?.value ?? '';
}

function token(): string {
  return store.auth.createToken('test').token;
}

describe('health and authentication', () => {
  it('answers /healthz without credentials', async () => {
    const response = await call('GET', '/healthz');
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ ok: true });
  });

  it('logs in with the password, sets a strict HttpOnly cookie, and logs out', async () => {
    const response = await call('POST', '/api/auth/login', { body: { password } });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ ok: true });
    const setCookie = String(response.headers['set-cookie']);
    expect(setCookie).toMatch(/^restream_session=[\w-]{43};/);
    expect(setCookie).toContain('HttpOnly');
    expect(setCookie).toContain('SameSite=Strict');
    expect(setCookie).toContain('Path=/');
    expect(setCookie).not.toContain('Secure');
    const session = response.cookies[0]?.value ?? '';
    expect((await call('GET', '/api/platforms', { auth: session })).statusCode).toBe(200);
    expect((await call('POST', '/api/auth/logout', { auth: session })).statusCode).toBe(200);
    expect((await call('GET', '/api/platforms', { auth: session })).statusCode).toBe(401);
  });

  it('refuses a wrong password with 401 and a missing one with 400 naming the field', async () => {
    const wrong = await call('POST', '/api/auth/login', { body: { password: 'nope' } });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json()).toMatchObject({ error: 'UNAUTHORIZED' });
    expect(wrong.headers['set-cookie']).toBeUndefined();
    const missing = await call('POST', '/api/auth/login', { body: {} });
    expect(missing.statusCode).toBe(400);
    expect(missing.json()).toMatchObject({ error: 'VALIDATION', field: 'password' });
  });

  it('rate-limits login per address: the 11th attempt in a minute is a 429 with Retry-After', async () => {
    for (let i = 0; i < 10; i++) {
      expect((await call('POST', '/api/auth/login', { body: { password: `wrong${i}` } })).statusCode).toBe(
        401,
      );
    }
    // Even the right password is refused while limited.
    const limited = await call('POST', '/api/auth/login', { body: { password } });
    expect(limited.statusCode).toBe(429);
    expect(limited.json()).toMatchObject({ error: 'RATE_LIMITED' });
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(60);
    clock += 60_000;
    expect((await call('POST', '/api/auth/login', { body: { password } })).statusCode).toBe(200);
  });

  it('answers 401 on every protected route without credentials or with bad ones', async () => {
    const routes: [Method, string][] = [
      ['GET', '/api/platforms'],
      ['GET', '/api/platforms/abc'],
      ['POST', '/api/platforms'],
      ['PUT', '/api/platforms/abc'],
      ['DELETE', '/api/platforms/abc'],
      ['GET', '/api/channels'],
      ['POST', '/api/channels/main/rotate-key'],
      ['GET', '/api/status'],
      ['GET', '/api/tokens'],
      ['POST', '/api/tokens'],
      ['DELETE', '/api/tokens/abc'],
      ['GET', '/api/no-such-route'],
    ];
    const session = await login();
    for (const [method, url] of routes) {
      for (const auth of [undefined, 'forged-session', 'rst_forged']) {
        const response = await call(method, url, auth === undefined ? {} : { auth });
        expect(response.statusCode, `${method} ${url} ${String(auth)}`).toBe(401);
        expect(response.json()).toMatchObject({ error: 'UNAUTHORIZED' });
      }
      // A bad bearer token is refused even next to a good cookie.
      const mixed = await call(method, url, {
        headers: { cookie: `restream_session=${session}`, authorization: 'Bearer rst_forged' },
      });
      expect(mixed.statusCode).toBe(401);
    }
  });

  it('creates API tokens shown once, lists them masked, and revokes them', async () => {
    const session = await login();
    const created = await call('POST', '/api/tokens', { auth: session, body: { name: 'ci' } });
    expect(created.statusCode).toBe(201);
    const { id, name, token: secret } = created.json<{ id: string; name: string; token: string }>();
    expect(name).toBe('ci');
    expect((await call('GET', '/api/status', { auth: secret })).statusCode).toBe(200);
    const listed = await call('GET', '/api/tokens', { auth: secret });
    expect(listed.body).not.toContain(secret);
    expect(listed.json()).toEqual([
      {
        id,
        name: 'ci',
        prefix: secret.slice(0, 8),
        createdAt: expect.any(String) as unknown,
        lastUsedAt: expect.any(String) as unknown,
        scope: 'admin',
      },
    ]);
    expect((await call('DELETE', `/api/tokens/${id}`, { auth: session })).statusCode).toBe(200);
    expect((await call('GET', '/api/status', { auth: secret })).statusCode).toBe(401);
    expect((await call('DELETE', `/api/tokens/${id}`, { auth: session })).statusCode).toBe(404);
    const blank = await call('POST', '/api/tokens', { auth: session, body: { name: '' } });
    expect(blank.json()).toMatchObject({ error: 'VALIDATION', field: 'name' });
  });
});

describe('platforms', () => {
  const valid = { name: 'Twitch', url: 'rtmp://live.twitch.tv/app', streamKey: twitchKey };

  it('creates, lists, updates and deletes, telling the engine each time, never showing the key', async () => {
    const auth = token();
    const created = await call('POST', '/api/platforms', { auth, body: valid });
    expect(created.statusCode).toBe(201);
    const platform = created.json<PlatformDto>();
    expect(platform).toEqual({
      id: expect.any(String) as unknown,
      channelId: 'main',
      name: 'Twitch',
      url: 'rtmp://live.twitch.tv/app',
      streamKeyMasked: '****hKey',
      enabled: true,
      createdAt: expect.any(String) as unknown,
      updatedAt: expect.any(String) as unknown,
    });
    expect(created.headers['location']).toBe(`/api/platforms/${platform.id}`);
    expect(live.calls).toEqual(['destinations:main']);

    expect((await call('GET', '/api/platforms', { auth })).json()).toEqual([platform]);
    expect((await call('GET', '/api/platforms?channelId=main', { auth })).json()).toEqual([platform]);
    expect((await call('GET', `/api/platforms/${platform.id}`, { auth })).json()).toEqual(platform);

    const disabled = await call('PUT', `/api/platforms/${platform.id}`, { auth, body: { enabled: false } });
    expect(disabled.statusCode).toBe(200);
    expect(disabled.json()).toMatchObject({ enabled: false, name: 'Twitch', streamKeyMasked: '****hKey' });
    const rekeyed = await call('PUT', `/api/platforms/${platform.id}`, {
      auth,
      body: { streamKey: 'new-key-00001234' },
    });
    expect(rekeyed.json()).toMatchObject({ streamKeyMasked: '****1234' });
    expect(store.destinationsForChannel('main')[0]?.streamKey).toBe('new-key-00001234');
    expect(live.calls).toEqual(['destinations:main', 'destinations:main', 'destinations:main']);

    expect((await call('DELETE', `/api/platforms/${platform.id}`, { auth })).json()).toEqual({ ok: true });
    expect(live.calls).toHaveLength(4);
    expect((await call('DELETE', `/api/platforms/${platform.id}`, { auth })).statusCode).toBe(404);
    expect(
      (await call('PUT', `/api/platforms/${platform.id}`, { auth, body: { enabled: true } })).statusCode,
    ).toBe(404);
    expect(live.calls).toHaveLength(4);

    for (const body of bodies) {
      expect(body).not.toContain(twitchKey);
      expect(body).not.toContain('new-key-00001234');
    }
  });

  it('answers 400 naming the field for each invalid input', async () => {
    const auth = token();
    const cases: [unknown, string][] = [
      [{ ...valid, url: 'http://live.twitch.tv/app' }, 'url'],
      [{ ...valid, url: 'rtmp://' }, 'url'],
      [{ ...valid, url: 'rtmp:///app' }, 'url'],
      [{ ...valid, url: 42 }, 'url'],
      // The URL is shown whole in answers and logs: no secret may ride in it.
      [{ ...valid, url: `${valid.url}/${twitchKey}` }, 'url'],
      [{ ...valid, url: `${valid.url}?key=${encodeURIComponent(twitchKey)}` }, 'url'],
      [{ ...valid, url: 'rtmp://user:hunter2@live.twitch.tv/app' }, 'url'],
      [{ ...valid, streamKey: '' }, 'streamKey'],
      [{ ...valid, streamKey: 'has space' }, 'streamKey'],
      [{ url: valid.url, streamKey: valid.streamKey }, 'name'],
      [{ ...valid, name: '' }, 'name'],
      [{ ...valid, name: 'x'.repeat(65) }, 'name'],
      [{ ...valid, enabled: 'yes' }, 'enabled'],
      [{ ...valid, streamkey: 'typo' }, 'streamkey'],
    ];
    for (const [body, field] of cases) {
      const response = await call('POST', '/api/platforms', { auth, body });
      expect(response.statusCode, JSON.stringify(body)).toBe(400);
      const error = response.json<{ error: string; field: string; message: string }>();
      expect(error.error).toBe('VALIDATION');
      expect(error.field, JSON.stringify(body)).toBe(field);
      expect(error.message).toContain(field);
      // An error about a secret does not repeat it.
      expect(response.body).not.toContain(twitchKey);
      expect(response.body).not.toContain('hunter2');
    }
    const empty = await call('PUT', '/api/platforms/whatever', { auth, body: {} });
    expect(empty.statusCode).toBe(400);
    const badJson = await app.inject({
      method: 'POST',
      url: '/api/platforms',
      headers: { authorization: `Bearer ${auth}`, 'content-type': 'application/json' },
      payload: '{"name": ',
    });
    expect(badJson.statusCode).toBe(400);
    expect(live.calls).toEqual([]);
  });

  it('answers 404 for an unknown channel and 409 for a duplicate name, naming the field', async () => {
    const auth = token();
    const unknown = await call('POST', '/api/platforms', { auth, body: { ...valid, channelId: 'nope' } });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toMatchObject({ error: 'NOT_FOUND', field: 'channelId' });
    expect((await call('GET', '/api/platforms?channelId=nope', { auth })).statusCode).toBe(404);

    expect((await call('POST', '/api/platforms', { auth, body: valid })).statusCode).toBe(201);
    const duplicate = await call('POST', '/api/platforms', { auth, body: { ...valid, name: 'TWITCH' } });
    expect(duplicate.statusCode).toBe(409);
    expect(duplicate.json()).toMatchObject({ error: 'CONFLICT', field: 'name' });
    expect(live.calls).toEqual(['destinations:main']);
  });

  it('keeps a saved change when the engine fails to apply it', async () => {
    live.failNotify = true;
    const response = await call('POST', '/api/platforms', { auth: token(), body: valid });
    expect(response.statusCode).toBe(201);
    expect(store.destinations.list()).toHaveLength(1);
  });
});

describe('channels and status', () => {
  it('shows the ingest URL for the host the admin used, the whole ingest key, and the platform count', async () => {
    const auth = token();
    await call('POST', '/api/platforms', {
      auth,
      body: { name: 'A', url: 'rtmps://a.example/app', streamKey: 'key-aaaa1111' },
    });
    const main = store.channels.get('main');
    const response = await call('GET', '/api/channels', {
      auth,
      headers: { host: 'stream.example.org:8080' },
    });
    expect(response.json()).toEqual([
      {
        id: 'main',
        name: 'Main',
        ingestUrl: 'rtmp://stream.example.org:1935/live',
        streamKey: main.ingestKey,
        previewKey: main.previewKey,
        platformCount: 1,
        settings: {
          stallTimeoutMs: 2000,
          cleanStopAction: 'fallback-then-end',
          cleanStopGraceMs: 30000,
          fallbackTimeoutMs: 600000,
          lowBitrate: null,
        },
      },
    ]);
    const forged = await call('GET', '/api/channels', { auth, headers: { host: 'evil"/><script>' } });
    expect(forged.json<{ ingestUrl: string }[]>()[0]?.ingestUrl).toBe('rtmp://localhost:1935/live');
  });

  it('rotates the ingest key and tells the engine', async () => {
    const auth = token();
    const old = store.channels.get('main').ingestKey;
    const response = await call('POST', '/api/channels/main/rotate-key', {
      auth,
      headers: { 'content-type': 'application/json' },
    });
    expect(response.statusCode).toBe(200);
    const { id, streamKey } = response.json<{ id: string; streamKey: string }>();
    expect(id).toBe('main');
    expect(streamKey).toMatch(/^[0-9a-f]{32}$/);
    expect(streamKey).not.toBe(old);
    expect((await call('GET', '/api/channels', { auth })).json<{ streamKey: string }[]>()[0]?.streamKey).toBe(
      streamKey,
    );
    expect(live.calls).toEqual(['keys:main']);
    expect((await call('POST', '/api/channels/nope/rotate-key', { auth })).statusCode).toBe(404);
  });

  it('joins live outputs with the stored platforms: idle or disabled when not running', async () => {
    const auth = token();
    const post = async (name: string, enabled: boolean): Promise<PlatformDto> =>
      (
        await call('POST', '/api/platforms', {
          auth,
          body: { name, url: 'rtmp://x.example/app', streamKey: `k-${name}-123456`, enabled },
        })
      ).json();
    const liveOne = await post('Live', true);
    const idle = await post('Idle', true);
    const off = await post('Off', false);

    expect((await call('GET', '/api/status', { auth })).json<StatusDto>().channels[0]).toMatchObject({
      id: 'main',
      onAir: false,
      input: null,
    });

    const since = '2025-01-01T10:00:00.000Z';
    const input = {
      codec: 'h264',
      width: 1280,
      height: 720,
      fps: 30,
      bitrateKbps: 6000,
      audioCodec: 'aac',
      sampleRate: 48000,
      channels: 2,
      since,
    };
    const output = {
      id: liveOne.id,
      state: 'live' as const,
      bitrateKbps: 6100,
      bytes: 123456,
      reconnects: 1,
      droppedFrames: 3,
      lastError: 'ECONNRESET',
      connectedSince: since,
    };
    // Engines may report more than the API shows (videoFrames); it must not leak through.
    live.statuses.set('main', {
      onAir: true,
      source: 'live',
      mode: 'live',
      reason: 'publisher-started',
      since,
      fallbackEndsAt: null,
      fallbackKind: null,
      input,
      outputs: [{ ...output, videoFrames: 9 } as typeof output],
    });

    const status = (await call('GET', '/api/status', { auth })).json<StatusDto>();
    const zero = {
      bitrateKbps: 0,
      bytes: 0,
      reconnects: 0,
      droppedFrames: 0,
      lastError: null,
      connectedSince: null,
    };
    expect(status).toEqual({
      channels: [
        {
          id: 'main',
          name: 'Main',
          onAir: true,
          source: 'live',
          mode: 'live',
          reason: 'publisher-started',
          since,
          fallbackEndsAt: null,
          fallbackKind: null,
          fallbackJobs: [],
          input,
          outputs: [
            { ...output, name: 'Live' },
            { id: idle.id, name: 'Idle', state: 'idle', ...zero },
            { id: off.id, name: 'Off', state: 'disabled', ...zero },
          ],
        },
      ],
    });
  });

  it('answers a server fault with a bare 500 that leaks nothing', async () => {
    live.failStatus = true;
    const response = await call('GET', '/api/status', { auth: token() });
    expect(response.statusCode).toBe(500);
    expect(response.json()).toEqual({ error: 'INTERNAL', message: 'internal error' });
  });
});

describe('over a real socket', () => {
  it('logs in and reads status with fetch on 127.0.0.1', async () => {
    await app.listen({ port: 0, host: '127.0.0.1' });
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const base = `http://127.0.0.1:${port}`;

    expect((await fetch(`${base}/api/status`)).status).toBe(401);
    const loginResponse = await fetch(`${base}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ password }),
    });
    expect(loginResponse.status).toBe(200);
    const cookie = loginResponse.headers.getSetCookie()[0]?.split(';')[0] ?? '';
    expect(cookie).toMatch(/^restream_session=/);

    const status = await fetch(`${base}/api/status`, { headers: { cookie } });
    expect(status.status).toBe(200);
    expect(await status.json()).toEqual({
      channels: [{ id: 'main', name: 'Main', onAir: false, ...offAir, input: null, outputs: [] }],
    });

    const channels = await fetch(`${base}/api/channels`, { headers: { cookie } });
    expect(await channels.json()).toEqual([
      expect.objectContaining({ ingestUrl: 'rtmp://127.0.0.1:1935/live' }),
    ]);
  });
});
