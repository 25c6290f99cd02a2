import type { Logger } from '../shared/logger.js';
import type { ContinuitySettings, ManualAction } from '../channel/continuity.js';
import type { RenditionParams } from '../fallback/params.js';
import type { OutputStatsSnapshot } from '../relay/output-stats.js';
import { platformPresets } from '../relay/presets.js';
import type { Store } from '../store/index.js';
import { AuthBackend } from './auth-backend.js';
import type { ChannelLiveStatus as RuntimeLiveStatus } from './channel-runtime.js';
import { ChannelsBackend } from './channels-backend.js';
import type { EventHub } from './event-hub.js';
import { FallbackBackend } from './fallback-backend.js';
import type { Metrics } from './metrics.js';
import { ObservabilityBackend } from './observability-backend.js';
import { PlatformsBackend, type PresetView } from './platforms-backend.js';
import { SharedBackend } from './shared-backend.js';
import { StatusBackend, type ChannelStatusView } from './status-backend.js';

export { ControlPlaneError, type ControlPlaneErrorCode } from './shared-backend.js';
export type { ChannelDetailView, ChannelView } from './channels-backend.js';
export type { ChannelFallbackView, FallbackJobView } from './fallback-backend.js';
export type { PlatformInputView, PresetView } from './platforms-backend.js';
export type { ChannelStatusView, OutputStatusView } from './status-backend.js';

/**
 * One destination's output as the control plane reads it: the engine's snapshot without the counters
 * the API does not show (so an engine, or a test's fake, need not report them).
 */
export interface OutputStatus extends Omit<OutputStatsSnapshot, 'videoFrames'> {
  /** The destination's store id. */
  id: string;
}

/** A channel's live state as the engine reports it (ChannelRuntime's, with outputs as read above). */
export interface ChannelLiveStatus extends Omit<RuntimeLiveStatus, 'outputs'> {
  /** Outputs that exist; destinations without one are reported idle (or disabled). */
  outputs: OutputStatus[];
}

/** What the running engine (ChannelManager) provides to the control plane. */
export interface LiveView {
  /** Live status of a channel's input and outputs (undefined when nothing is running for it). */
  channelStatus(channelId: string): ChannelLiveStatus | undefined;
  /** Called after a destination is created/updated/deleted/enabled/disabled so the engine applies it at once. */
  destinationsChanged(channelId: string): void;
  /** Called after a channel's ingest key changed, or after the channel was deleted (it ends its broadcast). */
  channelKeysChanged(channelId: string): void;
  /** Called after a channel's continuity settings changed, so a live channel applies them at once. */
  channelSettingsChanged?(channelId: string): void;
  /** The continuity settings a channel runs with (absent: its stored ones over the built-in defaults). */
  continuitySettings?(channelId: string): ContinuitySettings;
  /** A manual action (be right back, back to live, end); returns why it cannot apply now, or undefined. */
  channelAction(channelId: string, action: ManualAction): string | undefined;
  /** What a fallback upload for the channel is conformed to: its live parameters, or the defaults. */
  fallbackParams(channelId: string): RenditionParams;
}

/** A fallback conform job, as the fallback library reports it. */
export interface FallbackJob {
  id: string;
  channelId: string;
  /** The rendition it makes. */
  key: string;
  state: 'queued' | 'running' | 'done' | 'failed';
  /** 0..100. */
  percent: number;
  /** Why it failed. */
  error?: string;
  /** ISO-8601. */
  startedAt: string;
  /** ISO-8601, once done or failed. */
  finishedAt?: string;
}

/** What a channel's fallback library holds. */
export interface FallbackInfo {
  /** The uploaded original, if there is one. */
  original?: { name: string; sizeBytes: number; uploadedAt: string };
  /** Conformed renditions, by parameter key. */
  renditions: { key: string; sizeBytes: number }[];
}

/** What the control plane needs from the fallback library (src/fallback/library.ts). */
export interface FallbackUploads {
  /** Largest upload accepted, in bytes. */
  readonly maxUploadBytes: number;
  /** A fresh, randomly named path under the library's incoming directory to receive an upload into. */
  incomingPath(): string;
  /**
   * Checks an upload (ffprobe) and starts conforming it in the background; the file becomes the
   * library's. Throws a FallbackError (NOT_MEDIA, NO_VIDEO, TRUNCATED, TOO_LARGE) with the channel's
   * previous fallback untouched.
   */
  accept(
    channelId: string,
    tmpFile: string,
    originalName: string,
    params: RenditionParams,
  ): Promise<FallbackJob>;
  /** Jobs, of one channel or all. */
  jobs(channelId?: string): FallbackJob[];
  /** One job. */
  job(id: string): FallbackJob | undefined;
  /** A channel's upload and renditions. */
  info(channelId: string): FallbackInfo;
  /** Removes a channel's upload and its renditions (the slate remains). */
  remove(channelId: string): void;
  /** The channel's stored original upload (path on disk, uploaded name, size), if any. */
  originalFile(channelId: string): { path: string; name: string; sizeBytes: number } | undefined;
}

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
  events?: Pick<EventHub, 'subscribe'>;
  /** Prometheus metrics (absent: an empty exposition). */
  metrics?: Pick<Metrics, 'render'>;
}

const defaultSessionTtlMs = 7 * 24 * 3600 * 1000;

/**
 * The control plane: configuration changes go to the store, then to the engine at once; status joins
 * the store's destinations with the engine's live outputs. It has the shape of the API's `ApiBackend`
 * (src/api/backend.ts), which src/core may not import; the compiler checks the fit where the two meet
 * (main.ts, and the API's integration test). Each area lives in its own `*-backend.ts`.
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
  presets(): PresetView[] {
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
  status(): { channels: ChannelStatusView[] } {
    return this.#status.status();
  }
}
