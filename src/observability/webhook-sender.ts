import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { systemClock, type Clock, type Timer } from '../shared/clock.js';
import { errorCode, errorMessage } from '../shared/errors.js';
import { silentLogger, type Logger } from '../shared/logger.js';
import type { WebhooksRepo } from '../store/index.js';
import type { WebhookEventName, WebhookPayloadDto } from '../contract/index.js';
import type { BroadcastLifecycle, LifecycleEvent } from './broadcast-lifecycle.js';

/** Name of the signature header: `sha256=<hex HMAC-SHA256 of the raw body, keyed by the secret>`. */
export const signatureHeader = 'X-Restream-Signature';

/** The JSON body of a webhook POST. */
export type WebhookPayload = WebhookPayloadDto;

/** The signature header's value for a body. */
export function signBody(body: string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;
}

/** What a receiver does: recompute the signature over the raw body and compare in constant time. */
export function verifySignature(body: string, secret: string, header: string | undefined): boolean {
  if (header === undefined) return false;
  const expected = Buffer.from(signBody(body, secret));
  const given = Buffer.from(header);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/**
 * Sends one POST; resolves with the HTTP status, rejects on a network failure or when `signal` aborts.
 * Injected so tests run without sockets.
 */
export type WebhookPost = (
  url: string,
  body: string,
  headers: Record<string, string>,
  signal: AbortSignal,
) => Promise<number>;

/** The real sender: fetch, no redirects followed, the answer's body discarded. */
export const fetchPost: WebhookPost = async (url, body, headers, signal) => {
  const response = await fetch(url, { method: 'POST', body, headers, signal, redirect: 'manual' });
  await response.body?.cancel();
  return response.status;
};

/** One webhook's delivery of one event. */
export interface DeliveryJob {
  webhookId: string;
  url: string;
  secret: string;
  event: WebhookEventName;
  /** The exact bytes signed and sent. */
  body: string;
}

/** How a delivery ended, after its last attempt. */
export interface DeliveryOutcome {
  webhookId: string;
  event: WebhookEventName;
  ok: boolean;
  attempts: number;
  /** HTTP status of the last attempt, null when none came. */
  status: number | null;
  /** Why it failed, null when delivered. */
  error: string | null;
}

/** Options of {@link WebhookSender}. */
export interface WebhookSenderOptions {
  post?: WebhookPost;
  clock?: Clock;
  logger?: Logger;
  /** Delays before each retry (default 1 s, 5 s, 25 s: four attempts in all). */
  retryDelaysMs?: readonly number[];
  /** Time allowed for one attempt (default 10 s). */
  timeoutMs?: number;
  /** Deliveries queued, waiting to retry or in flight, at most (default 1000); beyond, new ones are dropped. */
  maxQueued?: number;
  /** POSTs in flight at once (default 4). */
  concurrency?: number;
  /** Told how each delivery ended. */
  onOutcome?: (outcome: DeliveryOutcome) => void;
}

interface Attempt {
  job: DeliveryJob;
  /** 1-based. */
  attempt: number;
  deliveryId: string;
}

/** Statuses worth another try: the receiver is down or overloaded, not refusing us. */
function retryable(status: number | null): boolean {
  return status === null || status >= 500 || status === 429 || status === 408;
}

/** The host of a URL for logs: a webhook URL's path or query may itself be a secret (Slack, Discord). */
function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return '?';
  }
}

/**
 * Delivers webhook POSTs off the media path: `enqueue` only queues (the first attempt starts on a
 * later turn of the event loop), a bounded number run at once, and failures are retried after fixed
 * delays, then given up and logged (host, status, error: never the URL's path nor the secret).
 */
export class WebhookSender {
  readonly #post: WebhookPost;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #delays: readonly number[];
  readonly #timeoutMs: number;
  readonly #maxQueued: number;
  readonly #concurrency: number;
  readonly #onOutcome: (outcome: DeliveryOutcome) => void;
  readonly #ready: Attempt[] = [];
  readonly #waiting = new Map<Attempt, Timer>();
  readonly #inFlight = new Set<AbortController>();
  #pumpScheduled = false;
  #closing = false;
  #idle: (() => void) | undefined;

