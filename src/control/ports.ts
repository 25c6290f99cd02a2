/**
 * The control plane's ports: what it needs from the engine, the fallback library and observability,
 * declared here by their user. main.ts plugs the real ones in; the API tests plug fakes.
 */
import type {
  ChannelAction,
  ChannelLiveStatus,
  ContinuitySettings,
  EventSubscription,
  FallbackInfo,
  FallbackJob,
  OutputStatsSnapshot,
  ServerEventDto,
} from '../contract/index.js';

/**
 * What a fallback rendition is conformed to (the fallback library's RenditionParams). The control plane
 * only passes it from the engine to the library, so it does not look inside.
 */
export type ConformParams = object;

/**
 * One destination's output as the control plane reads it: the engine's snapshot without the counters
 * the API does not show (so an engine, or a test's fake, need not report them).
 */
export interface OutputStatus extends Omit<OutputStatsSnapshot, 'videoFrames'> {
  /** The destination's store id. */
  id: string;
}

/** A channel's live state as the engine reports it, with outputs as read above. */
export interface LiveChannelStatus extends Omit<ChannelLiveStatus, 'outputs'> {
  /** Outputs that exist; destinations without one are reported idle (or disabled). */
  outputs: OutputStatus[];
}

/** What the running engine (ChannelManager) provides to the control plane. */
export interface LiveView {
  /** Live status of a channel's input and outputs (undefined when nothing is running for it). */
  channelStatus(channelId: string): LiveChannelStatus | undefined;
  /** Called after a destination is created/updated/deleted/enabled/disabled so the engine applies it at once. */
  destinationsChanged(channelId: string): void;
  /** Called after a channel's ingest key changed, or after the channel was deleted (it ends its broadcast). */
  channelKeysChanged(channelId: string): void;
  /** Called after a channel's continuity settings changed, so a live channel applies them at once. */
  channelSettingsChanged?(channelId: string): void;
  /** The continuity settings a channel runs with (absent: its stored ones over the built-in defaults). */
  continuitySettings?(channelId: string): ContinuitySettings;
  /** A manual action (be right back, back to live, end); returns why it cannot apply now, or undefined. */
  channelAction(channelId: string, action: ChannelAction): string | undefined;
  /** What a fallback upload for the channel is conformed to: its live parameters, or the defaults. */
  fallbackParams(channelId: string): ConformParams;
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
    params: ConformParams,
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

/** Live events, for `GET /api/events` (observability's EventFeed). */
export interface EventSource {
  /** Calls `listener` with each event (after replaying kept ones); returns the unsubscribe function. */
  subscribe(listener: (event: ServerEventDto) => void, options: EventSubscription): () => void;
}

/** The Prometheus exposition (observability's Metrics). */
export interface MetricsSource {
  /** The text exposition and its content type. */
  render(): Promise<{ contentType: string; body: string }>;
}
