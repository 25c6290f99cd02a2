/**
 * Security as an attacker or a careless operator would probe it: every route needs credentials, cookie
 * requests from another origin are refused, a password change ends other sessions, sessions expire,
 * bodies and uploads are capped, an upload's file name never becomes a path, and platform keys never
 * appear whole in any answer, log line, event or metric while a real stream runs.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApi } from '../../src/api/index.js';
import { ControlPlane, type FallbackUploads, type LiveView } from '../../src/control/control-plane.js';
import { ServerSession } from '../../src/rtmp/server-session.js';
import { silentLogger } from '../../src/shared/logger.js';
import { openStore, type Store } from '../../src/store/index.js';
import { publishTestStream } from '../helpers/ffmpeg.js';
import { startNginxRtmp } from '../helpers/nginx-rtmp.js';
import { startHookServer } from '../helpers/hook-server.js';
import { freePort } from '../helpers/ports.js';
import { registerTestCleanup, waitFor } from '../helpers/process.js';
import { missingPeers } from '../helpers/programs.js';
import { startServerProcess } from '../helpers/server-process.js';
import { registeredRoutes } from '../helpers/routes.js';
import { startTestServer, testPassword, type TestServer } from '../helpers/server.js';

/**
 * Routes that answer without a session or token, each for a reason. Adding a public route means
 * adding it here, on purpose.
 */
const publicRoutes = new Set([
  // Health checks by load balancers and container runtimes.
  'GET /healthz',
  'HEAD /healthz',
  // How a session is obtained.
  'POST /api/auth/login',
  // Ends the caller's own session, if it has one.
  'POST /api/auth/logout',
  // SRS / nginx-rtmp hooks prove themselves with the shared secret or by calling from loopback (and an
  // injected request comes from loopback).
  'POST /api/on_publish',
  'POST /api/on_unpublish',
]);

/** A path for a route pattern: every parameter becomes `x`. */
function concrete(url: string): string {
  return url.replace(/:\w+/g, 'x').replace(/\*/g, 'x');
}