  constructor(options: WebhookSenderOptions = {}) {
    this.#post = options.post ?? fetchPost;
    this.#clock = options.clock ?? systemClock;
    this.#log = options.logger ?? silentLogger;
    this.#delays = options.retryDelaysMs ?? [1000, 5000, 25_000];
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    this.#maxQueued = options.maxQueued ?? 1000;
    this.#concurrency = options.concurrency ?? 4;
    this.#onOutcome = options.onOutcome ?? (() => undefined);
  }

  /** Deliveries not yet ended (queued, waiting to retry, in flight). */
  get pending(): number {
    return this.#ready.length + this.#waiting.size + this.#inFlight.size;
  }

  /** Queues a delivery; false (and a warning) when the queue is full or the sender is closing. */
  enqueue(job: DeliveryJob): boolean {
    if (this.#closing) return false;
    if (this.pending >= this.#maxQueued) {
      this.#log.warn({ webhookId: job.webhookId, event: job.event }, 'webhook queue full: delivery dropped');
      return false;
    }
    this.#ready.push({ job, attempt: 1, deliveryId: randomUUID() });
    this.#schedulePump();
    return true;
  }

  /**
   * Stops: no new deliveries nor retries; deliveries already queued get up to `graceMs` to be sent
   * (an `ended` at shutdown), then whatever is in flight is aborted.
   */
  async close(graceMs = 2000): Promise<void> {
    this.#closing = true;
    if (this.#waiting.size > 0)
      this.#log.warn({ deliveries: this.#waiting.size }, 'webhook retries dropped at shutdown');
    for (const timer of this.#waiting.values()) this.#clock.clearTimeout(timer);
    this.#waiting.clear();
    if (this.pending > 0 && graceMs > 0) {
      await new Promise<void>((resolve) => {
        const timer = this.#clock.setTimeout(() => {
          this.#idle = undefined;
          resolve();
        }, graceMs);
        this.#idle = () => {
          this.#clock.clearTimeout(timer);
          resolve();
        };
      });
    }
    this.#ready.length = 0;
    for (const controller of this.#inFlight) controller.abort();
  }

  #schedulePump(): void {
    if (this.#pumpScheduled) return;
    this.#pumpScheduled = true;
    setImmediate(() => {
      this.#pumpScheduled = false;
      this.#pump();
    });
  }

  #pump(): void {
    while (this.#inFlight.size < this.#concurrency) {
      const next = this.#ready.shift();
      if (!next) break;
      void this.#send(next);
    }
    if (this.pending === 0) this.#idle?.();
  }

  async #send(attempt: Attempt): Promise<void> {
    const { job } = attempt;
    const controller = new AbortController();
    this.#inFlight.add(controller);
    // An object, not a let: the compiler cannot see the timer callback assign it.
    const timeout = { fired: false };
    const timer = this.#clock.setTimeout(() => {
      timeout.fired = true;
      controller.abort();
    }, this.#timeoutMs);
    let status: number | null = null;
    let error: string | null = null;
    try {
      status = await this.#post(
        job.url,
        job.body,
        {
          'content-type': 'application/json',
          'user-agent': 'restream-webhooks/1',
          [signatureHeader]: signBody(job.body, job.secret),
          'x-restream-event': job.event,
          'x-restream-delivery': attempt.deliveryId,
        },
        controller.signal,
      );
    } catch (err) {
      const cause = (err as { cause?: unknown } | null)?.cause;
      error = timeout.fired
        ? `no answer within ${this.#timeoutMs} ms`
        : (errorCode(cause) ?? errorCode(err) ?? errorMessage(err));
    } finally {
      this.#clock.clearTimeout(timer);
      this.#inFlight.delete(controller);
    }
    if (status !== null && status >= 200 && status < 300) {
      this.#finish(attempt, { ok: true, status, error: null });
    } else {
      error ??= `HTTP ${status ?? '?'}`;
      const delay = this.#delays[attempt.attempt - 1];
      if (retryable(status) && delay !== undefined && !this.#closing) {
        this.#log.debug(
          { webhookId: job.webhookId, event: job.event, attempt: attempt.attempt, status, error },
          'webhook delivery failed; will retry',
        );
        const next: Attempt = { ...attempt, attempt: attempt.attempt + 1 };
        const retry = this.#clock.setTimeout(() => {
          this.#waiting.delete(next);
          this.#ready.push(next);
          this.#pump();
        }, delay);
        retry.unref?.();
        this.#waiting.set(next, retry);
      } else {
        this.#finish(attempt, { ok: false, status, error });
      }
    }
    this.#pump();
  }

  #finish(attempt: Attempt, result: { ok: boolean; status: number | null; error: string | null }): void {
    const { job } = attempt;
    if (!result.ok) {
      this.#log.warn(
        {
          webhookId: job.webhookId,
          event: job.event,
          host: hostOf(job.url),
          attempts: attempt.attempt,
          status: result.status,
          error: result.error,
        },
        'webhook delivery failed; given up',
      );
    }
    try {
      this.#onOutcome({ webhookId: job.webhookId, event: job.event, attempts: attempt.attempt, ...result });
    } catch (err) {
      this.#log.error({ err, webhookId: job.webhookId }, 'webhook outcome handler failed');
    }
  }
}

