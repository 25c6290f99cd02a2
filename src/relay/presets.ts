/**
 * Platform presets: the ingest URLs, accepted video codecs and encoder advice of the platforms people
 * restream to, so that adding one needs only its stream key. Figures are each platform's published
 * guidance for a live encoder (OBS); they are advice shown to the user, except `videoCodecs`, which
 * gates the output (a platform that is sent a codec it does not take shows a black screen or drops the
 * connection, so the output reports `incompatible` instead).
 */
import type { AudioCodec } from '../media/audio-tag.js';
import type { VideoCodec } from '../media/video-tag.js';
import { audioCodecLabels, audioCodecNames, videoCodecLabels, videoCodecNames } from '../contract/index.js';

/** Preset ids, as stored on a destination. */
export const presetIds = ['twitch', 'youtube', 'youtube-backup', 'facebook', 'kick', 'custom'] as const;

/** A preset id. */
export type PresetId = (typeof presetIds)[number];

/** One ingest URL a platform offers. */
export interface PresetUrl {
  /** What it is, e.g. `'RTMPS'`, `'Primary (RTMPS)'`. */
  label: string;
  /** The server URL (the stream key is appended to it). */
  url: string;
}

/** A platform preset. */
export interface PlatformPreset {
  /** Stable id, stored on destinations made from it. */
  id: PresetId;
  /** Display name; a platform made from the preset is named after it unless given a name. */
  name: string;
  /** Ingest URLs, the recommended one first (used when a platform is created without `url`). */
  urls: readonly PresetUrl[];
  /** Video codecs the platform accepts over RTMP (`custom`: every one; its outputs are never gated). */
  videoCodecs: readonly VideoCodec[];
  /** Audio codecs it accepts over RTMP; gated like the video codecs. */
  audioCodecs: readonly AudioCodec[];
  /** Keyframe interval the platform asks for, in seconds (null: no advice). */
  keyframeIntervalSeconds: number | null;
  /** Highest video bitrate the platform recommends, in kbit/s (null: no advice). */
  maxBitrateKbps: number | null;
  /** Advice for a person. */
  notes: string;
}

/** Every codec the ingest can carry (what `custom` accepts). */
const anyCodec: readonly VideoCodec[] = videoCodecNames;

const youtubeCodecs: readonly VideoCodec[] = ['avc', 'hevc', 'av1'];
/** Every audio codec the ingest can carry (what `custom` accepts). */
const anyAudioCodec: readonly AudioCodec[] = audioCodecNames;
/**
 * Twitch, Facebook and Kick take AAC only (RTMP-NOTES.md); YouTube's RTMP ingest takes AAC or MP3
 * (its live encoder settings), not the E-RTMP Opus/FLAC/AC-3 an encoder may send.
 */
const aacOnly: readonly AudioCodec[] = ['aac'];
const youtubeAudioCodecs: readonly AudioCodec[] = ['aac', 'mp3'];

