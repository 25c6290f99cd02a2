/**
 * HTTP as a hostile client uses it: bodies and headers sent a byte at a time, keep-alive connections
 * left idle, and more connections than the server serves. Each is cut, with short configured limits
 * (the defaults are seconds; only "it was closed" is asserted, never when).
 */
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/process.js';
import { registeredRoutes } from '../helpers/routes.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/** A raw TCP connection to the server, with whether it was closed and what came back. */
interface RawClient {
  socket: Socket;
  closed: boolean;
  received: string;
}

function open(port: number, localAddress = '127.0.0.1'): Promise<RawClient> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1', localAddress });
    const client: RawClient = { socket, closed: false, received: '' };
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      client.received += chunk;
    });
    socket.on('close', () => {
      client.closed = true;
    });
    socket.on('error', () => undefined);
    socket.once('connect', () => {
      resolve(client);
    });
    socket.once('error', reject);
  });
}

/** Sends one byte every `everyMs` until the socket closes; returns a stop function. */
function trickle(client: RawClient, everyMs: number): () => void {
  const timer = setInterval(() => {
    if (client.closed) clearInterval(timer);
    else client.socket.write('x');
  }, everyMs);
  return () => {
    clearInterval(timer);
  };
}

const shortLimits = {
  HTTP_HEADERS_TIMEOUT_MS: '1000',
  HTTP_BODY_TIMEOUT_MS: '1500',
  HTTP_KEEPALIVE_TIMEOUT_MS: '500',
};

describe('HTTP limits', () => {
  let test: TestServer;
  const stops: (() => void)[] = [];
  afterEach(() => {
    for (const stop of stops.splice(0)) stop();
  });

  it('cuts request bodies that trickle in, with or without credentials, on every kind of route', async () => {
    test = await startTestServer({ env: shortLimits, start: { httpLimits: { uploadWindowMs: 1500 } } });
    const port = test.server.ports.http;
    const token = test.server.store.auth.createToken('t').token;
    const requests = [
      // Announced 60 kB, sent a byte at a time: no credentials (answered 401 before the body is read).
      `POST /api/platforms HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 60000\r\n\r\n{`,
      // The same with a token: the JSON parser waits for the body.
      `POST /api/platforms HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nContent-Length: 60000\r\n\r\n{`,
      // Login, public.
      `POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 60000\r\n\r\n{`,
      // An upload with credentials: it may be slow, but not this slow (the rate floor).
      `POST /api/upload_fallback HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: 60000\r\n\r\n--b\r\nContent-Disposition: form-data; name="file"; filename="a.mp4"\r\n\r\n`,
      // An upload without credentials.
      `POST /api/upload_fallback HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: 60000\r\n\r\n--b\r\n`,
      // No route at all.
      `PUT /nowhere HTTP/1.1\r\nHost: x\r\nContent-Length: 60000\r\n\r\n`,
    ];
    const clients: RawClient[] = [];
    for (const head of requests) {
      // Several of each, as a flood would.
      for (let i = 0; i < 5; i++) {
        const client = await open(port);
        client.socket.write(head);
        stops.push(trickle(client, 300));
        clients.push(client);
      }
    }
    await waitFor(() => clients.every((c) => c.closed), {
      what: 'every trickling request to be cut',
      timeoutMs: 20_000,
    });
    // The server still answers.
    expect((await test.api('GET', '/api/status')).status).toBe(200);
  });

  it('cuts headers that trickle in, and keep-alive connections left idle', async () => {
    test = await startTestServer({ env: shortLimits });
    const port = test.server.ports.http;
    const slowHeaders = await open(port);
    slowHeaders.socket.write('GET /healthz HTTP/1.1\r\n');
    stops.push(trickle(slowHeaders, 200));

    const idle = await open(port);
    idle.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    await waitFor(() => idle.received.includes('"ok":true'), { what: 'the health answer' });
    expect(idle.received).toMatch(/keep-alive/i);

    await waitFor(() => slowHeaders.closed && idle.closed, {
      what: 'the slow headers and the idle keep-alive connection to be closed',
      timeoutMs: 15_000,
    });
  });

  it('serves at most HTTP_MAX_CONNECTIONS connections at once', async () => {
    test = await startTestServer({ env: { HTTP_MAX_CONNECTIONS: '4', HTTP_HEADERS_TIMEOUT_MS: '60000' } });
    const port = test.server.ports.http;
    const held = await Promise.all([1, 2, 3, 4].map(() => open(port)));
    const refused = await open(port);
    refused.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    await waitFor(() => refused.closed, { what: 'the connection over the cap to be closed' });
    expect(refused.received).toBe('');
    // Room again once one goes.
    held[0]?.socket.destroy();
    await waitFor(
      async () => {
        const client = await open(port);
        client.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
        await new Promise((resolve) => client.socket.once('close', resolve));
        return client.received.includes('"ok":true');
      },
      { what: 'a connection under the cap to be served' },
    );
    for (const client of held) client.socket.destroy();
  });

  it('serves at most HTTP_MAX_CONNECTIONS_PER_ADDRESS from one address, unless it is a trusted proxy', async () => {
    const env = { HTTP_MAX_CONNECTIONS_PER_ADDRESS: '3', HTTP_HEADERS_TIMEOUT_MS: '60000' };
    test = await startTestServer({ env });
    const port = test.server.ports.http;
    const held = await Promise.all([1, 2, 3].map(() => open(port)));
    const fourth = await open(port);
    await waitFor(() => fourth.closed, { what: 'the fourth connection from 127.0.0.1 to be closed' });
    // Another address (127.0.0.2 is loopback too on Linux) is served.
    const other = await open(port, '127.0.0.2');
    other.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    await waitFor(() => other.received.includes('"ok":true'), { what: 'a connection from another address' });
    for (const client of [...held, other]) client.socket.destroy();

    // Behind a trusted proxy every client arrives from the proxy's address: no per-address cap there.
    const proxied = await startTestServer({ env: { ...env, TRUST_PROXY: '127.0.0.1' } });
    const many = await Promise.all([1, 2, 3, 4, 5].map(() => open(proxied.server.ports.http)));
    const last = many[4]!;
    last.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    await waitFor(() => last.received.includes('"ok":true'), { what: 'the fifth proxied connection served' });
    expect(many.some((c) => c.closed)).toBe(false);
    for (const client of many) client.socket.destroy();
  });

  it('caps the body of every route: 64 KiB for JSON, less for the public auth routes', async () => {
    test = await startTestServer();
    const token = test.server.store.auth.createToken('t').token;
    const big = JSON.stringify({ name: 'x'.repeat(70 * 1024) });
    let checked = 0;
    for (const { method, url } of registeredRoutes(test.server.api)) {
      // The upload streams multipart with its own cap (a test of its own refuses 3 GiB up front).
      if (!['POST', 'PUT', 'PATCH', 'DELETE'].includes(method) || url === '/api/upload_fallback') continue;
      const answer = await fetch(`${test.httpBase}${url.replace(/:\w+/g, 'x')}`, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: big,
      });
      expect(answer.status, `${method} ${url}`).toBe(413);
      checked++;
    }
    expect(checked).toBeGreaterThan(10);
    const login = await fetch(`${test.httpBase}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ password: 'x'.repeat(8 * 1024) }),
    });
    expect(login.status).toBe(413);
  });
});