/** The session cookie (`name=value`) from a login answer. */
async function login(httpBase: string, password = testPassword): Promise<string> {
  const response = await fetch(`${httpBase}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: httpBase },
    body: JSON.stringify({ password }),
  });
  const cookie = response.headers.getSetCookie().find((c) => c.startsWith('restream_session='));
  expect(response.status, await response.text()).toBe(200);
  return (cookie ?? '').split(';', 1)[0] ?? '';
}

/** A fetch with a cookie (and optional Origin/Referer), answering status and parsed JSON. */
async function withCookie(
  httpBase: string,
  method: string,
  path: string,
  options: {
    cookie?: string;
    origin?: string;
    referer?: string;
    fetchSite?: string;
    token?: string;
    body?: unknown;
  } = {},
): Promise<{ status: number; body: Record<string, unknown> | undefined }> {
  const headers: Record<string, string> = {};
  if (options.fetchSite !== undefined) headers['sec-fetch-site'] = options.fetchSite;
  if (options.cookie !== undefined) headers['cookie'] = options.cookie;
  if (options.origin !== undefined) headers['origin'] = options.origin;
  if (options.referer !== undefined) headers['referer'] = options.referer;
  if (options.token !== undefined) headers['authorization'] = `Bearer ${options.token}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${httpBase}${path}`, {
    method,
    headers,
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });
  const text = await response.text();
  return {
    status: response.status,
    body: text === '' ? undefined : (JSON.parse(text) as Record<string, unknown>),
  };
}

describe('credentials', () => {
  let test: TestServer;
  beforeEach(async () => {
    test = await startTestServer();
  });

  it('answers 401 on every route but the public ones without credentials, or with forged ones', async () => {
    const app = test.server.api;
    const routes = registeredRoutes(app);
    // The tree really was read: the seed's routes and this are all there.
    for (const expected of ['GET /api/platforms', 'DELETE /api/tokens/:id', 'POST /api/auth/password']) {
      expect(routes.map((r) => `${r.method} ${r.url}`)).toContain(expected);
    }
    expect(routes.length).toBeGreaterThan(20);
    let checked = 0;
    for (const { method, url } of routes) {
      if (publicRoutes.has(`${method} ${url}`)) continue;
      for (const headers of [
        {},
        { cookie: 'restream_session=forged-session-value' },
        { authorization: 'Bearer rst_forged' },
        { authorization: 'Basic YWRtaW46YWRtaW4=' },
      ]) {
        const response = await app.inject({
          method: method as 'GET',
          url: concrete(url),
          headers: { ...headers, 'content-type': 'application/json' },
          ...(method === 'GET' || method === 'HEAD' ? {} : { payload: '{}' }),
        });
        expect(response.statusCode, `${method} ${url} ${JSON.stringify(headers)}`).toBe(401);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(60);
    // An unknown path says nothing about what exists.
    expect((await app.inject({ method: 'GET', url: '/api/secret-admin' })).statusCode).toBe(401);
  });

  it('lists API tokens masked and by name, and a revoked token stops working at once', async () => {
    const created = await test.api<{ id: string; name: string; token: string }>('POST', '/api/tokens', {
      name: 'grafana',
    });
    expect(created.status).toBe(201);
    const { id, token } = created.body;
    const listed = await test.api<{ id: string; name: string; prefix: string }[]>('GET', '/api/tokens');
    expect(listed.text).not.toContain(token);
    expect(listed.text).not.toContain(token.slice(8));
    expect(listed.body.find((t) => t.id === id)).toMatchObject({
      name: 'grafana',
      prefix: token.slice(0, 8),
    });
    expect((await withCookie(test.httpBase, 'GET', '/api/status', { token })).status).toBe(200);
    expect((await test.api('DELETE', `/api/tokens/${id}`)).status).toBe(200);
    expect((await withCookie(test.httpBase, 'GET', '/api/status', { token })).status).toBe(401);
  });
});

describe('cross-origin (CSRF) refusal', () => {
  let test: TestServer;
  let cookie: string;
  beforeEach(async () => {
    test = await startTestServer();
    cookie = await login(test.httpBase);
  });

  const forbidden = { error: 'FORBIDDEN', message: 'cross-origin request refused' };

  it('refuses a cookie-authenticated change from a page that is not ours', async () => {
    const own = test.httpBase;
    const port = new URL(own).port;
    const post = (headers: { origin?: string; referer?: string; fetchSite?: string }) =>
      withCookie(own, 'POST', '/api/tokens', { cookie, body: { name: 'from-page' }, ...headers });
    for (const headers of [
      // A browser that says the request is not same-origin, without naming the origin.
      { fetchSite: 'cross-site' },
      { fetchSite: 'same-site' },
      { fetchSite: 'none' },
      { origin: 'https://evil.example' },
      { origin: 'https://evil.example', fetchSite: 'same-origin' },
      { origin: 'null' },
      { origin: 'not a url' },
      { origin: `https://127.0.0.1:${port}` },
      { origin: `http://127.0.0.1:${Number(port) + 1}` },
      { origin: `http://localhost:${port}` },
      { referer: 'https://evil.example/page' },
      { origin: 'https://evil.example', referer: `${own}/dashboard` },
    ]) {
      const answer = await post(headers);
      expect(answer, JSON.stringify(headers)).toEqual({ status: 403, body: forbidden });
    }
    // Nothing was made by the refused requests.
    const tokens = await test.api<{ name: string }[]>('GET', '/api/tokens');
    expect(tokens.body.map((t) => t.name)).not.toContain('from-page');

    expect((await post({ origin: own })).status).toBe(201);
    expect((await post({ origin: own, fetchSite: 'same-origin' })).status).toBe(201);
    expect((await post({ referer: `${own}/dashboard/platforms?x=1` })).status).toBe(201);
    // Neither Origin, Referer nor Sec-Fetch-Site: not a browser (curl with a cookie jar), so no page
    // can have made it.
    expect((await post({})).status).toBe(201);
    for (const [method, path] of [
      ['PUT', '/api/platforms/x'],
      ['DELETE', '/api/tokens/x'],
      ['POST', '/api/channels/main/rotate-key'],
    ] as const) {
      const answer = await withCookie(own, method, path, {
        cookie,
        origin: 'https://evil.example',
        body: {},
      });
      expect(answer, `${method} ${path}`).toEqual({ status: 403, body: forbidden });
    }
  });

  it('lets reads through, exempts bearer tokens, and checks login and logout too', async () => {
    const own = test.httpBase;
    const evil = 'https://evil.example';
    expect((await withCookie(own, 'GET', '/api/platforms', { cookie, origin: evil })).status).toBe(200);
    const token = test.server.store.auth.createToken('script').token;
    const scripted = await withCookie(own, 'POST', '/api/tokens', {
      token,
      origin: evil,
      body: { name: 's' },
    });
    expect(scripted.status).toBe(201);
    // Login from another site's page is refused; from ours, or from a script (no Origin), it works.
    const evilLogin = await withCookie(own, 'POST', '/api/auth/login', {
      origin: evil,
      body: { password: testPassword },
    });
    expect(evilLogin).toEqual({ status: 403, body: forbidden });
    expect(
      (await withCookie(own, 'POST', '/api/auth/login', { body: { password: testPassword } })).status,
    ).toBe(200);
    // A forged logout is refused as well; the session lives on.
    expect((await withCookie(own, 'POST', '/api/auth/logout', { cookie, origin: evil })).status).toBe(403);
    expect(
      (await withCookie(own, 'POST', '/api/auth/logout', { cookie, fetchSite: 'cross-site' })).status,
    ).toBe(403);
    expect((await withCookie(own, 'GET', '/api/status', { cookie })).status).toBe(200);
    expect((await withCookie(own, 'POST', '/api/auth/logout', { cookie, origin: own })).status).toBe(200);
    expect((await withCookie(own, 'GET', '/api/status', { cookie })).status).toBe(401);
  });

  it('refuses a page on another site posting to a loopback-trusted hook', async () => {
    if (!test.server.api.hasRoute({ method: 'POST', url: '/api/on_publish' })) return;
    const answer = await withCookie(test.httpBase, 'POST', '/api/on_publish', {
      origin: 'https://evil.example',
      body: { action: 'on_publish', app: 'live', stream: 'x' },
    });
    expect(answer).toEqual({ status: 403, body: forbidden });
  });
});

