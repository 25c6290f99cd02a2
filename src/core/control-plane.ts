import { RestreamError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import {
  defaultContinuitySettings,
  type ContinuitySettings,
  type ManualAction,
  type Mode,
  type SwitchReason,
} from '../channel/continuity.js';
import type { RenditionParams } from '../fallback/params.js';
import type { VideoCodec } from '../media/video-tag.js';
import { findPreset, platformPresets, presetIds } from '../relay/presets.js';
import {
  defaultChannel,
  type ApiToken,
  type Channel,
  type Destination,
  type NewDestination,
  type Store,
  type HistorySession,
  type NewWebhook,
  type Webhook,
  type WebhookWithSecret,
} from '../store/index.js';
import type { EventHub, SequencedEvent, Subscription } from './event-hub.js';
import type { Metrics } from './metrics.js';
import { checkWebhookUrl } from './webhooks.js';
import {
  channelIdPattern,
  settingsProblem,
  slugOf,
  uniqueId,
  uniqueName,
  type SettingsPatch,
} from './channel-input.js';

/** State of one destination's output (`incompatible`: the platform refuses the live video codec). */
export type OutputState =
  'idle' | 'connecting' | 'live' | 'retrying' | 'failed' | 'disabled' | 'incompatible';

/** What the engine knows about a channel's live input. */
export interface InputStatus {
  /** Video codec (`'h264'`, `'hevc'`, `'av1'`…), null until the sequence header arrives. */
  codec: string | null;
  /** Video width in pixels, null until known. */
  width: number | null;
  /** Video height in pixels, null until known. */
  height: number | null;
  /** Frames per second, null until known. */
  fps: number | null;
  /** Measured input bitrate. */
  bitrateKbps: number;
  /** Audio codec (`'aac'`…), null until known. */
  audioCodec: string | null;
  /** Audio sample rate in Hz, null until known. */
  sampleRate: number | null;
  /** Audio channel count, null until known. */
  channels: number | null;
  /** ISO-8601 time the current publish started. */
  since: string;
}

/** What the engine knows about one destination's output. */
export interface OutputStatus {
  /** The destination's store id. */
  id: string;
  /** Connection state. */
  state: OutputState;
  /** Measured output bitrate. */
  bitrateKbps: number;
  /** Bytes sent during this broadcast. */
  bytes: number;
  /** Reconnects so far. */
  reconnects: number;
  /** Frames dropped because the destination fell behind. */
  droppedFrames: number;
  /** Why the last connection failed, if it did. */
  lastError: string | null;
  /** ISO-8601 time the current connection went live, or null. */
  connectedSince: string | null;
}

/** A channel's live state as the engine reports it. */
export interface ChannelLiveStatus {
  /** True while the program is being sent (live input or fallback). */
  onAir: boolean;
  /** The source platforms are getting now, or null when off air. */
  source: 'live' | 'fallback' | null;
  /** The source the channel wants (it takes the air at its next keyframe). */
  mode: Mode;
  /** Why the mode last changed, or null before any change. */
  reason: SwitchReason | null;
  /** ISO-8601 time of the last mode change, or null before any change. */
  since: string | null;
  /** ISO-8601 time the fallback ends the broadcast by itself, or null. */
  fallbackEndsAt: string | null;
  /** What the fallback plays (a conformed upload or the slate), null while no fallback plays. */
  fallbackKind: 'upload' | 'slate' | null;
  /** The live input, or null when nobody is publishing. */
  input: InputStatus | null;
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
}

/** A channel as the API shows it. */
export interface ChannelView {
  id: string;
  name: string;
  ingestUrl: string;
  streamKey: string;
  previewKey?: string;
  platformCount: number;
  /** The continuity settings it runs with. */
  settings: ContinuitySettings;
}

/** A channel with its platforms. */
export interface ChannelDetailView extends ChannelView {
  platforms: Destination[];
}

/** A platform preset as the API shows it. */
export interface PresetView {
  id: string;
  name: string;
  urls: { label: string; url: string }[];
  videoCodecs: VideoCodec[];
  keyframeIntervalSeconds: number | null;
  maxBitrateKbps: number | null;
  notes: string;
}

/** Fields of a new platform: with a preset only the stream key is needed. */
export interface PlatformInputView {
  name?: string;
  url?: string;
  streamKey: string;
  enabled?: boolean;
  channelId?: string;
  preset?: string;
}

/** One destination's status as the API shows it. */
export interface OutputStatusView extends OutputStatus {
  name: string;
}

/** A fallback job as the API shows it. */
export interface FallbackJobView {
  id: string;
  channelId: string;
  key: string;
  state: FallbackJob['state'];
  percent: number;
  error: string | null;
  startedAt: string;
  finishedAt: string | null;
}

/** One channel's status as the API shows it. */
export interface ChannelStatusView {
  id: string;
  name: string;
  onAir: boolean;
  source: ChannelLiveStatus['source'];
  mode: Mode;
  reason: SwitchReason | null;
  since: string | null;
  fallbackEndsAt: string | null;
  fallbackKind: ChannelLiveStatus['fallbackKind'];
  input: InputStatus | null;
  outputs: OutputStatusView[];
  fallbackJobs: FallbackJobView[];
}

/** A channel's fallback as the API shows it. */
export interface ChannelFallbackView {
  info: {
    original: { name: string; sizeBytes: number; uploadedAt: string } | null;
    renditions: { key: string; sizeBytes: number }[];
  };
  jobs: FallbackJobView[];
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
  /** Wall clock in ms, for which finished jobs status still shows (tests inject a fake). */
  now?: () => number;
  /** Live events for `GET /api/events` (absent: the stream carries nothing). */
  events?: Pick<EventHub, 'subscribe'>;
  /** Prometheus metrics (absent: an empty exposition). */
  metrics?: Pick<Metrics, 'render'>;
}

/** Error codes of the control plane (the API maps them to HTTP status). */
export type ControlPlaneErrorCode = 'VALIDATION' | 'NOT_FOUND' | 'CONFLICT';

/** A rejected input, naming the field at fault. */
export class ControlPlaneError extends RestreamError<ControlPlaneErrorCode> {
  /** The input field at fault. */
  readonly field: string;

  constructor(code: ControlPlaneErrorCode, message: string, field: string) {
    super(code, message);
    this.name = 'ControlPlaneError';
    this.field = field;
  }
}

const defaultSessionTtlMs = 7 * 24 * 3600 * 1000;

/** How long `/api/status` keeps showing a finished (done or failed) fallback job. */
const finishedJobsShownMs = 10 * 60_000;

/** A job with the API's nulls for absent values; copied field by field so nothing else leaks. */
function jobView(job: FallbackJob): FallbackJobView {
  return {
    id: job.id,
    channelId: job.channelId,
    key: job.key,
    state: job.state,
    percent: job.percent,
    error: job.error ?? null,
    startedAt: job.startedAt,
    finishedAt: job.finishedAt ?? null,
  };
}

/** Platform URLs: rtmp:// or rtmps:// with a host, as the relay will parse them. */
function checkUrl(url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ControlPlaneError('VALIDATION', 'url is not a valid URL', 'url');
  }
  if (parsed.protocol !== 'rtmp:' && parsed.protocol !== 'rtmps:') {
    throw new ControlPlaneError('VALIDATION', 'url must start with rtmp:// or rtmps://', 'url');
  }
  if (parsed.hostname === '') throw new ControlPlaneError('VALIDATION', 'url must name a host', 'url');
}

