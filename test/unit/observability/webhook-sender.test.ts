import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  WebhookSender,
  signBody,
  verifySignature,
  type DeliveryJob,
  type DeliveryOutcome,
  type WebhookPost,
} from '../../../src/observability/webhook-sender.js';
import { checkWebhookUrl } from '../../../src/control/webhook-input.js';
import { FakeClock } from '../../helpers/fake-clock.js';

/** Lets setImmediate callbacks and settled promises run. */
async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** A receiver the test scripts: each call is answered by the next status (or error) in line. */
function scriptedPost(answers: (number | Error | 'hang')[]) {
  const calls: { url: string; body: string; headers: Record<string, string>; signal: AbortSignal }[] = [];
  const post: WebhookPost = (url, body, headers, signal) => {
    calls.push({ url, body, headers, signal });
    const answer = answers.shift() ?? 200;
    if (answer === 'hang') {
      return new Promise((_, reject) => {
        signal.addEventListener('abort', () => {
          reject(new Error('aborted'));
        });
      });
    }
    return answer instanceof Error ? Promise.reject(answer) : Promise.resolve(answer);
  };
  return { post, calls };
}

const job: DeliveryJob = {
  webhookId: 'w1',
  url: 'https://hooks.example.com/secret-path?token=xyz',
  secret: 'shared-secret-value',
  event: 'went-live',
  body: '{"event":"went-live","channelId":"main","at":"2025-06-01T12:00:00.000Z"}',
};

describe('webhook signatures', () => {
  it('is sha256= and the hex HMAC-SHA256 of the raw body', () => {
    const expected = createHmac('sha256', 'k').update('{"a":1}').digest('hex');
    expect(signBody('{"a":1}', 'k')).toBe(`sha256=${expected}`);
    // RFC 4231 test case 2.
    expect(signBody('what do ya want for nothing?', 'Jefe')).toBe(
      'sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
    );
  });

  it('verifies only the exact body with the right secret', () => {
    const header = signBody(job.body, job.secret);
    expect(verifySignature(job.body, job.secret, header)).toBe(true);
    expect(verifySignature(`${job.body} `, job.secret, header)).toBe(false);
    expect(verifySignature(job.body, 'other', header)).toBe(false);
    expect(verifySignature(job.body, job.secret, header.toUpperCase())).toBe(false);
    expect(verifySignature(job.body, job.secret, 'sha256=')).toBe(false);
    expect(verifySignature(job.body, job.secret, undefined)).toBe(false);
  });

  it('accepts http and https URLs with a host only', () => {
    expect(() => {
      checkWebhookUrl('https://example.com/x');
    }).not.toThrow();
    expect(() => {
      checkWebhookUrl('http://127.0.0.1:9000/');
    }).not.toThrow();
    for (const url of ['ftp://example.com/', 'example.com', 'rtmp://a/b', 'file:///etc/passwd']) {
      expect(() => {
        checkWebhookUrl(url);
      }, url).toThrow(expect.objectContaining({ code: 'VALIDATION', field: 'url' }) as Error);
    }
  });
});

