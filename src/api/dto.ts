/**
 * The JSON shapes of the HTTP API. The dashboard imports these with `import type`, so this file holds
 * types only.
 */

/** State of one destination's output, as the engine reports it. */
export type OutputState = 'idle' | 'connecting' | 'live' | 'retrying' | 'failed' | 'disabled';

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
}

/** Body of `POST /api/platforms`. */
export interface PlatformInput {
  /** 1..64 characters. */
  name: string;
  /** `rtmp://host[:port]/app` or `rtmps://…`. */
  url: string;
  /** The platform's stream key (non-empty, no whitespace). */
  streamKey: string;
  /** Defaults to true. */
  enabled?: boolean;
  /** Defaults to `'main'`. */
  channelId?: string;
}

/** Body of `PUT /api/platforms/:id`: any subset of the fields. */
export type PlatformPatch = Partial<PlatformInput>;

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
}

/** Answer of `POST /api/channels/:id/rotate-key`. */
export interface RotatedKeyDto {
  /** The channel. */
  id: string;
  /** Its new ingest key; the old one no longer works. */
  streamKey: string;
}

/** What OBS is sending, while it is sending. */
export interface InputStatusDto {
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

/** One platform's live output. */
export interface OutputStatusDto {
  /** The platform id. */
  id: string;
  /** The platform name. */
  name: string;
  /** Connection state. */
  state: OutputState;
  /** Measured output bitrate. */
  bitrateKbps: number;
  /** Bytes sent on the current and earlier connections of this broadcast. */
  bytes: number;
  /** Reconnects so far. */
  reconnects: number;
  /** Frames dropped because the platform fell behind. */
  droppedFrames: number;
  /** Why the last connection failed, if it did. */
  lastError: string | null;
  /** ISO-8601 time the current connection went live, or null. */
  connectedSince: string | null;
}

/** The source a channel wants on air: OBS (`live`), the fallback video, or nothing (`off`). */
export type ChannelMode = 'off' | 'live' | 'fallback';

/** Why a channel's mode last changed. */
export type SwitchReason =
  | 'publisher-started'
  | 'publisher-dropped'
  | 'publisher-stalled'
  | 'low-bitrate'
  | 'clean-stop'
  | 'publisher-returned'
  | 'manual'
  | 'fallback-timeout';

/** Manual actions of `POST /api/channels/:id/actions`. */
export type ChannelAction = 'fallback' | 'live' | 'end';

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

/** State of a fallback conform job. */
export type FallbackJobState = 'queued' | 'running' | 'done' | 'failed';

/** A background job conforming an uploaded fallback video to a channel's live parameters. */
export interface FallbackJobDto {
  /** Job id (`GET /api/fallback/jobs/:id`). */
  id: string;
  /** The channel the upload is for. */
  channelId: string;
  /** The rendition it makes, e.g. `'h264-high-1280x720-30fps-48000hz-2ch'`. */
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

/** One channel's live status. */
export interface ChannelStatusDto {
  /** Channel id. */
  id: string;
  /** Channel name. */
  name: string;
  /** True while the channel's program is being sent (live input or fallback). */
  onAir: boolean;
  /** The source platforms are getting now, or null when off air. */
  source: 'live' | 'fallback' | null;
  /** The source the channel wants (it takes the air at its next keyframe). */
  mode: ChannelMode;
  /** Why the mode last changed, or null before any change. */
  reason: SwitchReason | null;
  /** ISO-8601 time of the last mode change, or null. */
  since: string | null;
  /** ISO-8601 time the fallback will end the broadcast by itself, or null. */
  fallbackEndsAt: string | null;
  /** What the fallback plays: the conformed upload or the built-in slate; null while none plays. */
  fallbackKind: 'upload' | 'slate' | null;
  /** The live input, or null when OBS is not publishing. */
  input: InputStatusDto | null;
  /** One entry per platform of the channel. */
  outputs: OutputStatusDto[];
  /** Conform jobs queued or running, and those finished in the last 10 minutes. */
  fallbackJobs: FallbackJobDto[];
}

/** Answer of `GET /api/status`. */
export interface StatusDto {
  /** Every channel. */
  channels: ChannelStatusDto[];
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
}

/** Answer of `POST /api/tokens`: the only time the whole token is shown. */
export interface CreatedTokenDto {
  /** Token id. */
  id: string;
  /** What the admin called it. */
  name: string;
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
