/**
 * The JSON shapes of the HTTP API. The dashboard imports these with `import type`, so this file holds
 * types only; the names and limits they use are in values.ts and limits.ts beside it.
 */
import type {
  BitrateSeries,
  ChannelLiveStatus,
  ContinuitySettings,
  InputStatus,
  OutputStatsSnapshot,
} from './engine.js';
import type {
  AudioCodecName,
  ChannelAction,
  ChannelEventKind,
  ChannelMode,
  FallbackJobState,
  FallbackKind,
  TokenScope,
  OutputState,
  RecordingState,
  SourceName,
  SwitchReason,
  VideoCodecName,
  WebhookEventName,
} from './values.js';

/** A platform (destination) as the API shows it: the stream key only masked. */
export interface PlatformDto {
  /** Random short id. */
  id: string;
  /** Channel whose program it receives. */
  channelId: string;
  /** Display name, unique in its channel. */
  name: string;
  /** Server URL (`rtmp://` or `rtmps://`), without the key. */
  url: string;
  /** The stream key masked, e.g. `'****abcd'`. */
  streamKeyMasked: string;
  /** Whether the program is sent there. */
  enabled: boolean;
  /** ISO-8601 creation time. */
  createdAt: string;
  /** ISO-8601 time of the last change. */
  updatedAt: string;
  /** The preset it was made from (`GET /api/presets`); absent for a bare URL. */
  preset?: string;
}

/**
 * Body of `POST /api/platforms`. With a `preset`, only `streamKey` is needed: the url is the preset's
 * recommended ingest and the name the preset's (made unique with a number: "Twitch 2").
 */
export interface PlatformInput {
  /** 1..64 characters; required without a preset. */
  name?: string;
  /** `rtmp://host[:port]/app` or `rtmps://…`; required without a preset, overrides the preset's. */
  url?: string;
  /** The platform's stream key (non-empty, no whitespace). */
  streamKey: string;
  /** Defaults to true. */
  enabled?: boolean;
  /** Defaults to `'main'` (or, once `main` is deleted, the oldest channel). */
  channelId?: string;
  /** A preset id (`twitch`, `youtube`, …): fills url and name, and decides the codecs it accepts. */
  preset?: string;
}

/** Body of `PUT /api/platforms/:id`: any subset of the fields; `preset: null` removes the preset. */
export interface PlatformPatch {
  /** 1..64 characters. */
  name?: string;
  /** `rtmp://…` or `rtmps://…`. */
  url?: string;
  /** A new stream key. */
  streamKey?: string;
  /** Whether the program is sent there. */
  enabled?: boolean;
  /** Moves it to another channel. */
  channelId?: string;
  /** Changes the preset (codec gating only; the url stays), or null for none. */
  preset?: string | null;
}

/** A platform preset (`GET /api/presets`). */
export interface PresetDto {
  /** Id to give as `preset` when creating a platform. */
  id: string;
  /** Display name. */
  name: string;
  /** Ingest URLs, the recommended one first (empty for `custom`: give your own). */
  urls: { label: string; url: string }[];
  /** Video codecs the platform accepts; an output with another codec reports `incompatible`. */
  videoCodecs: VideoCodecName[];
  /** Audio codecs the platform accepts; gated like the video codecs. */
  audioCodecs: AudioCodecName[];
  /** Keyframe interval the platform asks for, in seconds (null: no advice). */
  keyframeIntervalSeconds: number | null;
  /** Highest recommended video bitrate, in kbit/s (null: no advice). */
  maxBitrateKbps: number | null;
  /** Advice for a person. */
  notes: string;
}

/** A channel as `GET /api/channels` shows it, with what OBS needs to publish. */
export interface ChannelDto {
  /** Channel id, e.g. `'main'`. */
  id: string;
  /** Display name. */
  name: string;
  /** OBS "Server": `rtmp://<host>:<port>/live`. */
  ingestUrl: string;
  /** OBS "Stream Key": the whole ingest key (the caller is the admin). */
  streamKey: string;
  /** A key that can only watch the program, when one is set. */
  previewKey?: string;
  /** Number of platforms attached. */
  platformCount: number;
  /** The continuity settings the channel runs with (its own, else the server's defaults). */
  settings: ChannelSettingsDto;
  /** Whether each broadcast is recorded (see `GET /api/recordings`). */
  recording: boolean;
}

/** `GET/POST/PUT /api/channels/:id`: a channel with its platforms. */
export interface ChannelDetailDto extends ChannelDto {
  /** Its platforms (keys masked). */
  platforms: PlatformDto[];
}

/** A channel's continuity settings (each number within `settingLimits`). */
export type ChannelSettingsDto = ContinuitySettings;