describe('password change', () => {
  let test: TestServer;
  beforeEach(async () => {
    test = await startTestServer();
  });

  it('needs the current password, keeps the caller’s session and ends every other one', async () => {
    const own = test.httpBase;
    const mine = await login(own);
    const other = await login(own);
    const token = test.server.store.auth.createToken('script').token;
    const change = (body: unknown) =>
      withCookie(own, 'POST', '/api/auth/password', { cookie: mine, origin: own, body });
    const newPassword = 'a-much-better-password-42';

    expect(await change({ currentPassword: 'wrong-password', newPassword })).toEqual({
      status: 403,
      body: { error: 'FORBIDDEN', message: 'currentPassword is wrong', field: 'currentPassword' },
    });
    const short = await change({ currentPassword: testPassword, newPassword: 'short' });
    expect(short).toMatchObject({ status: 400, body: { error: 'VALIDATION', field: 'newPassword' } });
    const blank = await change({ currentPassword: testPassword, newPassword: ' '.repeat(20) });
    expect(blank).toMatchObject({ status: 400, body: { error: 'VALIDATION', field: 'newPassword' } });
    const missing = await change({ newPassword });
    expect(missing).toMatchObject({ status: 400, body: { field: 'currentPassword' } });
    // Nothing changed so far: both sessions live, the old password works.
    expect((await withCookie(own, 'GET', '/api/status', { cookie: other })).status).toBe(200);

    expect(await change({ currentPassword: testPassword, newPassword })).toEqual({
      status: 200,
      body: { ok: true },
    });
    expect((await withCookie(own, 'GET', '/api/status', { cookie: mine })).status).toBe(200);
    expect((await withCookie(own, 'GET', '/api/status', { cookie: other })).status).toBe(401);
    // API tokens are revoked one by one, not by a password change.
    expect((await withCookie(own, 'GET', '/api/status', { token })).status).toBe(200);
    const oldLogin = await withCookie(own, 'POST', '/api/auth/login', { body: { password: testPassword } });
    expect(oldLogin.status).toBe(401);
    await login(own, newPassword);

    // Changed with a token, no session is kept.
    const third = await login(own, newPassword);
    const byToken = await withCookie(own, 'POST', '/api/auth/password', {
      token,
      body: { currentPassword: newPassword, newPassword: 'yet-another-password-43' },
    });
    expect(byToken.status).toBe(200);
    expect((await withCookie(own, 'GET', '/api/status', { cookie: third })).status).toBe(401);
    expect((await withCookie(own, 'GET', '/api/status', { cookie: mine })).status).toBe(401);
  });

  it('counts wrong current passwords against the login limit', async () => {
    const own = test.httpBase;
    const cookie = await login(own);
    let last = 0;
    for (let i = 0; i < 11; i++) {
      last = (
        await withCookie(own, 'POST', '/api/auth/password', {
          cookie,
          origin: own,
          body: { currentPassword: `guess-${i}`, newPassword: 'whatever-new-password' },
        })
      ).status;
    }
    expect(last).toBe(429);
  });
});

