/**
 * What an API token, a stolen session or a guesser can do, and what a page in a frame can: token
 * scopes, the stream-key exfiltration guard on platform edits, idle sessions, the global login limit,
 * one password rule everywhere, and the security headers on every answer. Real server on loopback,
 * real fetch (the route sweep alone injects, to cover every route).
 */
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { contentSecurityPolicy } from '../../src/api/security-headers.js';
import { registeredRoutes } from '../helpers/routes.js';
import { startTestServer, testPassword, type TestServer } from '../helpers/server.js';

/** fetch with a bearer token or cookie; status, JSON body (or text) and headers. */
async function call(
  test: TestServer,
  method: string,
  path: string,
  options: { token?: string; cookie?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: Record<string, unknown> | undefined; headers: Headers; text: string }> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token !== undefined) headers['authorization'] = `Bearer ${options.token}`;
  if (options.cookie !== undefined) headers['cookie'] = options.cookie;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${test.httpBase}${path}`, {
    method,
    headers,
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });
  const text = method === 'GET' && path === '/api/events' ? '' : await response.text();
  let body: Record<string, unknown> | undefined;
  try {
    body = text === '' ? undefined : (JSON.parse(text) as Record<string, unknown>);
  } catch {
    body = undefined;
  }
  if (path === '/api/events') await response.body?.cancel();
  return { status: response.status, body, headers: response.headers, text };
}

async function login(test: TestServer): Promise<string> {
  const answer = await call(test, 'POST', '/api/auth/login', { body: { password: testPassword } });
  expect(answer.status).toBe(200);
  const setCookie = answer.headers.getSetCookie().find((c) => c.startsWith('restream_session='));
  return (setCookie ?? '').split(';', 1)[0] ?? '';
}

/** The routes a `read` token may call. */
const readRoutes = new Set([
  'GET /api/status',
  'HEAD /api/status',
  'GET /api/events',
  'HEAD /api/events',
  'GET /api/history',
  'HEAD /api/history',
  'GET /metrics',
  'HEAD /metrics',
]);

describe('API token scopes', () => {
  it('lets a read token see status, events, history and metrics, and refuses it everything else', async () => {
    const test = await startTestServer();
    const created = await test.api<{ token: string; scope: string }>('POST', '/api/tokens', {
      name: 'prometheus',
      scope: 'read',
    });
    expect(created.status).toBe(201);
    expect(created.body.scope).toBe('read');
    const read = created.body.token;
    for (const path of ['/api/status', '/api/events', '/api/history', '/metrics']) {
      expect((await call(test, 'GET', path, { token: read })).status, path).toBe(200);
    }
    // The keys stay out of reach: channels (ingest keys), platforms, token and webhook admin.
    for (const [method, path, body] of [
      ['GET', '/api/channels', undefined],
      ['POST', '/api/channels/main/rotate-key', undefined],
      ['PUT', '/api/platforms/x', { url: 'rtmp://evil.example/app' }],
      ['POST', '/api/tokens', { name: 'escalate', scope: 'admin' }],
      ['GET', '/api/webhooks', undefined],
    ] as const) {
      const answer = await call(test, method, path, { token: read, body });
      expect(answer.status, `${method} ${path}`).toBe(403);
      expect(answer.body).toMatchObject({ error: 'FORBIDDEN' });
      expect(String(answer.body?.['message'])).toContain('read scope');
    }
    // Every other route of the API, swept.
    let swept = 0;
    for (const { method, url } of registeredRoutes(test.server.api)) {
      if (!url.startsWith('/api/') || readRoutes.has(`${method} ${url}`)) continue;
      if (['/api/auth/login', '/api/auth/logout', '/api/on_publish', '/api/on_unpublish'].includes(url))
        continue;
      const response = await test.server.api.inject({
        method: method as 'GET',
        url: url.replace(/:\w+/g, 'x'),
        headers: { authorization: `Bearer ${read}`, 'content-type': 'application/json' },
        ...(method === 'GET' || method === 'HEAD' ? {} : { payload: '{}' }),
      });
      expect(response.statusCode, `${method} ${url}`).toBe(403);
      swept++;
    }
    expect(swept).toBeGreaterThan(20);
    // Listed with its scope; an admin token (the default) may do all of it.
    const listed = await test.api<{ name: string; scope: string }[]>('GET', '/api/tokens');
    expect(listed.body).toContainEqual(expect.objectContaining({ name: 'prometheus', scope: 'read' }));
    const admin = await test.api<{ token: string; scope: string }>('POST', '/api/tokens', { name: 'ci' });
    expect(admin.body.scope).toBe('admin');
    expect((await call(test, 'GET', '/api/channels', { token: admin.body.token })).status).toBe(200);
    const bad = await test.api('POST', '/api/tokens', { name: 'x', scope: 'root' });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ error: 'VALIDATION', field: 'scope' });
  });
});

describe('platform stream keys cannot be sent elsewhere', () => {
  it('refuses a URL on another host without the key in the same request, naming streamKey', async () => {
    const test = await startTestServer();
    const created = await test.api<{ id: string; streamKey: string }>('POST', '/api/platforms', {
      name: 'Twitch',
      url: 'rtmps://ingest.example.net/app',
      streamKey: 'live_secret_key_123',
    });
    expect(created.status).toBe(201);
    const id = created.body.id;
    for (const url of [
      'rtmp://attacker.example/app',
      'rtmps://ingest.example.net:8443/app',
      'rtmp://ingest.example.net/app',
    ]) {
      const answer = await test.api('PUT', `/api/platforms/${id}`, { url });
      expect(answer.status, url).toBe(400);
      expect(answer.body, url).toMatchObject({ error: 'VALIDATION', field: 'streamKey' });
    }
    expect((await test.api<{ url: string }>('GET', `/api/platforms/${id}`)).body.url).toBe(
      'rtmps://ingest.example.net/app',
    );
    // The same host (another path, the default port spelled out): the key may follow.
    expect(
      (await test.api('PUT', `/api/platforms/${id}`, { url: 'rtmps://INGEST.example.net:443/app2' })).status,
    ).toBe(200);
    // With the key in the same request, any host.
    const moved = await test.api('PUT', `/api/platforms/${id}`, {
      url: 'rtmp://other.example/app',
      streamKey: 'a-new-key-for-there',
    });
    expect(moved.status).toBe(200);
  });
});

describe('sessions and login', () => {
  it('ends a session left idle for SESSION_IDLE_TIMEOUT_MS, not one in use', async () => {
    const test = await startTestServer({ env: { SESSION_IDLE_TIMEOUT_MS: '1500' } });
    const used = await login(test);
    const idle = await login(test);
    for (let i = 0; i < 8; i++) {
      expect((await call(test, 'GET', '/api/status', { cookie: used })).status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect((await call(test, 'GET', '/api/status', { cookie: idle })).status).toBe(401);
    expect((await call(test, 'GET', '/api/status', { cookie: used })).status).toBe(200);
  });

  it('backs off logins over all addresses together, not only per address', async () => {
    // Behind a trusted proxy each X-Forwarded-For is its own client: 61 clients, one guess each.
    const test = await startTestServer({ env: { TRUST_PROXY: 'loopback' } });
    const attempt = (client: string) =>
      call(test, 'POST', '/api/auth/login', {
        body: { password: 'not-the-password' },
        headers: { 'x-forwarded-for': client },
      });
    const answers = await Promise.all(Array.from({ length: 60 }, (_, i) => attempt(`203.0.113.${i}`)));
    expect(answers.map((a) => a.status)).toEqual(Array<number>(60).fill(401));
    const next = await attempt('198.51.100.200');
    expect(next.status).toBe(429);
    expect(next.headers.get('retry-after')).toMatch(/^\d+$/);
  });

  it('holds RESTREAM_ADMIN_PASSWORD to the same minimum as the API', async () => {
    const env = { RESTREAM_ADMIN_PASSWORD: 'x' };
    expect(() => loadConfig([], env)).toThrow(ConfigError);
    expect(() => loadConfig([], env)).toThrow(/at least 12 characters/);
    expect(() => loadConfig(['--admin-password', '           y'], {})).toThrow(/at least 12/);
    expect(loadConfig([], { RESTREAM_ADMIN_PASSWORD: 'twelve-chars' }).adminPassword).toBe('twelve-chars');
    const test = await startTestServer();
    const cookie = await login(test);
    const change = await call(test, 'POST', '/api/auth/password', {
      cookie,
      body: { currentPassword: testPassword, newPassword: 'x'.repeat(11) },
    });
    expect(change.status).toBe(400);
    expect(change.body).toMatchObject({ field: 'newPassword' });
    expect(String(change.body?.['message'])).toMatch(/12/);
  });
});

describe('security headers', () => {
  it('puts CSP, frame-ancestors none, DENY, nosniff and a referrer policy on every answer', async () => {
    const test = await startTestServer();
    const token = test.server.store.auth.createToken('h').token;
    const answers = {
      dashboard: await call(test, 'GET', '/'),
      'dashboard route': await call(test, 'GET', '/platforms'),
      api: await call(test, 'GET', '/api/status', { token }),
      refusal: await call(test, 'GET', '/api/status'),
      'not found': await call(test, 'GET', '/api/nothing', { token }),
      health: await call(test, 'GET', '/healthz'),
      metrics: await call(test, 'GET', '/metrics', { token }),
      events: await call(test, 'GET', '/api/events', { token }),
    };
    for (const [what, answer] of Object.entries(answers)) {
      expect(answer.headers.get('content-security-policy'), what).toBe(contentSecurityPolicy);
      expect(answer.headers.get('x-frame-options'), what).toBe('DENY');
      expect(answer.headers.get('x-content-type-options'), what).toBe('nosniff');
      expect(answer.headers.get('referrer-policy'), what).toBe('same-origin');
    }
    expect(contentSecurityPolicy).toContain("frame-ancestors 'none'");
    expect(contentSecurityPolicy).toContain("script-src 'self'");
  });
});
