/**
 * `GET /api/events` with real peers: a dashboard's view of one broadcast. An ffmpeg publisher goes
 * live to an nginx-rtmp platform, is killed (fallback, publisher-dropped), and the fallback times the
 * broadcast out; the stream must tell each step, tick stats every second, replay what a reconnecting
 * client missed, never carry a key, and end when the server stops.
 */
import fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import type { ApiBackend, EventSubscription } from '../../src/api/backend.js';
import type { ServerEventDto } from '../../src/contract/index.js';
import { registerEventRoutes } from '../../src/api/events-routes.js';
import { publishTestStream } from '../helpers/ffmpeg.js';
import { startNginxRtmp } from '../helpers/nginx-rtmp.js';
import { missingPeers } from '../helpers/programs.js';
import { waitFor } from '../helpers/process.js';
import { startTestServer } from '../helpers/server.js';

const missing = missingPeers('ffmpeg', 'nginx');

/** One parsed SSE message. */
interface SseMessage {
  id: string | undefined;
  event: string;
  data: string;
}

/** A minimal EventSource over fetch: every message and the raw text, kept. */
class SseClient {
  readonly messages: SseMessage[] = [];
  text = '';
  retry: number | undefined;
  comments = 0;
  ended = false;
  readonly #controller = new AbortController();
  #buffer = '';
  done: Promise<void> = Promise.resolve();

  private constructor(
    readonly status: number,
    readonly contentType: string | null,
  ) {}

  static async open(url: string, headers: Record<string, string>): Promise<SseClient> {
    const probe = new AbortController();
    const response = await fetch(url, { headers, signal: probe.signal });
    const client = new SseClient(response.status, response.headers.get('content-type'));
    client.#controller.signal.addEventListener('abort', () => {
      probe.abort();
    });
    if (response.body) {
      const reader = response.body.getReader();
      const decoder = new TextDecoder();
      client.done = (async () => {
        try {
          for (;;) {
            const { done, value } = (await reader.read()) as {
              done: boolean;
              value?: Uint8Array;
            };
            if (done) break;
            client.#feed(decoder.decode(value, { stream: true }));
          }
        } catch {
          // aborted
        }
        client.ended = true;
      })();
    }
    return client;
  }

  of(event: string): unknown[] {
    return this.messages.filter((m) => m.event === event).map((m) => JSON.parse(m.data) as unknown);
  }

  async waitFor(
    event: string,
    match: (data: Record<string, unknown>) => boolean,
    what: string,
  ): Promise<Record<string, unknown>> {
    let found: Record<string, unknown> | undefined;
    await waitFor(
      () => {
        found = this.of(event).find((d) => match(d as Record<string, unknown>)) as
          Record<string, unknown> | undefined;
        return found !== undefined;
      },
      { what, timeoutMs: 20_000 },
    );
    return found!;
  }

  close(): void {
    this.#controller.abort();
  }

  #feed(chunk: string): void {
    this.text += chunk;
    this.#buffer += chunk;
    for (;;) {
      const end = this.#buffer.indexOf('\n\n');
      if (end === -1) return;
      const block = this.#buffer.slice(0, end);
      this.#buffer = this.#buffer.slice(end + 2);
      const message: SseMessage = { id: undefined, event: 'message', data: '' };
      let hasData = false;
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) this.comments++;
        else if (line.startsWith('retry: ')) this.retry = Number(line.slice(7));
        else if (line.startsWith('id: ')) message.id = line.slice(4);
        else if (line.startsWith('event: ')) message.event = line.slice(7);
        else if (line.startsWith('data: ')) {
          message.data += line.slice(6);
          hasData = true;
        }
      }
      if (hasData) this.messages.push(message);
    }
  }
}

