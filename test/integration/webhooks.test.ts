/**
 * Outgoing webhooks with a real publisher and real HTTP receivers (node:http on loopback): a broadcast
 * that goes live, drops to fallback and times out must reach the receiver as signed POSTs, in order; a
 * receiver answering 500 is retried on the backoff schedule, then given up and the failure shown.
 */
import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { describe, expect, it } from 'vitest';
import { PassThrough } from 'node:stream';
import { verifySignature } from '../../src/observability/webhook-sender.js';
import { createLogger } from '../../src/shared/logger.js';
import { publishTestStream } from '../helpers/ffmpeg.js';
import { missingPeers } from '../helpers/programs.js';
import { registerTestCleanup, waitFor } from '../helpers/process.js';
import { startTestServer } from '../helpers/server.js';

const missing = missingPeers('ffmpeg');

interface Received {
  at: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A webhook receiver answering every POST with `status`, keeping what it got. */
async function receiver(status: number): Promise<{ url: string; got: Received[]; server: Server }> {
  const got: Received[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      got.push({ at: Date.now(), headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
      response.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? 'ok' : 'nope');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  registerTestCleanup(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  );
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { url: `http://127.0.0.1:${port}/hooks/restream?token=abc`, got, server };
}

interface WebhookView {
  id: string;
  channelId: string;
  url: string;
  events: string[];
  secret?: string;
  lastDelivery: { at: string; status: number | null; error: string | null } | null;
}

describe.skipIf(missing !== '')(`webhooks ${missing}`, () => {
  it('POSTs signed events for went-live, fallback and ended, and retries a failing receiver then gives up', async () => {
    const good = await receiver(200);
    const failing = await receiver(500);
    const retryDelaysMs = [200, 400, 800];
    const logs = new PassThrough();
    let logText = '';
    logs.on('data', (chunk: Buffer) => {
      logText += chunk.toString('utf8');
    });
    const test = await startTestServer({
      start: {
        logger: createLogger('debug', logs),
        continuity: { stallTimeoutMs: 1500, fallbackTimeoutMs: 2000 },
        webhooks: { retryDelaysMs },
      },
    });

    // Validation: each mistake named.
    const bad = async (body: unknown, field: string, status = 400): Promise<void> => {
      const answer = await test.api<{ field?: string }>('POST', '/api/webhooks', body);
      expect(answer.status, JSON.stringify(body)).toBe(status);
      expect(answer.body.field).toBe(field);
    };
    await bad({ channelId: 'main', url: 'ftp://example.com/x', events: ['ended'] }, 'url');
    await bad({ channelId: 'main', url: 'not a url', events: ['ended'] }, 'url');
    await bad({ channelId: 'main', url: good.url, events: [] }, 'events');
    await bad({ channelId: 'main', url: good.url, events: ['exploded'] }, 'events.0');
    await bad({ channelId: 'main', url: good.url, events: ['ended'], secret: 'short' }, 'secret');
    await bad({ channelId: 'nope', url: good.url, events: ['ended'] }, 'channelId', 404);
    await bad({ url: good.url, events: ['ended'] }, 'channelId');

    const created = await test.api<WebhookView>('POST', '/api/webhooks', {
      channelId: 'main',
      url: good.url,
      events: ['went-live', 'fallback', 'ended'],
    });
    expect(created.status).toBe(201);
    const secret = created.body.secret!;
    expect(secret).toMatch(/^[0-9a-f]{64}$/);
    const chosenSecret = 'my-own-secret-0123456789';
    const failingHook = await test.api<WebhookView>('POST', '/api/webhooks', {
      channelId: 'main',
      url: failing.url,
      events: ['went-live'],
      secret: chosenSecret,
    });
    expect(failingHook.status).toBe(201);
    expect(failingHook.body.secret).toBe(chosenSecret);

    // Listed without secrets.
    const listed = await test.api<WebhookView[]>('GET', '/api/webhooks?channelId=main');
    expect(listed.body.map((h) => h.id)).toEqual([created.body.id, failingHook.body.id]);
    expect(listed.text).not.toContain(secret);
    expect(listed.text).not.toContain(chosenSecret);
    expect(listed.body[0]).toMatchObject({
      url: good.url,
      events: ['went-live', 'fallback', 'ended'],
      lastDelivery: null,
    });

    const publisher = publishTestStream({ url: `${test.ingestBase}/${test.ingestKey}`, seconds: 60 });
    await waitFor(() => good.got.length >= 1, { what: 'went-live delivered', timeoutMs: 20_000 });
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await publisher.kill();
    await waitFor(() => good.got.length >= 3, { what: 'fallback and ended delivered', timeoutMs: 20_000 });

    const payloads = good.got.map((r) => JSON.parse(r.body) as Record<string, unknown>);
    expect(payloads.map((p) => [p.event, p.reason])).toEqual([
      ['went-live', 'publisher-started'],
      ['fallback', 'publisher-dropped'],
      ['ended', 'fallback-timeout'],
    ]);
    for (const [i, delivery] of good.got.entries()) {
      expect(payloads[i]).toMatchObject({ channelId: 'main' });
      expect(Number.isNaN(Date.parse(payloads[i]!.at as string))).toBe(false);
      expect(delivery.headers['content-type']).toBe('application/json');
      expect(delivery.headers['x-restream-event']).toBe(payloads[i]!.event);
      // What a receiver does: HMAC-SHA256 of the raw body with the shared secret.
      const expected = `sha256=${createHmac('sha256', secret).update(delivery.body).digest('hex')}`;
      expect(delivery.headers['x-restream-signature']).toBe(expected);
      expect(verifySignature(delivery.body, secret, delivery.headers['x-restream-signature'] as string)).toBe(
        true,
      );
      expect(
        verifySignature(delivery.body, 'wrong-secret', delivery.headers['x-restream-signature'] as string),
      ).toBe(false);
      expect(delivery.body).not.toContain(test.ingestKey);
    }
    // Only the events subscribed to: no back-to-live, no destination-failed.
    expect(good.got).toHaveLength(3);

    // The failing receiver: the first try and three retries on the schedule, then nothing more.
    await waitFor(() => failing.got.length >= 4, { what: 'four attempts', timeoutMs: 10_000 });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(failing.got).toHaveLength(4);
    const gaps = failing.got.slice(1).map((r, i) => r.at - failing.got[i]!.at);
    for (const [i, gap] of gaps.entries()) {
      expect(gap).toBeGreaterThanOrEqual(retryDelaysMs[i]! - 20);
      expect(gap).toBeLessThan(retryDelaysMs[i]! + 1000);
    }
    // Each attempt is the same delivery, signed with the chosen secret.
    expect(new Set(failing.got.map((r) => r.headers['x-restream-delivery'])).size).toBe(1);
    for (const attempt of failing.got) {
      expect(
        verifySignature(attempt.body, chosenSecret, attempt.headers['x-restream-signature'] as string),
      ).toBe(true);
    }
    const after = await test.api<WebhookView[]>('GET', '/api/webhooks');
    const failed = after.body.find((h) => h.id === failingHook.body.id)!;
    expect(failed.lastDelivery).toMatchObject({ status: 500, error: 'HTTP 500' });
    expect(after.body.find((h) => h.id === created.body.id)!.lastDelivery).toMatchObject({
      status: 200,
      error: null,
    });

    // The give-up is logged with the receiver's host, never the secret nor the URL's path or query.
    const givenUp = logText.split('\n').filter((line) => line.includes('given up'));
    expect(givenUp).toHaveLength(1);
    expect(JSON.parse(givenUp[0]!)).toMatchObject({
      webhookId: failingHook.body.id,
      attempts: 4,
      status: 500,
    });
    for (const secretText of [secret, chosenSecret, 'token=abc', '/hooks/restream']) {
      expect(logText).not.toContain(secretText);
    }

    // Removal.
    expect((await test.api('DELETE', `/api/webhooks/${failingHook.body.id}`)).status).toBe(200);
    expect((await test.api('DELETE', `/api/webhooks/${failingHook.body.id}`)).status).toBe(404);
    expect((await test.api('GET', `/api/webhooks/${failingHook.body.id}`)).status).toBe(404);
    expect((await test.api<WebhookView[]>('GET', '/api/webhooks')).body).toHaveLength(1);
    await test.stop();
  });
});