/** Body of `POST /api/channels`. */
export interface ChannelInput {
  /** Display name, unique (1..64 characters). */
  name: string;
  /** `[a-z0-9-]{1,32}`; made from the name when absent. */
  id?: string;
  /** Settings of its own; the rest follow the server's defaults. */
  settings?: Partial<ChannelSettingsDto>;
}

/** Body of `PUT /api/channels/:id`: a new name and/or some settings (applied at once when live). */
export interface ChannelPatch {
  /** New display name. */
  name?: string;
  /** Settings to change; the others keep their value. */
  settings?: Partial<ChannelSettingsDto>;
  /** Record each broadcast from now on (one already on air starts recording at once). */
  recording?: boolean;
}

/** Answer of `POST /api/channels/:id/rotate-key`. */
export interface RotatedKeyDto {
  /** The channel. */
  id: string;
  /** Its new ingest key; the old one no longer works. */
  streamKey: string;
}

/** What OBS is sending, while it is sending. */
export type InputStatusDto = InputStatus;

/** One platform's live output (the engine's snapshot without its frame counter). */
export interface OutputStatusDto extends Omit<OutputStatsSnapshot, 'videoFrames'> {
  /** The platform id. */
  id: string;
  /** The platform name. */
  name: string;
}

/** Body of `POST /api/channels/:id/actions`. */
export interface ChannelActionInput {
  /** `fallback` ("be right back"), `live` (back to the live input) or `end` (end the broadcast). */
  action: ChannelAction;
}

/** Answer of `POST /api/channels/:id/actions`: the channel's mode after the action. */
export interface ChannelActionDto {
  /** Always true. */
  ok: true;
  /** The mode the channel wants now (the switch itself happens at the next keyframe). */
  mode: ChannelMode;
  /** Why the mode last changed (`manual` after an action that changed it). */
  reason: SwitchReason | null;
}

/** A background job conforming an uploaded fallback video to a channel's live parameters. */
export interface FallbackJobDto {
  /** Job id (`GET /api/fallback/jobs/:id`). */
  id: string;
  /** The channel the upload is for. */
  channelId: string;
  /** The rendition it makes, e.g. `'h264-1280x720-48000hz-2ch-30fps-high'`. */
  key: string;
  /** Where it is. */
  state: FallbackJobState;
  /** Progress, 0 to 100. */
  percent: number;
  /** Why it failed, or null. */
  error: string | null;
  /** ISO-8601 time it was queued. */
  startedAt: string;
  /** ISO-8601 time it finished (done or failed), or null. */
  finishedAt: string | null;
}

/** Answer of `POST /api/upload_fallback` (202): the upload is media and is being conformed. */
export interface UploadFallbackDto {
  /** The conform job; poll it or watch `/api/status`. */
  job: FallbackJobDto;
}

/** The uploaded original of a channel's fallback. */
export interface FallbackOriginalDto {
  /** The file name it was uploaded with (display only). */
  name: string;
  /** Its size. */
  sizeBytes: number;
  /** ISO-8601 upload time. */
  uploadedAt: string;
}

/** Answer of `GET /api/channels/:id/fallback`. */
export interface ChannelFallbackDto {
  /** What the library holds for the channel. */
  info: {
    /** The uploaded original, or null when the slate is the fallback. */
    original: FallbackOriginalDto | null;
    /** Conformed renditions, one per set of live parameters seen. */
    renditions: { key: string; sizeBytes: number }[];
  };
  /** The channel's conform jobs. */
  jobs: FallbackJobDto[];
}

/**
 * One channel's live status: the engine's fields as it reports them (onAir, source, mode, reason, since,
 * fallbackEndsAt, fallbackKind, input; see {@link ChannelLiveStatus}), with the channel's names, every
 * platform and the control plane's additions.
 */
export interface ChannelStatusDto extends Pick<
  ChannelLiveStatus,
  'onAir' | 'source' | 'mode' | 'reason' | 'since' | 'fallbackEndsAt' | 'fallbackKind' | 'input'
> {
  /** Channel id. */
  id: string;
  /** Channel name. */
  name: string;
  /** One entry per platform of the channel. */
  outputs: OutputStatusDto[];
  /** Conform jobs queued or running, and those finished in the last 10 minutes. */
  fallbackJobs: FallbackJobDto[];
  /** Viewers of the program preview (`GET /api/channels/:id/preview.flv`) now. */
  previewViewers: number;
  /**
   * The input bitrate over the last five minutes, one sample a second: `t` in unix seconds, `v` in
   * kbit/s (0 while nothing comes in), oldest first. A freshly loaded dashboard draws it at once.
   */
  inputHistory: BitrateSeries;
}

/** Answer of `GET /api/status`. */
export interface StatusDto {
  /** Every channel. */
  channels: ChannelStatusDto[];
}

