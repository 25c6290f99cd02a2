/**
 * What the engine reports and is configured with, declared once for the code that listens to it
 * (observability), the code that shows it (control plane, API, dashboard) and the code that stores it.
 */
import type {
  ChannelMode,
  CleanStopAction,
  FallbackJobState,
  FallbackKind,
  OutputState,
  SourceName,
  SwitchReason,
} from './values.js';

/** A channel's continuity settings: what a stall, a clean stop and a low bitrate lead to. */
export interface ContinuitySettings {
  /** No media for this long while connected counts as a stall (see settingLimits). */
  stallTimeoutMs: number;
  /** After a clean stop: fallback then end (`fallback-then-end`), end at once, or fallback until live returns. */
  cleanStopAction: CleanStopAction;
  /** With `fallback-then-end`: how long the fallback plays before the broadcast ends. */
  cleanStopGraceMs: number;
  /**
   * After a drop or stall: how long the fallback plays without live before the broadcast ends. Also how
   * long a new broadcast waits for its publisher's first frame before it is given up.
   */
  fallbackTimeoutMs: number;
  /** Fallback when the input stays under `thresholdKbps` for `windowMs`; null: off. */
  lowBitrate: { thresholdKbps: number; windowMs: number } | null;
}

/** A change of mode, with why and (for fallback) when it will end on its own. */
export interface ModeChange {
  mode: ChannelMode;
  reason: SwitchReason;
  /** Clock time of the change (the engine's monotonic clock, ms). */
  at: number;
  /** Clock time the fallback ends the broadcast, or null when it does not end by itself. */
  endsAt: number | null;
}

/** A point-in-time view of one output, for status and metrics. */
export interface OutputStatsSnapshot {
  /** Connection state. */
  state: OutputState;
  /** Why the last connection failed, in words (never a stream key), or null. */
  lastError: string | null;
  /** ISO-8601 time the current connection went live, or null. */
  connectedSince: string | null;
  /** Connection attempts after the first. */
  reconnects: number;
  /** Bytes written to the destination, over all connections of this broadcast. */
  bytes: number;
  /** Send rate over the last second. */
  bitrateKbps: number;
  /** Audio/video frames dropped because the destination fell behind. */
  droppedFrames: number;
  /** Video frames sent. */
  videoFrames: number;
}

/** What OBS is sending, while it is sending. */
export interface InputStatus {
  /** Video codec (`'h264'`, `'hevc'`, `'av1'`…), null until known. */
  codec: string | null;
  /** Video width in pixels, null until known. */
  width: number | null;
  /** Video height in pixels, null until known. */
  height: number | null;
  /** Frames per second, null until known. */
  fps: number | null;
  /** Measured input bitrate. */
  bitrateKbps: number;
  /** Audio codec (`'aac'`…), null until known or without audio. */
  audioCodec: string | null;
  /** Audio sample rate in Hz, null until known. */
  sampleRate: number | null;
  /** Audio channel count, null until known. */
  channels: number | null;
  /** ISO-8601 time the current publish started. */
  since: string;
}

/** The live status of one channel, as the engine reports it. */
export interface ChannelLiveStatus {
  /** True while the channel's program is being sent (live input or fallback). */
  onAir: boolean;
  /** The source platforms are getting now, or null when off air. */
  source: SourceName | null;
  /** The source the channel wants (it takes the air at its next keyframe). */
  mode: ChannelMode;
  /** Why the mode last changed, or null before any change. */
  reason: SwitchReason | null;
  /** ISO-8601 time of the last mode change, or null. */
  since: string | null;
  /** ISO-8601 time the fallback will end the broadcast by itself, or null. */
  fallbackEndsAt: string | null;
  /** What the fallback plays while it plays. */
  fallbackKind: FallbackKind | null;
  /** The live input, or null when OBS is not publishing. */
  input: InputStatus | null;
  /** The outputs that exist (destinations without one are idle or disabled). */
  outputs: (OutputStatsSnapshot & { id: string; name: string })[];
  /** Viewers of the program preview (`preview.flv`) now (absent: none). */
  previewViewers?: number;
}

/** A time series as the dashboard's chart takes it: unix seconds and values, oldest first. */
export interface BitrateSeries {
  /** Unix seconds, one per sample. */
  t: number[];
  /** The value at each of `t` (kbit/s for an input bitrate). */
  v: number[];
}

/** What the engine emits, for events, metrics, history and webhooks. */
export interface EngineEvents {
  /** A channel's wanted source changed, with the reason (continuity, or a manual action). */
  mode: [channelId: string, change: ModeChange];
  /** A source took the air at its keyframe (what the platforms now get). */
  switched: [channelId: string, from: SourceName | undefined, to: SourceName];
  /** A destination's output changed state. */
  output: [
    channelId: string,
    destinationId: string,
    name: string,
    state: OutputState,
    lastError: string | undefined,
  ];
}

/** One background ffmpeg run: a rendition of a channel's upload, or a slate. */
export interface FallbackJob {
  /** Random id, for the job's own endpoint. */
  id: string;
  /** The channel whose upload is conformed; '' for a slate (slates are shared). */
  channelId: string;
  /** The rendition it makes (renditionKey() of its parameters). */
  key: string;
  /** What is made: a rendition of the upload, or the built-in slate. */
  kind: FallbackKind;
  /** Where the job is. */
  state: FallbackJobState;
  /** 0-100. */
  percent: number;
  /** Why it failed. */
  error?: string;
  /** When it was queued (ISO 8601). */
  startedAt: string;
  /** When it ended (ISO 8601). */
  finishedAt?: string;
}

/** What a channel's fallback library holds: the upload, and what has been made of it. */
export interface FallbackInfo {
  /** The accepted upload: the name it was uploaded as, its size, when. */
  original?: { name: string; sizeBytes: number; uploadedAt: string };
  /** Conformed renditions on disk, by parameter key. */
  renditions: { key: string; sizeBytes: number }[];
}