/** Options of {@link Webhooks}. */
export interface WebhooksOptions extends Omit<WebhookSenderOptions, 'onOutcome'> {
  /** Where the events come from. */
  lifecycle: Pick<BroadcastLifecycle, 'on' | 'off'>;
  /** The configured webhooks (and where delivery outcomes are recorded). */
  repo: WebhooksRepo;
  /** Wall clock in ms, for the recorded delivery time. */
  now?: () => number;
}

/** Turns a broadcast's lifecycle events into signed POSTs to each channel's webhooks that want them. */
export class Webhooks {
  readonly #lifecycle: WebhooksOptions['lifecycle'];
  readonly #repo: WebhooksRepo;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #sender: WebhookSender;

  readonly #onLifecycle = (event: LifecycleEvent): void => {
    try {
      this.#dispatch(event);
    } catch (err) {
      this.#log.error({ err, channelId: event.channelId }, 'webhooks: dispatch failed');
    }
  };

  constructor(options: WebhooksOptions) {
    this.#lifecycle = options.lifecycle;
    this.#repo = options.repo;
    this.#log = options.logger ?? silentLogger;
    this.#now = options.now ?? Date.now;
    this.#sender = new WebhookSender({
      ...options,
      onOutcome: (outcome) => {
        this.#record(outcome);
      },
    });
    this.#lifecycle.on('lifecycle', this.#onLifecycle);
  }

  /** Deliveries not yet ended. */
  get pending(): number {
    return this.#sender.pending;
  }

  /** Stops listening; queued deliveries get `graceMs` to go out (see {@link WebhookSender.close}). */
  async close(graceMs?: number): Promise<void> {
    this.#lifecycle.off('lifecycle', this.#onLifecycle);
    await this.#sender.close(graceMs);
  }

  #dispatch(event: LifecycleEvent): void {
    const hooks = this.#repo
      .listWithSecrets(event.channelId)
      .filter((hook) => hook.events.includes(event.event));
    if (hooks.length === 0) return;
    const payload: WebhookPayload = { event: event.event, channelId: event.channelId, at: event.at };
    if (event.reason !== null) payload.reason = event.reason;
    if (event.destination !== null) payload.destination = { ...event.destination };
    const body = JSON.stringify(payload);
    for (const hook of hooks) {
      this.#sender.enqueue({
        webhookId: hook.id,
        url: hook.url,
        secret: hook.secret,
        event: event.event,
        body,
      });
    }
  }

  #record(outcome: DeliveryOutcome): void {
    try {
      this.#repo.recordDelivery(outcome.webhookId, {
        at: new Date(this.#now()).toISOString(),
        status: outcome.status,
        error: outcome.error,
      });
    } catch (err) {
      // The store may be closing (shutdown): the outcome was logged already when it failed.
      this.#log.debug({ err, webhookId: outcome.webhookId }, 'webhooks: could not record a delivery');
    }
  }
}
