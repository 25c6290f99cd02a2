import type { HistorySession, NewWebhook, Webhook, WebhookWithSecret } from '../store/index.js';
import type { EventSubscription, ServerEventDto } from '../contract/index.js';
import type { EventSource, MetricsSource } from './ports.js';
import type { SharedBackend } from './shared-backend.js';
import { checkWebhookUrl } from './webhook-input.js';

/** Options of the observability backend. */
export interface ObservabilityBackendOptions {
  /** Live events for `GET /api/events` (absent: the stream carries nothing). */
  events?: EventSource | undefined;
  /** Prometheus metrics (absent: an empty exposition). */
  metrics?: MetricsSource | undefined;
}

/** What the server tells about itself: live events, metrics, broadcast history, and outgoing webhooks. */
export class ObservabilityBackend {
  readonly #shared: SharedBackend;
  readonly #events: ObservabilityBackendOptions['events'];
  readonly #metrics: ObservabilityBackendOptions['metrics'];

  constructor(shared: SharedBackend, options: ObservabilityBackendOptions) {
    this.#shared = shared;
    this.#events = options.events;
    this.#metrics = options.metrics;
  }

  /** Live events: state changes and stats ticks, for the SSE stream. */
  readonly events = {
    subscribe: (listener: (event: ServerEventDto) => void, options: EventSubscription): (() => void) =>
      this.#events ? this.#events.subscribe(listener, options) : () => undefined,
  };

  /** The Prometheus exposition. */
  readonly metrics = {
    render: (): Promise<{ contentType: string; body: string }> =>
      this.#metrics
        ? this.#metrics.render()
        : Promise.resolve({ contentType: 'text/plain; version=0.0.4; charset=utf-8', body: '' }),
  };

  /** Broadcast history. */
  readonly history = {
    list: (query: { channelId?: string; limit: number }): HistorySession[] => {
      if (query.channelId !== undefined) this.#shared.checkChannel(query.channelId, 'channelId');
      return this.#shared.store.history.list(query);
    },
  };

  /** Outgoing webhooks. */
  readonly webhooks = {
    list: (channelId?: string): Webhook[] => {
      if (channelId !== undefined) this.#shared.checkChannel(channelId, 'channelId');
      return this.#shared.store.webhooks.list(channelId);
    },
    get: (id: string): Webhook => this.#shared.store.webhooks.get(id),
    create: (input: NewWebhook): WebhookWithSecret => {
      checkWebhookUrl(input.url);
      this.#shared.checkChannel(input.channelId, 'channelId');
      return this.#shared.store.webhooks.create(input);
    },
    remove: (id: string): void => {
      this.#shared.store.webhooks.remove(id);
    },
  };
}
