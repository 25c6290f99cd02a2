/** A tiny HTTP server for nginx-rtmp's `on_publish` and friends: fixed status, requests recorded. */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { registerTestCleanup } from './process.js';

/** One request the hook server received. */
export interface HookRequest {
  method: string;
  /** Path and query. */
  url: string;
  headers: IncomingHttpHeaders;
  /** Raw body. */
  body: string;
  /** Body parsed as application/x-www-form-urlencoded (nginx-rtmp sends `call`, `app`, `name`, ...). */
  form: Record<string, string>;
}

/** A running hook server. */
export interface HookServer {
  /** Its port on 127.0.0.1. */
  readonly port: number;
  /** Every request so far, oldest first. */
  readonly requests: HookRequest[];
  /** `http://127.0.0.1:PORT/PATH` (default path `/hook`). */
  url(path?: string): string;
  /** Answer later requests with `status`. */
  setStatus(status: number): void;
  /** Close the server. Idempotent. */
  stop(): Promise<void>;
}

/** Start a node:http server on 127.0.0.1:0 answering every request with `status`. */
export async function startHookServer(status: number): Promise<HookServer> {
  let current = status;
  const requests: HookRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      requests.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body,
        form: Object.fromEntries(new URLSearchParams(body)),
      });
      res.writeHead(current, { 'content-type': 'text/plain', connection: 'close' });
      res.end(`${current}\n`);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  const hook: HookServer = {
    port,
    requests,
    url: (path = '/hook') => `http://127.0.0.1:${port}${path.startsWith('/') ? path : `/${path}`}`,
    setStatus: (next) => {
      current = next;
    },
    stop: () =>
      (closing ??= new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      })),
  };
  registerTestCleanup(() => hook.stop());
  return hook;
}
