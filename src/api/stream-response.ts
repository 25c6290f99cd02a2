import type { ServerResponse } from 'node:http';
import type { FastifyReply } from 'fastify';

/**
 * Takes a response over from Fastify for a stream that never ends by itself (the SSE feed, the FLV
 * preview) and sends its head. Headers that hooks set before the hijack (the security headers) still go
 * out. The stream is the connection's last response: when it ends, so does the socket (a keep-alive
 * socket left idle after it would hold a shutdown up). nginx as a reverse proxy is told not to buffer it.
 */
export function beginStream(
  reply: FastifyReply,
  headers: { 'content-type': string; 'cache-control': string },
): ServerResponse {
  reply.hijack();
  const earlier: Record<string, string | number | string[]> = {};
  for (const [name, value] of Object.entries(reply.getHeaders()))
    if (value !== undefined) earlier[name] = value;
  reply.raw.writeHead(200, { ...earlier, ...headers, connection: 'close', 'x-accel-buffering': 'no' });
  return reply.raw;
}