/** Body of `POST /api/tokens`. */
export interface TokenInput {
  /** What the admin calls it. */
  name: string;
  /** What it may do (default `admin`). */
  scope?: TokenScope;
}

/** An API token as listed (never the secret). */
export interface TokenDto {
  /** Token id. */
  id: string;
  /** What the admin called it. */
  name: string;
  /** First characters of the token, to recognise it. */
  prefix: string;
  /** ISO-8601 creation time. */
  createdAt: string;
  /** ISO-8601 time of last use, or null. */
  lastUsedAt: string | null;
  /** What it may do. */
  scope: TokenScope;
}

/** Answer of `POST /api/tokens`: the only time the whole token is shown. */
export interface CreatedTokenDto {
  /** Token id. */
  id: string;
  /** What the admin called it. */
  name: string;
  /** What it may do. */
  scope: TokenScope;
  /** The bearer token. */
  token: string;
}

/** Body of every error answer. */
export interface ErrorDto {
  /** Machine-readable code: `VALIDATION`, `NOT_FOUND`, `CONFLICT`, `UNAUTHORIZED`, `RATE_LIMITED`… */
  error: string;
  /** What went wrong, for a person. */
  message: string;
  /** The request field at fault, when one is. */
  field?: string;
}

/** Body of answers that carry nothing else. */
export interface OkDto {
  /** Always true. */
  ok: true;
}

/* ---- Events (`GET /api/events`), history (`GET /api/history`), webhooks (`/api/webhooks`) ---- */

/** SSE `channel`: a channel's state changed. */
export interface ChannelEventDto {
  /** The channel. */
  channelId: string;
  /** What happened. */
  kind: ChannelEventKind;
  /** ISO-8601 time. */
  at: string;
  /** The source the channel wants after the event. */
  mode: ChannelMode;
  /** The one it wanted before (equal to `mode` for `switched`). */
  previousMode: ChannelMode;
  /** Why the mode last changed. */
  reason: SwitchReason | null;
  /** `switched` only: the source that left the air (null when none had it). */
  from: SourceName | null;
  /** `switched` only: the source platforms get now; null for the other kinds. */
  to: SourceName | null;
  /** ISO-8601 time the fallback will end the broadcast by itself, or null. */
  fallbackEndsAt: string | null;
}

/** SSE `output`: a platform's connection changed state. */
export interface OutputEventDto {
  /** The channel. */
  channelId: string;
  /** The platform id. */
  destinationId: string;
  /** The platform name. */
  name: string;
  /** Its new state. */
  state: OutputState;
  /** Why the connection failed, or null (never a stream key). */
  error: string | null;
  /** ISO-8601 time. */
  at: string;
}

/**
 * SSE `job`: a fallback conform job was queued, advanced or ended: the job as the API lists it, with
 * what it makes (`channelId` is '' for the shared slate).
 */
export interface JobEventDto extends FallbackJobDto {
  /** A rendition of an upload, or the slate. */
  kind: FallbackKind;
}

/** One platform in a stats tick. */
export interface OutputStatsDto {
  /** The platform id. */
  id: string;
  /** The platform name. */
  name: string;
  /** Connection state. */
  state: OutputState;
  /** Send rate over the last second. */
  bitrateKbps: number;
  /** Video frames per second sent since the last tick; null before two ticks or while not live. */
  fps: number | null;
  /** Frames dropped so far because the platform fell behind. */
  droppedFrames: number;
  /** Bytes sent so far. */
  bytes: number;
  /** Reconnects so far. */
  reconnects: number;
}

/** SSE `stats`: a channel's rates, once a second per channel. */
export interface StatsEventDto {
  /** The channel. */
  channelId: string;
  /** ISO-8601 time. */
  at: string;
  /** True while the program is being sent. */
  onAir: boolean;
  /** The source the channel wants. */
  mode: ChannelMode;
  /** The source platforms get, or null when off air. */
  source: SourceName | null;
  /** The live input, or null when OBS is not publishing. */
  input: { bitrateKbps: number; fps: number | null } | null;
  /** One entry per running output. */
  outputs: OutputStatsDto[];
}

/** One event of `GET /api/events`: the SSE `id:`, `event:` and (JSON) `data:` fields. */
export type ServerEventDto =
  | { id: number; event: 'channel'; data: ChannelEventDto }
  | { id: number; event: 'output'; data: OutputEventDto }
  | { id: number; event: 'job'; data: JobEventDto }
  | { id: number; event: 'stats'; data: StatsEventDto }
  | { id: number; event: 'recording'; data: RecordingWarningDto };

/** SSE `recording`: a channel's recording paused, or could not start, for want of disk space. */
export interface RecordingWarningDto {
  /** The channel. */
  channelId: string;
  /** ISO-8601 time. */
  at: string;
  /** What happened, in words. */
  message: string;
}