/** The presets, in the order a person picks from. */
export const platformPresets: readonly PlatformPreset[] = Object.freeze([
  {
    id: 'twitch',
    name: 'Twitch',
    urls: [
      { label: 'RTMPS', url: 'rtmps://ingest.global-contribute.live-video.net/app' },
      { label: 'RTMP', url: 'rtmp://ingest.global-contribute.live-video.net/app' },
    ],
    videoCodecs: ['avc'],
    audioCodecs: aacOnly,
    keyframeIntervalSeconds: 2,
    maxBitrateKbps: 6000,
    notes:
      'H.264 only over RTMP (HEVC/AV1 need Enhanced Broadcasting from OBS itself). Keyframe interval 2 s, ' +
      'CBR up to 6000 kbps. The global ingest picks the nearest server; RTMPS is recommended.',
  },
  {
    id: 'youtube',
    name: 'YouTube',
    urls: [{ label: 'Primary (RTMPS)', url: 'rtmps://a.rtmps.youtube.com:443/live2' }],
    videoCodecs: youtubeCodecs,
    audioCodecs: youtubeAudioCodecs,
    keyframeIntervalSeconds: 2,
    maxBitrateKbps: 51000,
    notes:
      'H.264, HEVC or AV1. Keyframe interval 2 s (4 s at most). Bitrate by resolution: about 12 Mbps at ' +
      '1080p60, up to 51 Mbps at 2160p60. For redundancy, also add "YouTube (backup ingest)" with the ' +
      'same stream key.',
  },
  {
    id: 'youtube-backup',
    name: 'YouTube (backup ingest)',
    urls: [{ label: 'Backup (RTMPS)', url: 'rtmps://b.rtmps.youtube.com:443/live2?backup=1' }],
    videoCodecs: youtubeCodecs,
    audioCodecs: youtubeAudioCodecs,
    keyframeIntervalSeconds: 2,
    maxBitrateKbps: 51000,
    notes:
      "YouTube's backup ingest, as a second platform next to the primary with the same stream key: " +
      'YouTube switches to it by itself if the primary connection fails.',
  },
  {
    id: 'facebook',
    name: 'Facebook',
    urls: [{ label: 'RTMPS', url: 'rtmps://live-api-s.facebook.com:443/rtmp/' }],
    videoCodecs: ['avc'],
    audioCodecs: aacOnly,
    keyframeIntervalSeconds: 2,
    maxBitrateKbps: 9000,
    notes: 'RTMPS only, H.264 + AAC 48 kHz. Keyframe interval 2 s; up to 9000 kbps at 1080p.',
  },
  {
    id: 'kick',
    name: 'Kick',
    urls: [{ label: 'RTMPS', url: 'rtmps://fa723fc1b171.global-contribute.live-video.net/app' }],
    videoCodecs: ['avc'],
    audioCodecs: aacOnly,
    keyframeIntervalSeconds: 2,
    maxBitrateKbps: 8000,
    notes:
      'H.264 only. Keyframe interval 2 s, up to 8000 kbps. Kick shows the server URL with the stream key ' +
      '(Settings, Stream URL & Key): if yours differs from this one, give it as the url.',
  },
  {
    id: 'custom',
    name: 'Custom RTMP/RTMPS',
    urls: [],
    videoCodecs: anyCodec,
    audioCodecs: anyAudioCodec,
    keyframeIntervalSeconds: null,
    maxBitrateKbps: null,
    notes: 'Any rtmp:// or rtmps:// server (another restream, a media server, a CDN); any codec is sent.',
  },
] satisfies PlatformPreset[]);

/** The preset with this id, or undefined. */
export function findPreset(id: string): PlatformPreset | undefined {
  return platformPresets.find((preset) => preset.id === id);
}

/**
 * The video codecs a destination made from `presetId` accepts: undefined (anything goes) for no preset,
 * `custom`, or an id this version does not know (a newer database), so gating never blocks by mistake.
 */
export function acceptedCodecs(presetId: string | null | undefined): readonly VideoCodec[] | undefined {
  if (presetId === null || presetId === undefined || presetId === 'custom') return undefined;
  return findPreset(presetId)?.videoCodecs;
}

/**
 * The audio codecs a destination made from `presetId` accepts; undefined (anything goes) as for video.
 */
export function acceptedAudioCodecs(presetId: string | null | undefined): readonly AudioCodec[] | undefined {
  if (presetId === null || presetId === undefined || presetId === 'custom') return undefined;
  return findPreset(presetId)?.audioCodecs;
}

/**
 * Why `destination` cannot take audio in `codec`, in words ("Twitch accepts AAC only; the stream's audio
 * is Opus"), or undefined when it can (or `accepts` is undefined).
 */
export function audioCodecRefusal(
  destination: string,
  accepts: readonly AudioCodec[] | undefined,
  codec: AudioCodec,
): string | undefined {
  if (accepts === undefined || accepts.includes(codec)) return undefined;
  const labels = accepts.map((c) => audioCodecLabels[c]);
  const list =
    labels.length <= 1
      ? (labels[0] ?? 'no audio')
      : `${labels.slice(0, -1).join(', ')} or ${labels.at(-1) ?? ''}`;
  return `${destination} accepts ${list} audio only; the stream's audio is ${audioCodecLabels[codec]}`;
}

/** How a person calls a codec: `'H.264'`, `'HEVC'`… */
export function codecLabel(codec: VideoCodec): string {
  return videoCodecLabels[codec];
}

/**
 * Why `destination` cannot take `codec`, in words ("Twitch accepts H.264 only; the stream is HEVC"), or
 * undefined when it can (or when `accepts` is undefined: no restriction).
 */
export function codecRefusal(
  destination: string,
  accepts: readonly VideoCodec[] | undefined,
  codec: VideoCodec,
): string | undefined {
  if (accepts === undefined || accepts.includes(codec)) return undefined;
  const labels = accepts.map(codecLabel);
  const list =
    labels.length <= 1
      ? (labels[0] ?? 'no video')
      : `${labels.slice(0, -1).join(', ')} or ${labels.at(-1) ?? ''}`;
  return `${destination} accepts ${list} only; the stream is ${codecLabel(codec)}`;
}
