import type { Logger } from '../shared/logger.js';
import { platformPresets } from '../relay/presets.js';
import type { Store } from '../store/index.js';
import type { PresetDto, StatusDto } from '../contract/index.js';
import { AuthBackend } from './auth-backend.js';
import { ChannelsBackend } from './channels-backend.js';
import { FallbackBackend } from './fallback-backend.js';
import { ObservabilityBackend } from './observability-backend.js';
import { PlatformsBackend } from './platforms-backend.js';
import type { EventSource, FallbackUploads, LiveView, MetricsSource } from './ports.js';
import { SharedBackend } from './shared-backend.js';
import { StatusBackend } from './status-backend.js';

export { ControlPlaneError, type ControlPlaneErrorCode } from './shared-backend.js';
export type * from './ports.js';

/** Options of the control plane. */
export interface ControlPlaneOptions {
  /** The configuration store. */
  store: Store;
  /** The running engine. */
  live: LiveView;
  /** Port of the RTMP listener, for the ingest URL shown to OBS users (a function when bound later). */
  rtmpPort: number | (() => number);
  /** Where failures of the engine's change handlers are reported. */
  logger: Logger;
  /** The fallback library: uploads, conform jobs, renditions. */
  fallback: FallbackUploads;
  /** Lifetime of a login session (default 7 days). */
  sessionTtlMs?: number;
  /** A login session unused this long ends (default: only its lifetime ends it). */
  sessionIdleMs?: number;
  /** Wall clock in ms, for which finished jobs status still shows (tests inject a fake). */
  now?: () => number;
  /** Live events for `GET /api/events` (absent: the stream carries nothing). */
  events?: EventSource;
  /** Prometheus metrics (absent: an empty exposition). */
  metrics?: MetricsSource;
}

const defaultSessionTtlMs = 7 * 24 * 3600 * 1000;

/**
 * The control plane: configuration changes go to the store, then to the engine at once; status joins
 * the store's destinations with the engine's live outputs. It has the shape of the API's `ApiBackend`
 * (src/api/backend.ts), which src/control may not import; both speak src/contract's shapes, and the
 * compiler checks the fit where the two meet (main.ts, and the API's integration tests). Each area
 * lives in its own `*-backend.ts`; the engine and observability are reached only through ./ports.ts.
 */
export class ControlPlane {
  readonly platforms: PlatformsBackend;
  readonly channels: ChannelsBackend;
  readonly fallback: FallbackBackend;
  readonly auth: AuthBackend;
  /** Live events: state changes and stats ticks, for the SSE stream. */
  readonly events: ObservabilityBackend['events'];
  /** The Prometheus exposition. */
  readonly metrics: ObservabilityBackend['metrics'];
  /** Broadcast history. */
  readonly history: ObservabilityBackend['history'];
  /** Outgoing webhooks. */
  readonly webhooks: ObservabilityBackend['webhooks'];
  readonly #status: StatusBackend;

  constructor(options: ControlPlaneOptions) {
    const { store, live, logger, fallback, rtmpPort } = options;
    const shared = new SharedBackend({ store, live, logger, fallback });
    this.platforms = new PlatformsBackend(shared);
    this.channels = new ChannelsBackend(shared, typeof rtmpPort === 'number' ? () => rtmpPort : rtmpPort);
    this.fallback = new FallbackBackend(shared);
    this.auth = new AuthBackend(
      store,
      logger,
      options.sessionTtlMs ?? defaultSessionTtlMs,
      options.sessionIdleMs,
    );
    const observability = new ObservabilityBackend(shared, {
      events: options.events,
      metrics: options.metrics,
    });
    this.events = observability.events;
    this.metrics = observability.metrics;
    this.history = observability.history;
    this.webhooks = observability.webhooks;
    this.#status = new StatusBackend(shared, options.now ?? Date.now);
  }

  /** Platform presets, copied so that no caller can change the table. */
  presets(): PresetDto[] {
    return platformPresets.map((preset) => ({
      id: preset.id,
      name: preset.name,
      urls: preset.urls.map((u) => ({ label: u.label, url: u.url })),
      videoCodecs: [...preset.videoCodecs],
      keyframeIntervalSeconds: preset.keyframeIntervalSeconds,
      maxBitrateKbps: preset.maxBitrateKbps,
      notes: preset.notes,
    }));
  }

  /** Every channel's live status, with every destination listed (idle or disabled when not running). */
  status(): StatusDto {
    return this.#status.status();
  }
}