describe('the admin password from the environment', () => {
  let dir: string;
  let store: Store;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'restream-envpw-'));
    store = openStore(dir);
  });
  afterEach(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is applied when it changes, and does not undo a password changed through the API', async () => {
    await store.auth.ensureAdminPassword('env-password-one');
    const session = store.auth.createSession(60_000);
    // Same environment on the next start: nothing changes.
    await store.auth.ensureAdminPassword('env-password-one');
    expect(store.auth.checkSession(session)).toBe(true);

    await store.auth.changeAdminPassword('changed-in-the-dashboard', session);
    await store.auth.ensureAdminPassword('env-password-one');
    expect(await store.auth.verifyAdminPassword('changed-in-the-dashboard')).toBe(true);
    expect(await store.auth.verifyAdminPassword('env-password-one')).toBe(false);

    // The operator sets a new one in the environment: it wins, and sessions end.
    await store.auth.ensureAdminPassword('env-password-two');
    expect(await store.auth.verifyAdminPassword('env-password-two')).toBe(true);
    expect(store.auth.checkSession(session)).toBe(false);
  });
});

/** The API alone, in process, on a fake clock: what authentication needs and nothing else. */
class InProcessApi {
  readonly dir = mkdtempSync(join(tmpdir(), 'restream-sec-'));
  clock = Date.parse('2025-06-01T12:00:00Z');
  readonly store: Store;
  readonly app: FastifyInstance;

  constructor(options: { trustProxy?: string; sessionTtlMs?: number } = {}) {
    this.store = openStore(this.dir, { now: () => this.clock });
    const backend = new ControlPlane({
      store: this.store,
      // The engine and the fallback library play no part in authentication.
      live: {} as LiveView,
      fallback: {} as FallbackUploads,
      rtmpPort: 1935,
      logger: silentLogger,
      sessionTtlMs: options.sessionTtlMs ?? 3600_000,
      now: () => this.clock,
    });
    this.app = createApi({
      backend,
      logger: silentLogger,
      now: () => this.clock,
      ...(options.trustProxy === undefined ? {} : { trustProxy: options.trustProxy }),
    });
  }