describe('WebhookSender', () => {
  function sender(
    answers: (number | Error | 'hang')[],
    options: { maxQueued?: number; timeoutMs?: number } = {},
  ) {
    const clock = new FakeClock();
    const { post, calls } = scriptedPost(answers);
    const outcomes: DeliveryOutcome[] = [];
    const s = new WebhookSender({ post, clock, onOutcome: (o) => outcomes.push(o), ...options });
    return { clock, calls, outcomes, sender: s };
  }

  it('sends once, signed, off the caller’s turn of the event loop', async () => {
    const { calls, outcomes, sender: s } = sender([204]);
    expect(s.enqueue(job)).toBe(true);
    expect(calls).toHaveLength(0);
    await flush();
    expect(calls).toHaveLength(1);
    expect(calls[0]!.headers).toMatchObject({
      'content-type': 'application/json',
      'X-Restream-Signature': signBody(job.body, job.secret),
      'x-restream-event': 'went-live',
    });
    expect(calls[0]!.body).toBe(job.body);
    expect(outcomes).toEqual([
      { webhookId: 'w1', event: 'went-live', ok: true, attempts: 1, status: 204, error: null },
    ]);
    expect(s.pending).toBe(0);
  });

  it('retries after 1 s, 5 s and 25 s, then gives up', async () => {
    const { clock, calls, outcomes, sender: s } = sender([500, new Error('fetch failed'), 503, 502]);
    s.enqueue(job);
    await flush();
    expect(calls).toHaveLength(1);
    for (const [delay, total] of [
      [1000, 2],
      [5000, 3],
      [25_000, 4],
    ] as const) {
      clock.advance(delay - 1);
      await flush();
      expect(calls).toHaveLength(total - 1);
      clock.advance(1);
      await flush();
      expect(calls).toHaveLength(total);
    }
    clock.advance(600_000);
    await flush();
    expect(calls).toHaveLength(4);
    expect(outcomes).toEqual([
      { webhookId: 'w1', event: 'went-live', ok: false, attempts: 4, status: 502, error: 'HTTP 502' },
    ]);
    // The same delivery each time.
    expect(new Set(calls.map((c) => c.headers['x-restream-delivery'])).size).toBe(1);
    expect(s.pending).toBe(0);
  });

  it('stops retrying once delivered', async () => {
    const { clock, calls, outcomes, sender: s } = sender([500, 200]);
    s.enqueue(job);
    await flush();
    clock.advance(1000);
    await flush();
    clock.advance(60_000);
    await flush();
    expect(calls).toHaveLength(2);
    expect(outcomes[0]).toMatchObject({ ok: true, attempts: 2, status: 200 });
  });

  it('does not retry a refusal (4xx other than 408/429)', async () => {
    const { clock, calls, outcomes, sender: s } = sender([404, 429, 200]);
    s.enqueue(job);
    s.enqueue({ ...job, webhookId: 'w2' });
    await flush();
    clock.advance(1000);
    await flush();
    expect(calls).toHaveLength(3);
    expect(outcomes.map((o) => [o.webhookId, o.ok, o.attempts, o.status])).toEqual([
      ['w1', false, 1, 404],
      ['w2', true, 2, 200],
    ]);
  });

  it('times an attempt out and retries it', async () => {
    const { clock, calls, outcomes, sender: s } = sender(['hang', 200], { timeoutMs: 3000 });
    s.enqueue(job);
    await flush();
    expect(calls[0]!.signal.aborted).toBe(false);
    clock.advance(3000);
    await flush();
    expect(calls[0]!.signal.aborted).toBe(true);
    clock.advance(1000);
    await flush();
    expect(outcomes).toEqual([
      { webhookId: 'w1', event: 'went-live', ok: true, attempts: 2, status: 200, error: null },
    ]);
  });

  it('bounds the queue: deliveries beyond it are dropped', async () => {
    const { calls, sender: s } = sender(['hang', 'hang', 'hang'], { maxQueued: 3 });
    expect([s.enqueue(job), s.enqueue(job), s.enqueue(job), s.enqueue(job)]).toEqual([
      true,
      true,
      true,
      false,
    ]);
    await flush();
    expect(calls).toHaveLength(3);
    expect(s.pending).toBe(3);
    await s.close(0);
  });

  it('on close, drops retries, lets queued sends go within the grace, then aborts', async () => {
    const { clock, calls, outcomes, sender: s } = sender([500, 'hang']);
    s.enqueue(job);
    await flush();
    // w1 waits to retry; w2 is queued and hangs when sent.
    s.enqueue({ ...job, webhookId: 'w2' });
    const closed = s.close(2000);
    expect(s.enqueue(job)).toBe(false);
    await flush();
    expect(calls.map((c) => c.headers['x-restream-delivery'] !== undefined)).toEqual([true, true]);
    clock.advance(2000);
    await closed;
    await flush();
    expect(calls[1]!.signal.aborted).toBe(true);
    expect(outcomes.map((o) => [o.webhookId, o.ok])).toEqual([['w2', false]]);
    expect(s.pending).toBe(0);
  });
});
