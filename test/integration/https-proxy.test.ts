/**
 * HTTPS, served by us (HTTPS_CERT/HTTPS_KEY) or by nginx in front (the shipped deploy/nginx.conf), as a
 * browser and curl reach it: login from the page's https origin works and its cookie is Secure,
 * X-Forwarded-* count only from the proxies TRUST_PROXY names, the client address behind the proxy
 * is what the login limit counts, and the event stream comes through unbuffered.
 */
import { spawn } from 'node:child_process';
import { Writable } from 'node:stream';
import { createLogger } from '../../src/shared/logger.js';
import { describe, expect, it } from 'vitest';
import { curl } from '../helpers/curl.js';
import { startHttpsProxy } from '../helpers/https-proxy.js';
import { waitFor } from '../helpers/process.js';
import { missingPeers, requireProgram } from '../helpers/programs.js';
import { startTestServer, testPassword } from '../helpers/server.js';
import { makeTestCa } from '../helpers/tls-terminator.js';
import { makeTempDir } from '../helpers/tmp.js';

const missing = missingPeers('nginx', 'openssl', 'curl');

/** curl arguments of a login from a page on `origin`, keeping the cookie in `jar`. */
function loginArgs(url: string, origin: string, jar: string, password = testPassword): string[] {
  return [
    '-c',
    jar,
    '-X',
    'POST',
    `${url}/api/auth/login`,
    '-H',
    'content-type: application/json',
    '-H',
    `origin: ${origin}`,
    '-d',
    JSON.stringify({ password }),
  ];
}

function sessionCookieOf(setCookies: string[] | undefined): string | undefined {
  return setCookies?.find((c) => c.startsWith('restream_session='));
}