describe.skipIf(missing !== '')(`events ${missing}`, () => {
  it('streams a broadcast: live, outputs, a drop to fallback, stats, the end; no keys; replay', async () => {
    const nginx = await startNginxRtmp({ apps: [{ name: 'live' }] });
    const test = await startTestServer({
      start: { continuity: { stallTimeoutMs: 1500, fallbackTimeoutMs: 4000 } },
    });
    const token = test.server.store.auth.createToken('sse').token;
    const auth = { authorization: `Bearer ${token}` };
    const platformKey = 'platform-secret-key-7f3a9c';
    const created = await test.api<{ id: string }>('POST', '/api/platforms', {
      name: 'nginx',
      url: `rtmp://127.0.0.1:${nginx.port}/live`,
      streamKey: platformKey,
    });
    expect(created.status).toBe(201);
    const platformId = created.body.id;

    const refused = await fetch(`${test.httpBase}/api/events`);
    expect(refused.status).toBe(401);
    await refused.body?.cancel();

    const sse = await SseClient.open(`${test.httpBase}/api/events`, auth);
    expect(sse.status).toBe(200);
    expect(sse.contentType).toMatch(/^text\/event-stream/);
    await waitFor(() => sse.retry !== undefined, { what: 'the retry field' });
    expect(test.server.events.subscriberCount).toBe(1);

    const publisher = publishTestStream({ url: `${test.ingestBase}/${test.ingestKey}`, seconds: 60 });
    const onAir = await sse.waitFor('channel', (d) => d.kind === 'on-air', 'channel on air');
    expect(onAir).toMatchObject({
      channelId: 'main',
      mode: 'live',
      previousMode: 'off',
      reason: 'publisher-started',
    });
    await sse.waitFor('channel', (d) => d.kind === 'switched' && d.to === 'live', 'live on air');
    const outputLive = await sse.waitFor('output', (d) => d.state === 'live', 'output live');
    expect(outputLive).toMatchObject({
      channelId: 'main',
      destinationId: platformId,
      name: 'nginx',
      error: null,
    });
    const busy = await sse.waitFor(
      'stats',
      (d) => {
        const input = d.input as { bitrateKbps: number } | null;
        const outputs = d.outputs as { state: string; bitrateKbps: number; fps: number | null }[];
        return (
          (input?.bitrateKbps ?? 0) > 100 &&
          outputs.some((o) => o.state === 'live' && o.bitrateKbps > 100 && (o.fps ?? 0) > 10)
        );
      },
      'a stats tick with input and output rates',
    );
    expect(busy).toMatchObject({ channelId: 'main', onAir: true, mode: 'live', source: 'live' });
    const [output] = busy.outputs as Record<string, unknown>[];
    expect(output).toMatchObject({ id: platformId, name: 'nginx', state: 'live', droppedFrames: 0 });
    expect(output!.bytes).toBeGreaterThan(10_000);

    // The network dies: no FCUnpublish.
    await publisher.kill();
    const dropped = await sse.waitFor(
      'channel',
      (d) => d.kind === 'mode' && d.mode === 'fallback',
      'fallback',
    );
    expect(dropped).toMatchObject({ previousMode: 'live', reason: 'publisher-dropped' });
    expect(Date.parse(dropped.fallbackEndsAt as string)).toBeGreaterThan(Date.parse(dropped.at as string));
    await sse.waitFor(
      'channel',
      (d) => d.kind === 'switched' && d.from === 'live' && d.to === 'fallback',
      'fallback on air',
    );
    await sse.waitFor(
      'stats',
      (d) => d.source === 'fallback' && d.input === null,
      'a stats tick in fallback',
    );
    const offAir = await sse.waitFor('channel', (d) => d.kind === 'off-air', 'off air');
    expect(offAir).toMatchObject({ mode: 'off', previousMode: 'fallback', reason: 'fallback-timeout' });
    await sse.waitFor('output', (d) => d.state === 'idle', 'output idle after the end');

    // Ids increase; the stats ticked about once a second per channel.
    const ids = sse.messages.map((m) => Number(m.id));
    expect(ids.every((id, i) => i === 0 || id > ids[i - 1]!)).toBe(true);
    expect(sse.of('stats').length).toBeGreaterThanOrEqual(4);

    // No key of any kind, anywhere in the stream.
    expect(sse.text).not.toContain(platformKey);
    expect(sse.text).not.toContain(test.ingestKey);
    expect(sse.text).not.toContain(token);

    // A client reconnecting with Last-Event-ID gets the state events it missed, at once.
    const onAirMessage = sse.messages.find((m) => m.event === 'channel' && m.data.includes('"on-air"'))!;
    const again = await SseClient.open(`${test.httpBase}/api/events?channelId=main`, {
      ...auth,
      'last-event-id': onAirMessage.id!,
    });
    await again.waitFor('channel', (d) => d.kind === 'off-air', 'the replayed off-air');
    expect(again.of('channel').some((d) => (d as { kind: string }).kind === 'on-air')).toBe(false);
    again.close();
    await again.done;
    // Another channel's filter gets none of main's events.
    const other = await SseClient.open(`${test.httpBase}/api/events?channelId=nope`, {
      ...auth,
      'last-event-id': '0',
    });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(other.messages.filter((m) => m.event !== 'job')).toEqual([]);
    other.close();
    await other.done;
    await waitFor(() => test.server.events.subscriberCount === 1, { what: 'closed streams unsubscribed' });

    // Stopping the server ends the open stream at once (it does not wait out the close grace).
    const stopped = Date.now();
    let endedAfterMs = Infinity;
    void sse.done.then(() => {
      endedAfterMs = Date.now() - stopped;
    });
    await test.stop();
    await sse.done;
    expect(sse.ended).toBe(true);
    expect(endedAfterMs).toBeLessThan(1000);
    expect(test.server.events.subscriberCount).toBe(0);
    await nginx.stop();
  });
});

describe('event stream framing', () => {
  it('sends retry, heartbeat comments and numbered events, and unsubscribes when the client goes', async () => {
    const listeners = new Set<(event: ServerEventDto) => void>();
    const subscriptions: EventSubscription[] = [];
    const backend = {
      events: {
        subscribe: (listener: (event: ServerEventDto) => void, options: EventSubscription) => {
          listeners.add(listener);
          subscriptions.push(options);
          return () => listeners.delete(listener);
        },
      },
    } as unknown as ApiBackend;
    // undici opens a spare connection after an aborted request, which a plain close would wait out.
    const app = fastify({ forceCloseConnections: true });
    registerEventRoutes(app, backend, { heartbeatMs: 100, retryMs: 1234 });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    try {
      const sse = await SseClient.open(`http://127.0.0.1:${port}/api/events?lastEventId=41`, {});
      expect(sse.status).toBe(200);
      await waitFor(() => sse.comments >= 2, { what: 'two heartbeats' });
      expect(sse.retry).toBe(1234);
      expect(subscriptions).toEqual([{ onEnd: expect.any(Function) as unknown, lastEventId: 41 }]);
      for (const listener of listeners) {
        listener({
          id: 42,
          event: 'output',
          data: { channelId: 'main', destinationId: 'd', name: 'n', state: 'live', error: 'a\nb', at: 'now' },
        });
      }
      await waitFor(() => sse.messages.length === 1, { what: 'the event' });
      expect(sse.messages[0]).toMatchObject({ id: '42', event: 'output' });
      // A line break inside a value stays inside the JSON: one data line.
      expect(JSON.parse(sse.messages[0]!.data)).toMatchObject({ error: 'a\nb' });
      sse.close();
      await sse.done;
      await waitFor(() => listeners.size === 0, { what: 'the listener removed' });
    } finally {
      await app.close();
    }
  });
});