  async close(): Promise<void> {
    await this.app.close();
    this.store.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

describe('sessions expire', () => {
  let api: InProcessApi;
  beforeEach(async () => {
    api = new InProcessApi({ sessionTtlMs: 3600_000 });
    await api.store.auth.setAdminPassword('expiry-password-123');
  });
  afterEach(() => api.close());

  it('stops honouring a session cookie after its lifetime, which the cookie itself carries', async () => {
    const { app } = api;
    const response = await app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { password: 'expiry-password-123' },
    });
    expect(response.statusCode).toBe(200);
    const cookie = response.cookies.find((c) => c.name === 'restream_session');
    expect(cookie?.maxAge).toBe(3600);
    const headers = { cookie: `restream_session=${cookie?.value ?? ''}` };
    expect((await app.inject({ method: 'GET', url: '/api/tokens', headers })).statusCode).toBe(200);
    api.clock += 3600_000 - 1000;
    expect((await app.inject({ method: 'GET', url: '/api/tokens', headers })).statusCode).toBe(200);
    api.clock += 1000;
    expect((await app.inject({ method: 'GET', url: '/api/tokens', headers })).statusCode).toBe(401);
  });
});

describe('behind a reverse proxy', () => {
  let api: InProcessApi;
  beforeEach(() => {
    api = new InProcessApi({ trustProxy: 'loopback' });
  });
  afterEach(() => api.close());

  it('takes our own origin from X-Forwarded-Proto and -Host', async () => {
    const cookie = `restream_session=${api.store.auth.createSession(60_000)}`;
    const post = (origin: string) =>
      api.app.inject({
        method: 'POST',
        url: '/api/tokens',
        headers: {
          host: '127.0.0.1:8080',
          'x-forwarded-proto': 'https',
          'x-forwarded-host': 'restream.example.org',
          cookie,
          origin,
        },
        payload: { name: 'proxied' },
      });
    expect((await post('https://restream.example.org')).statusCode).toBe(201);
    expect((await post('http://127.0.0.1:8080')).statusCode).toBe(403);
    expect((await post('http://restream.example.org')).statusCode).toBe(403);
  });
});