describe.skipIf(missing !== '')(`HTTPS ${missing}`, () => {
  it('serves the dashboard and API over TLS on HTTP_PORT with HTTPS_CERT and HTTPS_KEY', async () => {
    const ca = await makeTestCa();
    const test = await startTestServer({ env: { HTTPS_CERT: ca.certFile, HTTPS_KEY: ca.keyFile } });
    const url = `https://localhost:${test.server.ports.http}`;
    const jar = `${makeTempDir('jar')}/jar`;
    const health = await curl(['--cacert', ca.caFile, `${url}/healthz`]);
    expect(health).toMatchObject({ status: 200, body: '{"ok":true}' });
    const login = await curl(['--cacert', ca.caFile, ...loginArgs(url, url, jar)]);
    expect(login.status, login.body).toBe(200);
    expect(sessionCookieOf(login.headers.get('set-cookie'))).toMatch(/; Secure/i);
    const tokens = await curl(['--cacert', ca.caFile, '-b', jar, `${url}/api/tokens`]);
    expect(tokens.status).toBe(200);
    // Plain HTTP on that port gets no answer from the API.
    await expect(curl([`http://127.0.0.1:${test.server.ports.http}/healthz`])).rejects.toThrow();
  });

  it('works behind nginx serving HTTPS with TRUST_PROXY=loopback: login, Secure cookie, changes, events', async () => {
    const test = await startTestServer({ env: { TRUST_PROXY: 'loopback' } });
    const proxy = await startHttpsProxy(test.server.ports.http);
    const url = proxy.origin;
    const tls = ['--cacert', proxy.caFile];
    const jar = `${makeTempDir('jar')}/jar`;

    const login = await curl([...tls, ...loginArgs(url, url, jar)]);
    expect(login.status, login.body).toBe(200);
    expect(sessionCookieOf(login.headers.get('set-cookie'))).toMatch(/; Secure/i);

    // A change from the page (its https Origin) is accepted; one naming the plain-http origin is not.
    const add = (origin: string) =>
      curl([
        ...tls,
        '-b',
        jar,
        '-X',
        'POST',
        `${url}/api/platforms`,
        '-H',
        'content-type: application/json',
        '-H',
        `origin: ${origin}`,
        '-d',
        JSON.stringify({ name: `P ${origin}`, url: 'rtmp://127.0.0.1:9/app', streamKey: 'k-12345678' }),
      ]);
    expect((await add(url)).status).toBe(201);
    expect((await add(url.replace('https:', 'http:'))).status).toBe(403);

    // The ingest URL for OBS names the host the browser used, not the upstream address.
    const channels = await curl([...tls, '-b', jar, `${url}/api/channels`]);
    expect(JSON.parse(channels.body)).toContainEqual(
      expect.objectContaining({ ingestUrl: `rtmp://localhost:${test.server.ports.rtmp}/live` }),
    );

    // The event stream arrives through the proxy as it is written (the stats tick, each second).
    const stream = spawn(requireProgram('curl', 'curl'), ['-sSN', ...tls, '-b', jar, `${url}/api/events`]);
    let received = '';
    stream.stdout.on('data', (chunk: Buffer) => (received += chunk.toString('utf8')));
    try {
      await waitFor(() => (received.match(/event: stats/g) ?? []).length >= 2, {
        what: 'two stats events through nginx',
      });
    } finally {
      stream.kill();
    }
    expect(received).toMatch(/^retry: \d+/);
  });

  it('ignores X-Forwarded-* without TRUST_PROXY, or from a proxy it does not name', async () => {
    for (const env of [{}, { TRUST_PROXY: '10.11.12.13, 192.0.2.0/24' }]) {
      const test = await startTestServer({ env });
      const proxy = await startHttpsProxy(test.server.ports.http);
      const jar = `${makeTempDir('jar')}/jar`;
      const login = await curl(['--cacert', proxy.caFile, ...loginArgs(proxy.origin, proxy.origin, jar)]);
      // Our own origin, as far as the server can tell, is http://localhost:PORT: the page's is refused.
      expect(login.status, JSON.stringify(env)).toBe(403);
      // Straight to the server, forged headers change nothing either.
      const direct = `http://127.0.0.1:${test.server.ports.http}`;
      const forged = await curl([
        ...loginArgs(direct, 'https://evil.example', jar),
        '-H',
        'x-forwarded-proto: https',
        '-H',
        'x-forwarded-host: evil.example',
      ]);
      expect(forged.status).toBe(403);
      await proxy.stop();
      await test.stop();
    }
  });

  it('counts login attempts by, and logs, the client address the trusted proxy forwards', async () => {
    const logLines: string[] = [];
    const logStream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        logLines.push(chunk.toString('utf8'));
        done();
      },
    });
    const test = await startTestServer({
      env: { TRUST_PROXY: 'loopback' },
      start: { logger: createLogger('info', logStream) },
    });
    const proxy = await startHttpsProxy(test.server.ports.http);
    const jar = `${makeTempDir('jar')}/jar`;
    // nginx appends the address it saw (127.0.0.1, trusted) to what the client sent: the client is the
    // address before it.
    const attempt = (client: string) =>
      curl([
        '--cacert',
        proxy.caFile,
        ...loginArgs(proxy.origin, proxy.origin, jar, 'wrong-password-000'),
        '-H',
        `x-forwarded-for: ${client}`,
      ]);
    for (let i = 0; i < 10; i++) expect((await attempt('198.51.100.7')).status).toBe(401);
    expect((await attempt('198.51.100.7')).status).toBe(429);
    expect((await attempt('198.51.100.8')).status).toBe(401);
    const requests = logLines
      .map((line) => JSON.parse(line) as { req?: { url?: string; remoteAddress?: string } })
      .filter((entry) => entry.req?.url === '/api/auth/login');
    expect(requests.length).toBeGreaterThan(0);
    expect(new Set(requests.map((entry) => entry.req?.remoteAddress))).toEqual(
      new Set(['198.51.100.7', '198.51.100.8']),
    );
  });

  it('does not take a publish hook coming through the proxy for a local call', async () => {
    const test = await startTestServer({ env: { TRUST_PROXY: 'loopback' } });
    const proxy = await startHttpsProxy(test.server.ports.http);
    const hook = (base: string, extra: string[]) =>
      curl([
        ...extra,
        '-X',
        'POST',
        `${base}/api/on_publish`,
        '-d',
        'call=publish&app=live&name=not-a-key&tcurl=rtmp://127.0.0.1/live',
      ]);
    // From the internet through nginx (it forwards the client's address; the test's client is on
    // loopback, so it names one as a client elsewhere would be): no secret, refused.
    const proxied = await hook(proxy.origin, [
      '--cacert',
      proxy.caFile,
      '-H',
      'x-forwarded-for: 203.0.113.9',
    ]);
    expect(proxied.status).toBe(403);
    expect(proxied.body).toMatch(/secret/i);
    // nginx-rtmp on this machine, straight to us: judged by the key (unknown here).
    const local = await hook(`http://127.0.0.1:${test.server.ports.http}`, []);
    expect(local.body).toMatch(/unknown stream key/);
  });
});
