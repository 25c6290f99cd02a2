import type { FastifyInstance } from 'fastify';
import type { ApiBackend, EventSubscription } from './backend.js';
import { beginStream } from './stream-response.js';
import type { ServerEventDto } from '../contract/index.js';

/** Options of the event stream. */
export interface EventRoutesOptions {
  /** Comment line sent this often so proxies and browsers keep an idle stream open (default 15 s). */
  heartbeatMs?: number;
  /** What EventSource waits before reconnecting (the `retry:` field, default 3 s). */
  retryMs?: number;
  /** A client this far behind (bytes unsent) is cut off; it reconnects with Last-Event-ID (default 1 MiB). */
  maxBufferedBytes?: number;
}

/** Query of `GET /api/events`. */
const eventsQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    channelId: { type: 'string', minLength: 1, maxLength: 64 },
    // For EventSource polyfills that cannot set the Last-Event-ID header.
    lastEventId: { type: 'string', pattern: '^[0-9]{1,15}$' },
  },
} as const;

/**
 * One SSE message. JSON never holds a raw line break, so `data:` is always one line; the data come
 * from DTOs copied field by field, so nothing but what they name (never a stream key) is sent.
 */
export function formatEvent(event: ServerEventDto): string {
  return `id: ${event.id}\nevent: ${event.event}\ndata: ${JSON.stringify(event.data)}\n\n`;
}

function parseEventId(value: string | string[] | undefined): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (text === undefined || !/^[0-9]{1,15}$/.test(text.trim())) return undefined;
  return Number(text.trim());
}

/**
 * `GET /api/events`: Server-Sent Events of state changes (`channel`, `output`, `job`) and a `stats`
 * tick per channel each second. Authenticated like every /api/ route. Optional `?channelId=` narrows
 * to one channel; `Last-Event-ID` (or `?lastEventId=`) replays what a reconnecting client missed.
 */
export function registerEventRoutes(
  app: FastifyInstance,
  backend: ApiBackend,
  options: EventRoutesOptions = {},
): void {
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  const retryMs = options.retryMs ?? 3000;
  const maxBufferedBytes = options.maxBufferedBytes ?? 1024 * 1024;
  const open = new Set<() => void>();

  // Streams never end by themselves: end them when the server closes, or close() would wait on them.
  app.addHook('preClose', (done) => {
    for (const end of [...open]) end();
    done();
  });

  app.get<{ Querystring: { channelId?: string; lastEventId?: string } }>(
    '/api/events',
    { config: { readScope: true }, schema: { querystring: eventsQuery } },
    (request, reply) => {
      const lastEventId =
        parseEventId(request.headers['last-event-id']) ?? parseEventId(request.query.lastEventId);
      const raw = beginStream(reply, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
      });
      raw.write(`retry: ${retryMs}\n\n`);

      // An object, not a let: `end` may run inside `subscribe` (a closing server), unseen by the compiler.
      const stream = { ended: false };
      let unsubscribe: () => void = () => undefined;
      const heartbeat = setInterval(() => {
        write(': heartbeat\n\n');
      }, heartbeatMs);
      heartbeat.unref();
      const end = (): void => {
        if (stream.ended) return;
        stream.ended = true;
        clearInterval(heartbeat);
        open.delete(end);
        unsubscribe();
        if (!raw.writableEnded) raw.end();
      };
      const write = (text: string): void => {
        if (stream.ended) return;
        if (raw.writableLength > maxBufferedBytes) {
          request.log.warn('event stream client too slow; closing its stream');
          end();
          raw.destroy();
          return;
        }
        raw.write(text);
      };
      open.add(end);
      // The response's `close`, not the request's: that one fires as soon as the request is read.
      raw.on('close', end);

      const subscription: EventSubscription = { onEnd: end };
      if (request.query.channelId !== undefined) subscription.channelId = request.query.channelId;
      if (lastEventId !== undefined) subscription.lastEventId = lastEventId;
      try {
        unsubscribe = backend.events.subscribe((event) => {
          write(formatEvent(event));
        }, subscription);
      } catch (err) {
        // Headers are sent: the stream just ends, and the client's EventSource retries.
        request.log.error({ err }, 'event stream subscription failed');
        end();
        return;
      }
      if (stream.ended) unsubscribe();
    },
  );
}
