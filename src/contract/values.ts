/**
 * The closed sets of names the server, the store, the API and the dashboard share: each list is the one
 * declaration its union derives from. Values only, no imports, so anything (web/ included) may use it.
 */

/**
 * State of one destination's output. `incompatible`: the platform does not accept the live video
 * codec, so nothing is sent to it (`lastError` says why) until the codec changes.
 */
export const outputStates = [
  'idle',
  'connecting',
  'live',
  'retrying',
  'failed',
  'disabled',
  'incompatible',
] as const;
/** One of {@link outputStates}. */
export type OutputState = (typeof outputStates)[number];

/** Why a channel's wanted source (its mode) last changed. */
export const switchReasons = [
  'publisher-started',
  'publisher-dropped',
  'publisher-stalled',
  'low-bitrate',
  'clean-stop',
  'publisher-returned',
  'manual',
  'fallback-timeout',
  'key-rotated',
] as const;
/** One of {@link switchReasons}. */
export type SwitchReason = (typeof switchReasons)[number];

/** What a deliberate stop from OBS (FCUnpublish / deleteStream) leads to. */
export const cleanStopActions = ['fallback-then-end', 'end', 'fallback'] as const;
/** One of {@link cleanStopActions}. */
export type CleanStopAction = (typeof cleanStopActions)[number];

/** The source a channel wants on air: OBS (`live`), the fallback video, or nothing (`off`). */
export const channelModes = ['off', 'live', 'fallback'] as const;
/** One of {@link channelModes}. */
export type ChannelMode = (typeof channelModes)[number];

/** The sources that can have the air (a channel mode other than `off`). */
export const sourceNames = ['live', 'fallback'] as const;
/** One of {@link sourceNames}. */
export type SourceName = (typeof sourceNames)[number];

/** Manual actions (dashboard buttons, `POST /api/channels/:id/actions`). */
export const channelActions = ['fallback', 'live', 'end'] as const;
/** One of {@link channelActions}. */
export type ChannelAction = (typeof channelActions)[number];

/** State of a fallback conform job. */
export const fallbackJobStates = ['queued', 'running', 'done', 'failed'] as const;
/** One of {@link fallbackJobStates}. */
export type FallbackJobState = (typeof fallbackJobStates)[number];

/** What a fallback plays or a conform job makes: a rendition of the channel's upload, or the slate. */
export const fallbackKinds = ['upload', 'slate'] as const;
/** One of {@link fallbackKinds}. */
export type FallbackKind = (typeof fallbackKinds)[number];

/** Video codecs as the engine names them (`avc` is H.264). */
export const videoCodecNames = ['avc', 'hevc', 'av1', 'vp9', 'vp8', 'other'] as const;
/** One of {@link videoCodecNames}. */
export type VideoCodecName = (typeof videoCodecNames)[number];

/** Audio codecs as the engine names them (legacy SoundFormat or Enhanced RTMP FourCC). */
export const audioCodecNames = ['aac', 'mp3', 'opus', 'flac', 'ac3', 'eac3', 'other'] as const;
/** One of {@link audioCodecNames}. */
export type AudioCodecName = (typeof audioCodecNames)[number];

/** How a person calls each video codec, in the server's messages and on the dashboard. */
export const videoCodecLabels: Readonly<Record<VideoCodecName, string>> = {
  avc: 'H.264',
  hevc: 'HEVC',
  av1: 'AV1',
  vp9: 'VP9',
  vp8: 'VP8',
  other: 'an unknown codec',
};

/** How a person calls each audio codec, in the server's messages and on the dashboard. */
export const audioCodecLabels: Readonly<Record<AudioCodecName, string>> = {
  aac: 'AAC',
  mp3: 'MP3',
  opus: 'Opus',
  flac: 'FLAC',
  ac3: 'AC-3',
  eac3: 'E-AC-3',
  other: 'an unknown codec',
};

/**
 * Video codecs a fallback rendition can be made in (Debian's ffmpeg has libx264, libx265, libsvtav1),
 * spelt as ffmpeg spells them: the first segment of a rendition key (`h264-1280x720-…`), which the API
 * shows. The live stream's `avc` ({@link videoCodecNames}) is made as `h264`.
 */
export const renditionCodecs = ['h264', 'hevc', 'av1'] as const;
/** One of {@link renditionCodecs}. */
export type RenditionCodec = (typeof renditionCodecs)[number];

/** Profile families a rendition is encoded in: H.264 baseline/main/high, HEVC main/main10, AV1 main. */
export const renditionProfiles = ['baseline', 'main', 'high', 'main10'] as const;
/** One of {@link renditionProfiles}. */
export type RenditionProfile = (typeof renditionProfiles)[number];

/** What a webhook can be told about. */
export const webhookEventNames = [
  'went-live',
  'fallback',
  'back-to-live',
  'ended',
  'destination-failed',
] as const;
/** One of {@link webhookEventNames}. */
export type WebhookEventName = (typeof webhookEventNames)[number];

/** What a `channel` event reports: on air, a change of wanted source, off air, or a source taking the air. */
export const channelEventKinds = ['on-air', 'mode', 'off-air', 'switched'] as const;
/** One of {@link channelEventKinds}. */
export type ChannelEventKind = (typeof channelEventKinds)[number];

/**
 * What an API token may do: `read` sees status, events, metrics and history; `admin` may do everything.
 */
export const tokenScopes = ['read', 'admin'] as const;
/** One of {@link tokenScopes}. */
export type TokenScope = (typeof tokenScopes)[number];

/**
 * Where a recording stands: `recording` while written; `paused` while the disk is below its
 * free-space floor; `done` when the broadcast ended; `interrupted` when the server died during it (the
 * file plays up to the cut); `failed` when the recorder itself failed.
 */
export const recordingStates = ['recording', 'paused', 'done', 'interrupted', 'failed'] as const;
/** One of {@link recordingStates}. */
export type RecordingState = (typeof recordingStates)[number];

/**
 * Why a reader of the program as FLV (a preview viewer, the recorder) stopped: it went away
 * (`closed`), the broadcast ended (`program-ended`), or it stopped reading and was dropped (`stalled`).
 */
export const programViewerEnds = ['closed', 'program-ended', 'stalled'] as const;
/** One of {@link programViewerEnds}. */
export type ProgramViewerEnd = (typeof programViewerEnds)[number];