/** A preset id the relay knows, or VALIDATION naming `preset` with the ids there are. */
function checkPreset(id: string): NonNullable<ReturnType<typeof findPreset>> {
  const preset = findPreset(id);
  if (!preset) {
    throw new ControlPlaneError('VALIDATION', `preset must be one of ${presetIds.join(', ')}`, 'preset');
  }
  return preset;
}

/** Continuity settings within their ranges, or VALIDATION naming the field (`settings.stallTimeoutMs`). */
function checkSettings(settings: SettingsPatch | undefined): void {
  if (settings === undefined) return;
  const problem = settingsProblem(settings);
  if (problem) throw new ControlPlaneError('VALIDATION', problem.message, problem.field);
}

/**
 * The control plane: configuration changes go to the store, then to the engine at once; status joins
 * the store's destinations with the engine's live outputs. It has the shape of the API's `ApiBackend`
 * (src/api/backend.ts), which src/core may not import; the compiler checks the fit where the two meet
 * (main.ts, and the API's integration test).
 */
export class ControlPlane {
  readonly #store: Store;
  readonly #live: LiveView;
  readonly #rtmpPort: () => number;
  readonly #logger: Logger;
  readonly #sessionTtlMs: number;
  readonly #fallback: FallbackUploads;
  readonly #now: () => number;
  readonly #events: ControlPlaneOptions['events'];
  readonly #metrics: ControlPlaneOptions['metrics'];

