import type { ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import type { ApiBackend } from './backend.js';
import { beginStream } from './stream-response.js';

/**
 * `GET /api/channels/:id/preview.flv`: the channel's program as HTTP-FLV (what the platforms get,
 * fallback included), for the dashboard's player, ffplay or VLC. Authenticated like every API route
 * (session cookie or bearer token). The stream ends when the broadcast ends; players reconnect.
 */
export function registerPreviewRoutes(app: FastifyInstance, backend: ApiBackend): void {
  const open = new Set<() => void>();
  // A preview never ends by itself while on air: end them all when the server closes.
  app.addHook('preClose', (done) => {
    for (const end of [...open]) end();
    done();
  });

  app.get<{ Params: { id: string } }>('/api/channels/:id/preview.flv', (request, reply) => {
    const raw: ServerResponse = reply.raw;
    const state = { ended: false, close: (): void => undefined };
    const end = (): void => {
      if (state.ended) return;
      state.ended = true;
      open.delete(end);
      state.close();
      if (!raw.writableEnded) raw.end();
    };
    // Throws NOT_FOUND before anything is sent, so an unknown channel gets a JSON 404.
    let started = false;
    const sink = {
      write: (chunk: Buffer): boolean => {
        if (!started) {
          started = true;
          startResponse();
        }
        return raw.write(chunk);
      },
      get writableLength(): number {
        return raw.writableLength;
      },
      end,
      destroy: (): void => {
        request.log.warn({ channel: request.params.id }, 'preview viewer stopped reading; dropped');
        end();
        raw.destroy();
      },
    };
    const startResponse = (): void => {
      beginStream(reply, { 'content-type': 'video/x-flv', 'cache-control': 'no-store' });
    };
    state.close = backend.preview.watch(request.params.id, sink, () => {
      end();
    });
    open.add(end);
    raw.on('close', end);
  });
}
