/** Loopback ports for real peers: pick a free one, and wait until a peer listens on it. */
import { readFile } from 'node:fs/promises';
import { createConnection, createServer } from 'node:net';
import { waitFor, type PeerProcess } from './process.js';

/** A port that was free on 127.0.0.1 a moment ago (listen on port 0, close, return it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error('freePort: no port'));
        return;
      }
      server.close(() => {
        resolve(address.port);
      });
    });
  });
}

/**
 * Is something listening on TCP `port`? On Linux this reads /proc/net/tcp{,6}, so it never connects:
 * ffmpeg's `-listen 1` takes exactly one connection, and a probe connection would use it up.
 * Elsewhere it falls back to a connect probe.
 */
export async function isListening(port: number): Promise<boolean> {
  const tables = await Promise.all(
    ['/proc/net/tcp', '/proc/net/tcp6'].map((file) => readFile(file, 'utf8').catch(() => undefined)),
  );
  if (tables.every((t) => t === undefined)) return connectProbe(port);
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  return tables.some((table) =>
    (table ?? '').split('\n').some((line) => {
      // "  sl  local_address rem_address   st ..." ; st 0A = LISTEN
      const fields = line.trim().split(/\s+/);
      return fields[1]?.endsWith(`:${hexPort}`) === true && fields[3] === '0A';
    }),
  );
}

function connectProbe(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => {
      resolve(false);
    });
  });
}

/** Wait until `port` is listening; fail early (with stderr) if `peer` exits first. */
export async function waitForListen(port: number, peer?: PeerProcess, timeoutMs = 10_000): Promise<void> {
  await waitFor(() => isListening(port), {
    what: `a listener on 127.0.0.1:${port}`,
    timeoutMs,
    intervalMs: 25,
    ...(peer ? { peer } : {}),
  });
}