  constructor(options: ControlPlaneOptions) {
    this.#store = options.store;
    this.#live = options.live;
    const { rtmpPort } = options;
    this.#rtmpPort = typeof rtmpPort === 'number' ? () => rtmpPort : rtmpPort;
    this.#logger = options.logger;
    this.#sessionTtlMs = options.sessionTtlMs ?? defaultSessionTtlMs;
    this.#fallback = options.fallback;
    this.#now = options.now ?? Date.now;
    this.#events = options.events;
    this.#metrics = options.metrics;
  }

  readonly platforms = {
    list: (channelId?: string): Destination[] => {
      if (channelId !== undefined) this.#store.channels.get(channelId);
      return this.#store.destinations.list(channelId);
    },
    get: (id: string): Destination => this.#store.destinations.get(id),
    create: (input: PlatformInputView): Destination => {
      const preset = input.preset === undefined ? undefined : checkPreset(input.preset);
      const channelId = input.channelId ?? this.#defaultChannelId();
      if (input.name === undefined && !preset) {
        throw new ControlPlaneError('VALIDATION', 'name is required (or give a preset)', 'name');
      }
      // A preset's URL unless one is given (Kick shows each streamer theirs; tests point at a local sink).
      const url = input.url ?? preset?.urls[0]?.url;
      if (url === undefined) {
        const why = preset ? `the ${preset.name} preset has no URL: url is required` : 'url is required';
        throw new ControlPlaneError('VALIDATION', preset ? why : `${why} (or give a preset)`, 'url');
      }
      checkUrl(url);
      const taken = () => this.#store.destinations.list(channelId).map((d) => d.name);
      const fields: NewDestination = {
        channelId,
        name: input.name ?? uniqueName(preset?.name ?? 'Platform', taken()),
        url,
        streamKey: input.streamKey,
      };
      if (input.enabled !== undefined) fields.enabled = input.enabled;
      if (preset) fields.preset = preset.id;
      const created = this.#store.destinations.create(fields);
      this.#destinationsChanged(created.channelId);
      return created;
    },
    update: (
      id: string,
      patch: {
        name?: string;
        url?: string;
        streamKey?: string;
        enabled?: boolean;
        channelId?: string;
        preset?: string | null;
      },
    ): Destination => {
      if (patch.url !== undefined) checkUrl(patch.url);
      if (typeof patch.preset === 'string') checkPreset(patch.preset);
      const { before, after } = this.#store.destinations.update(id, patch);
      this.#destinationsChanged(after.channelId);
      // Moved to another channel: the old one must drop its output too.
      if (before.channelId !== after.channelId) this.#destinationsChanged(before.channelId);
      return after;
    },
    remove: (id: string): void => {
      const removed = this.#store.destinations.remove(id);
      this.#destinationsChanged(removed.channelId);
    },
  };