/** A change of wanted source during a broadcast. */
export interface HistorySwitchDto {
  /** ISO-8601 time. */
  at: string;
  /** Mode before: `live` or `fallback`. */
  from: string;
  /** Mode after: `live` or `fallback`. */
  to: string;
  /** Why (a {@link SwitchReason}). */
  reason: string;
}

/** A platform connection failing during a broadcast (once per failure, not per retry). */
export interface HistoryOutputFailureDto {
  /** ISO-8601 time. */
  at: string;
  /** The platform id. */
  destinationId: string;
  /** Its name then. */
  destinationName: string;
  /** What went wrong (never a stream key). */
  error: string;
}

/** One broadcast of `GET /api/history`: a channel on air, then off air. */
export interface HistorySessionDto {
  /** Session id. */
  id: string;
  /** The channel. */
  channelId: string;
  /** ISO-8601 time it went on air. */
  startedAt: string;
  /** Why it went on air (normally `publisher-started`). */
  startReason: string;
  /** ISO-8601 time it ended, null while on air. */
  endedAt: string | null;
  /** Why it ended (a {@link SwitchReason}, or `interrupted` when the server died during it). */
  endReason: string | null;
  /** Source changes, oldest first. */
  switches: HistorySwitchDto[];
  /** Platform failures, oldest first. */
  outputFailures: HistoryOutputFailureDto[];
}

/** How a webhook's last delivery went. */
export interface WebhookDeliveryDto {
  /** ISO-8601 time of its last attempt. */
  at: string;
  /** HTTP status of the last attempt, or null when no answer came. */
  status: number | null;
  /** Why it failed, or null when delivered. */
  error: string | null;
}

/** A webhook as listed (never its secret). */
export interface WebhookDto {
  /** Webhook id. */
  id: string;
  /** The channel whose events it gets. */
  channelId: string;
  /** Where events are POSTed. */
  url: string;
  /** Which events. */
  events: WebhookEventName[];
  /** ISO-8601 creation time. */
  createdAt: string;
  /** The last delivery, or null before any. */
  lastDelivery: WebhookDeliveryDto | null;
}

/** Body of `POST /api/webhooks`. */
export interface WebhookInput {
  /** The channel. */
  channelId: string;
  /** `http://` or `https://` URL. */
  url: string;
  /** One or more events. */
  events: WebhookEventName[];
  /** The HMAC key (16..256 characters); generated when absent. */
  secret?: string;
}

/** Answer of `POST /api/webhooks`: the only time the secret is shown. */
export interface CreatedWebhookDto extends WebhookDto {
  /** Key of `X-Restream-Signature: sha256=<hex HMAC-SHA256 of the raw body>`. */
  secret: string;
}

/** The JSON a webhook receives (signed in `X-Restream-Signature`). */
export interface WebhookPayloadDto {
  /** What happened. */
  event: WebhookEventName;
  /** The channel. */
  channelId: string;
  /** ISO-8601 time. */
  at: string;
  /** Why the source changed (all but `destination-failed`). */
  reason?: string;
  /** `destination-failed` only: which platform, and why. */
  destination?: { id: string; name: string; error: string };
}

/** One recorded broadcast (`GET /api/recordings`). */
export interface RecordingDto {
  /** Recording id. */
  id: string;
  /** The channel it recorded. */
  channelId: string;
  /** ISO-8601 time it started (the broadcast went on air). */
  startedAt: string;
  /** ISO-8601 time it ended, or null while recording. */
  endedAt: string | null;
  /** Its length so far, in milliseconds. */
  durationMs: number;
  /** Its file size so far. */
  bytes: number;
  /**
   * `recording`; `paused` while the disk is below its free-space floor; `done`; `interrupted` (the
   * server died during it; the file plays up to the cut); `failed`.
   */
  state: RecordingState;
}

/**
 * A publish or unpublish notification from an external RTMP server (SRS or nginx-rtmp `on_publish`),
 * as the server acts on it.
 */
export interface PublishNotification {
  /** The application name the publisher used. */
  app: string;
  /** The stream name (the key the streamer published with), without a query string. */
  stream: string;
  /** The URL the publisher connected to on the external server, if given. */
  tcUrl: string | undefined;
  /** The publisher's address. */
  clientIp: string | undefined;
}

/** Options of `ApiBackend.events.subscribe`. */
export interface EventSubscription {
  /** Only this channel's events (and the shared slate's jobs). */
  channelId?: string;
  /** The SSE client's `Last-Event-ID`: kept events after it are sent first. */
  lastEventId?: number;
  /** Called when the server stops: end the stream. */
  onEnd?: () => void;
}