describe('body size caps and upload names', () => {
  let test: TestServer;
  beforeEach(async () => {
    test = await startTestServer();
  });

  it('refuses a JSON body over 64 KiB with 413', async () => {
    const answer = await test.api('POST', '/api/platforms', {
      name: 'big',
      url: 'rtmp://example.com/app',
      streamKey: 'x'.repeat(70 * 1024),
    });
    expect(answer.status).toBe(413);
  });

  it('refuses an upload declared larger than the cap before reading it', async () => {
    const token = test.server.store.auth.createToken('upload').token;
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${test.httpBase}/api/upload_fallback`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'multipart/form-data; boundary=b',
          // 3 GiB declared, a few bytes sent: the answer must not wait for the rest.
          'content-length': String(3 * 1024 ** 3),
        },
      });
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.write('--b\r\nContent-Disposition: form-data; name="file"; filename="big.mp4"\r\n\r\n');
    });
    expect(status).toBe(413);
  });

  it('never lets an upload’s file name become a path', async () => {
    const dataDir = test.server.config.dataDir;
    const marker = `evil-${randomBytes(4).toString('hex')}`;
    const escapes = [`../../../../../../tmp/${marker}.mp4`, `..\\..\\${marker}.mp4`, `/tmp/${marker}.mp4`];
    const clip = readFileSync(new URL('../fixtures/media/avc1-high-640x360-mp4a.src.mp4', import.meta.url));
    const upload = async (filename: string, content: Buffer): Promise<{ status: number; text: string }> => {
      const form = new FormData();
      form.append('file', new Blob([content]), filename);
      const response = await fetch(`${test.httpBase}/api/upload_fallback`, {
        method: 'POST',
        headers: { authorization: `Bearer ${test.server.store.auth.createToken('u').token}` },
        body: form,
      });
      return { status: response.status, text: await response.text() };
    };
    // Refused content and accepted content alike.
    for (const name of escapes) {
      expect((await upload(name, Buffer.from('not a video'))).status).toBe(422);
    }
    const accepted = await upload('../../etc/passwd', clip);
    expect(accepted.status, accepted.text).toBe(202);
    const traversal = await upload(escapes[0]!, clip);
    expect(traversal.status, traversal.text).toBe(202);
    // An upload becomes the channel's clip once it is conformed.
    const { job } = JSON.parse(traversal.text) as { job: { id: string } };
    await waitFor(
      async () =>
        (await test.api<{ state: string }>('GET', `/api/fallback/jobs/${job.id}`)).body.state === 'done',
      { what: 'the upload conformed', timeoutMs: 60_000 },
    );

    // The name is kept for display only, as its last segment.
    const fallback = await test.api<{ info: { original: { name: string } | null } }>(
      'GET',
      '/api/channels/main/fallback',
    );
    expect(fallback.body.info.original?.name).toBe(`${marker}.mp4`);

    // No file by those names anywhere: not where the names point, not inside the data directory.
    expect(existsSync(`/tmp/${marker}.mp4`)).toBe(false);
    const files = readdirSync(dataDir, { recursive: true, encoding: 'utf8' });
    expect(files.filter((f) => f.includes(marker) || f.includes('passwd'))).toEqual([]);
    // Everything written is inside the data directory.
    for (const file of files) expect(relative(dataDir, join(dataDir, file)).startsWith('..')).toBe(false);
  });
});

const missing = missingPeers('ffmpeg', 'nginx');

describe.skipIf(missing !== '')(`platform keys stay secret ${missing}`, () => {
  it('never appear whole in any answer, log line, event or metric during a real broadcast', async () => {
    const run = randomBytes(8).toString('hex');
    const nginx = await startNginxRtmp({ apps: [{ name: 'live', record: false }] });
    const closedPort = await freePort();
    const echoing = await echoingPlatform();
    const webhooks = await startHookServer(200);
    const server = await startServerProcess({ env: { LOG_LEVEL: 'debug' } });
    // Distinct endings, so each mask (****last4) is told apart.
    const keys = {
      first: `sk_${run}_first`,
      second: `sk_${run}_second`,
      refused: `sk_${run}_refused`,
      tls: `sk_${run}_tls1`,
      disabled: `sk_${run}_disabled`,
      updated: `sk_${run}_updated`,
      echoed: `sk_${run}_echoed`,
      hookSecret: `hs_${run}_hooksecret`,
    };
    const platforms = [
      { name: 'first', url: `rtmp://127.0.0.1:${nginx.port}/live`, streamKey: keys.first },
      { name: 'second', url: `rtmp://127.0.0.1:${nginx.port}/live`, streamKey: keys.second },
      // Connection refused: retries, with errors in status, logs and events.
      { name: 'refused', url: `rtmp://127.0.0.1:${closedPort}/live`, streamKey: keys.refused },
      // TLS to a plain RTMP port: a handshake failure.
      { name: 'tls', url: `rtmps://127.0.0.1:${nginx.port}/live`, streamKey: keys.tls },
      // Refuses, quoting the stream name back: the platform's words reach status, events, history,
      // webhooks and logs.
      { name: 'echoed', url: `rtmp://127.0.0.1:${echoing.port}/app`, streamKey: keys.echoed },
      {
        name: 'disabled',
        url: `rtmp://127.0.0.1:${nginx.port}/live`,
        streamKey: keys.disabled,
        enabled: false,
      },
    ];
    const answers: string[] = [];
    const ids: string[] = [];
    const hook = await server.api('POST', '/api/webhooks', {
      channelId: 'main',
      url: webhooks.url(),
      events: ['destination-failed'],
    });
    expect(hook.status, hook.text).toBe(201);
    for (const platform of platforms) {
      const created = await server.api<{ id: string }>('POST', '/api/platforms', platform);
      expect(created.status, created.text).toBe(201);
      answers.push(created.text);
      ids.push(created.body.id);
    }

    // Every GET route the document lists, with its parameters filled in; streams read for a while.
    const docs = await server.api<{ paths: Record<string, Record<string, unknown>> }>('GET', '/api/docs');
    expect(docs.status).toBe(200);
    const getPaths = Object.entries(docs.body.paths)
      .filter(([, operations]) => 'get' in operations)
      .flatMap(([path]) => {
        if (path === '/api/platforms/{id}') return ids.map((id) => `/api/platforms/${id}`);
        return [path.replace(/\{[^}]+\}/g, 'main')];
      });
    expect(getPaths).toContain('/api/platforms');
    const readAll = (): Promise<unknown> =>
      Promise.all(
        getPaths.map(async (path) => {
          const controller = new AbortController();
          const timer = setTimeout(() => {
            controller.abort();
          }, 2500);
          let text = '';
          try {
            const response = await fetch(`${server.httpBase}${path}`, {
              headers: { authorization: `Bearer ${server.token}` },
              signal: controller.signal,
            });
            const decoder = new TextDecoder();
            for await (const chunk of response.body ?? []) text += decoder.decode(chunk as Uint8Array);
          } catch {
            // an event stream, cut by the timer: what it sent so far is in `text`
          } finally {
            clearTimeout(timer);
          }
          answers.push(`${path}\n${text}`);
        }),
      );

    const publisher = publishTestStream({ url: `${server.ingestBase}/${server.ingestKey}` });
    await waitFor(
      async () => {
        const status = await server.api<{ channels: { outputs: { name: string; state: string }[] }[] }>(
          'GET',
          '/api/status',
        );
        const outputs = status.body.channels.flatMap((c) => c.outputs);
        const live = outputs.filter((o) => o.state === 'live');
        return live.length === 2 && outputs.some((o) => o.name === 'echoed' && o.state === 'failed');
      },
      { what: 'both nginx outputs live, and the echoing one failed', timeoutMs: 15_000 },
    );
    await waitFor(() => webhooks.requests.some((r) => r.body.includes('destination-failed')), {
      what: 'the destination-failed webhook',
    });
    // A publish hook called with its secret in the query string (the way SRS and nginx-rtmp call it).
    await fetch(`${server.httpBase}/api/on_publish?secret=${keys.hookSecret}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ action: 'on_publish', app: 'live', stream: 'not-a-key' }),
    });
    // While live (event streams deliver stats and output errors), a key changed while live, then after.
    await readAll();
    const updated = await server.api('PUT', `/api/platforms/${ids[0]!}`, { streamKey: keys.updated });
    expect(updated.status).toBe(200);
    answers.push(updated.text);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await publisher.stop();
    await readAll();
    await server.stop();

    const logs = server.output();
    expect(logs).toContain('connecting');
    expect(logs).toContain('/api/on_publish');
    const haystacks = {
      answers: answers.join('\n'),
      logs,
      webhooks: webhooks.requests.map((r) => r.body).join('\n'),
    };
    for (const [where, text] of Object.entries(haystacks)) {
      for (const [which, key] of Object.entries(keys)) {
        // Masks show the last 4 characters; nothing longer may appear.
        expect(text.includes(key.slice(0, -4)), `${which} key in ${where}`).toBe(false);
      }
    }
    // The answers and logs did show the masked forms (the scan looked at the right things).
    expect(haystacks.answers).toContain(`****${keys.second.slice(-4)}`);
    expect(haystacks.answers).toContain(`****${keys.updated.slice(-4)}`);
    expect(logs).toContain(`****${keys.refused.slice(-4)}`);
    // The echoing platform's refusal was kept, with the key masked in it.
    const echoedRefusal = `Stream ****${keys.echoed.slice(-4)} is already publishing`;
    expect(haystacks.answers).toContain(echoedRefusal);
    expect(haystacks.webhooks).toContain(echoedRefusal);
    expect(logs).toContain(echoedRefusal);
  });
});

/**
 * A platform that refuses every publish and quotes the stream name in its refusal, as some servers do. No
 * peer installed here words its refusals that way (nginx-rtmp just closes), so it is this project's own
 * RTMP server session, answering so.
 */
async function echoingPlatform(): Promise<{ port: number }> {
  const server = createNetServer((socket) => {
    socket.on('error', () => undefined);
    new ServerSession(socket, {
      authorizePublish: (request) => ({
        ok: false,
        code: 'BadName',
        description: `Stream ${request.name} is already publishing`,
      }),
      authorizePlay: () => ({ ok: false, code: 'BadName', description: 'no' }),
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  registerTestCleanup(
    () =>
      new Promise<void>((resolve) =>
        server.close(() => {
          resolve();
        }),
      ),
  );
  return { port: (server.address() as AddressInfo).port };
}