  readonly channels = {
    list: (ingestHost: string): ChannelView[] => {
      const counts = this.#store.destinations.countByChannel();
      const ingestUrl = `rtmp://${ingestHost}:${this.#rtmpPort()}/live`;
      return this.#store.channels.list().map((channel) => {
        const view: ChannelView = {
          id: channel.id,
          name: channel.name,
          ingestUrl,
          streamKey: channel.ingestKey,
          platformCount: counts.get(channel.id) ?? 0,
          settings: this.#settingsOf(channel),
        };
        if (channel.previewKey !== null) view.previewKey = channel.previewKey;
        return view;
      });
    },
    get: (id: string, ingestHost: string): ChannelDetailView => {
      this.#checkChannel(id, 'id');
      return this.#channelDetail(id, ingestHost);
    },
    create: (
      input: { name: string; id?: string; settings?: SettingsPatch },
      ingestHost: string,
    ): ChannelDetailView => {
      checkSettings(input.settings);
      let id = input.id;
      if (id !== undefined && !channelIdPattern.test(id)) {
        throw new ControlPlaneError('VALIDATION', 'id must be 1 to 32 of a-z, 0-9 and -', 'id');
      }
      id ??= uniqueId(slugOf(input.name), (candidate) => this.#store.channels.find(candidate) !== undefined);
      const fields: Parameters<Store['channels']['create']>[0] = { id, name: input.name };
      if (input.settings) fields.settings = input.settings;
      const created = this.#store.channels.create(fields);
      return this.#channelDetail(created.id, ingestHost);
    },
    update: (
      id: string,
      patch: { name?: string; settings?: SettingsPatch },
      ingestHost: string,
    ): ChannelDetailView => {
      this.#checkChannel(id, 'id');
      checkSettings(patch.settings);
      const fields: Parameters<Store['channels']['update']>[1] = {};
      if (patch.name !== undefined) fields.name = patch.name;
      if (patch.settings) fields.settings = patch.settings;
      this.#store.channels.update(id, fields);
      // Saved first, so the engine reads the new values (and a restart keeps them).
      if (patch.settings) this.#notify('channelSettingsChanged', id);
      return this.#channelDetail(id, ingestHost);
    },
    remove: (id: string): void => {
      this.#checkChannel(id, 'id');
      // One transaction deletes the channel and (by cascade) its platforms, or refuses the last channel.
      this.#store.channels.remove(id);
      // The engine finds the channel gone and ends its broadcast cleanly at every platform.
      this.#notify('channelKeysChanged', id);
      try {
        this.#fallback.remove(id);
      } catch (err) {
        this.#logger.warn({ err, channelId: id }, 'could not remove the fallback files of a deleted channel');
      }
    },
    rotateKey: (id: string): string => {
      const key = this.#store.channels.rotateIngestKey(id);
      this.#notify('channelKeysChanged', id);
      return key;
    },
    action: (id: string, action: ManualAction): { ok: true; mode: Mode; reason: SwitchReason | null } => {
      this.#checkChannel(id, 'id');
      const refused = this.#live.channelAction(id, action);
      if (refused !== undefined) throw new ControlPlaneError('CONFLICT', refused, 'action');
      const status = this.#live.channelStatus(id);
      return { ok: true, mode: status?.mode ?? 'off', reason: status?.reason ?? null };
    },
  };

  readonly fallback = {
    maxUploadBytes: (): number => this.#fallback.maxUploadBytes,
    uploadPath: (): string => this.#fallback.incomingPath(),
    checkChannel: (channelId: string): void => {
      this.#checkChannel(channelId, 'channelId');
    },
    accept: async (channelId: string, tmpFile: string, originalName: string): Promise<FallbackJobView> => {
      this.#checkChannel(channelId, 'channelId');
      const params = this.#live.fallbackParams(channelId);
      return jobView(await this.#fallback.accept(channelId, tmpFile, originalName, params));
    },
    job: (id: string): FallbackJobView => {
      const job = this.#fallback.job(id);
      if (!job) throw new ControlPlaneError('NOT_FOUND', `no fallback job '${id}'`, 'id');
      return jobView(job);
    },
    channel: (channelId: string): ChannelFallbackView => {
      this.#checkChannel(channelId, 'id');
      const info = this.#fallback.info(channelId);
      const original = info.original;
      return {
        info: {
          original: original
            ? { name: original.name, sizeBytes: original.sizeBytes, uploadedAt: original.uploadedAt }
            : null,
          renditions: info.renditions.map((r) => ({ key: r.key, sizeBytes: r.sizeBytes })),
        },
        jobs: this.#fallback.jobs(channelId).map(jobView),
      };
    },
    remove: (channelId: string): void => {
      this.#checkChannel(channelId, 'id');
      this.#fallback.remove(channelId);
    },
  };

  readonly auth = {
    verifyPassword: (password: string): Promise<boolean> => this.#store.auth.verifyAdminPassword(password),
    createSession: (): { id: string; maxAgeSeconds: number } => ({
      id: this.#store.auth.createSession(this.#sessionTtlMs),
      maxAgeSeconds: Math.floor(this.#sessionTtlMs / 1000),
    }),
    checkSession: (id: string): boolean => this.#store.auth.checkSession(id),
    endSession: (id: string): void => {
      this.#store.auth.endSession(id);
    },
    changePassword: async (newPassword: string, keepSessionId: string | undefined): Promise<void> => {
      const ended = await this.#store.auth.changeAdminPassword(newPassword, keepSessionId);
      this.#logger.info({ endedSessions: ended }, 'admin password changed; other sessions ended');
    },
    createToken: (name: string): { id: string; name: string; token: string } => {
      const created = this.#store.auth.createToken(name);
      return { id: created.id, name: created.name, token: created.token };
    },
    listTokens: (): ApiToken[] => this.#store.auth.listTokens(),
    revokeToken: (id: string): void => {
      this.#store.auth.revokeToken(id);
    },
    checkToken: (token: string): boolean => this.#store.auth.checkToken(token),
  };

  /** Live events: state changes and stats ticks, for the SSE stream. */
  readonly events = {
    subscribe: (listener: (event: SequencedEvent) => void, options: Subscription): (() => void) =>
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
      if (query.channelId !== undefined) this.#checkChannel(query.channelId, 'channelId');
      return this.#store.history.list(query);
    },
  };

  /** Outgoing webhooks. */
  readonly webhooks = {
    list: (channelId?: string): Webhook[] => {
      if (channelId !== undefined) this.#checkChannel(channelId, 'channelId');
      return this.#store.webhooks.list(channelId);
    },
    get: (id: string): Webhook => this.#store.webhooks.get(id),
    create: (input: NewWebhook): WebhookWithSecret => {
      checkWebhookUrl(input.url);
      this.#checkChannel(input.channelId, 'channelId');
      return this.#store.webhooks.create(input);
    },
    remove: (id: string): void => {
      this.#store.webhooks.remove(id);
    },
  };

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
    return {
      channels: this.#store.channels.list().map((channel) => this.#channelStatus(channel.id, channel.name)),
    };
  }

  #channelStatus(id: string, name: string): ChannelStatusView {
    const live = this.#live.channelStatus(id);
    const outputs = new Map(live?.outputs.map((output) => [output.id, output]));
    const input = live?.input ?? null;
    const now = this.#now();
    const fallbackJobs = this.#fallback
      .jobs(id)
      .filter(
        (job) =>
          job.state === 'queued' ||
          job.state === 'running' ||
          job.finishedAt === undefined ||
          now - Date.parse(job.finishedAt) <= finishedJobsShownMs,
      )
      .map(jobView);
    return {
      id,
      name,
      onAir: live?.onAir ?? false,
      source: live?.source ?? null,
      mode: live?.mode ?? 'off',
      reason: live?.reason ?? null,
      since: live?.since ?? null,
      fallbackEndsAt: live?.fallbackEndsAt ?? null,
      fallbackKind: live?.fallbackKind ?? null,
      // Copied field by field: the engine's objects carry more than the API shows.
      input: input && {
        codec: input.codec,
        width: input.width,
        height: input.height,
        fps: input.fps,
        bitrateKbps: input.bitrateKbps,
        audioCodec: input.audioCodec,
        sampleRate: input.sampleRate,
        channels: input.channels,
        since: input.since,
      },
      outputs: this.#store.destinations.list(id).map((destination) => {
        const output = outputs.get(destination.id);
        if (!output) {
          return {
            id: destination.id,
            name: destination.name,
            state: destination.enabled ? 'idle' : 'disabled',
            bitrateKbps: 0,
            bytes: 0,
            reconnects: 0,
            droppedFrames: 0,
            lastError: null,
            connectedSince: null,
          };
        }
        return {
          id: destination.id,
          name: destination.name,
          state: output.state,
          bitrateKbps: output.bitrateKbps,
          bytes: output.bytes,
          reconnects: output.reconnects,
          droppedFrames: output.droppedFrames,
          lastError: output.lastError,
          connectedSince: output.connectedSince,
        };
      }),
      fallbackJobs,
    };
  }

  /** NOT_FOUND naming `field` (the path's `id`, or a body's `channelId`) for an unknown channel. */
  #checkChannel(id: string, field: string): void {
    if (!this.#store.channels.find(id)) throw new ControlPlaneError('NOT_FOUND', `no channel '${id}'`, field);
  }

  /** Platforms without a channelId go to `main`, or, once it is deleted, to the oldest channel. */
  #defaultChannelId(): string {
    if (this.#store.channels.find(defaultChannel.id)) return defaultChannel.id;
    return this.#store.channels.list()[0]?.id ?? defaultChannel.id;
  }

  /** What a channel runs with: the engine's answer, else its stored settings over the defaults. */
  #settingsOf(channel: Channel): ContinuitySettings {
    return (
      this.#live.continuitySettings?.(channel.id) ?? { ...defaultContinuitySettings, ...channel.settings }
    );
  }

  #channelDetail(id: string, ingestHost: string): ChannelDetailView {
    const view = this.channels.list(ingestHost).find((channel) => channel.id === id);
    if (!view) throw new ControlPlaneError('NOT_FOUND', `no channel '${id}'`, 'id');
    return { ...view, platforms: this.#store.destinations.list(id) };
  }

  #destinationsChanged(channelId: string): void {
    this.#notify('destinationsChanged', channelId);
  }

  /** The store has the change already; an engine failure to apply it is logged, not thrown at the API. */
  #notify(
    event: 'destinationsChanged' | 'channelKeysChanged' | 'channelSettingsChanged',
    channelId: string,
  ): void {
    try {
      this.#live[event]?.(channelId);
    } catch (err) {
      this.#logger.error({ err, channelId }, `engine failed to apply ${event}`);
    }
  }
}
