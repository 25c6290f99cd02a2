import type {
  ChannelAction,
  ChannelActionDto,
  ChannelDetailDto,
  ChannelDto,
  ChannelInput,
  ChannelPatch,
  ChannelFallbackDto,
  FallbackJobDto,
  CreatedTokenDto,
  PlatformDto,
  PlatformInput,
  PlatformPatch,
  PresetDto,
  StatusDto,
  TokenDto,
  TokenScope,
  CreatedWebhookDto,
  HistorySessionDto,
  ServerEventDto,
  WebhookDto,
  WebhookInput,
  EventSubscription,
} from '../contract/index.js';

/**
 * What the API needs from the rest of the server, declared here by its user (the control plane in
 * src/control implements it). Methods throw a `RestreamError` whose code is `NOT_FOUND`, `CONFLICT`,
 * `VALIDATION` (or a fallback upload's `NOT_MEDIA`, `NO_VIDEO`, `TRUNCATED`, `TOO_LARGE`) for the
 * caller's mistakes, optionally with a string `field` property naming the input
 * field at fault; anything else is answered as a 500 without details.
 */
export interface ApiBackend {
  /** Platforms (destinations). */
  readonly platforms: {
    /** All platforms, or one channel's (NOT_FOUND for an unknown channel). */
    list(channelId?: string): PlatformDto[];
    /** One platform. */
    get(id: string): PlatformDto;
    /** Adds a platform and applies it to the running channel at once. */
    create(input: PlatformInput): PlatformDto;
    /** Changes some fields and applies them at once. */
    update(id: string, patch: PlatformPatch): PlatformDto;
    /** Removes a platform (its output stops at once). */
    remove(id: string): void;
  };
  /** Channels. */
  readonly channels: {
    /** Every channel with its ingest URL built for `ingestHost` (the host the admin reached us by). */
    list(ingestHost: string): ChannelDto[];
    /** One channel with its platforms (NOT_FOUND, field `id`). */
    get(id: string, ingestHost: string): ChannelDetailDto;
    /**
     * Creates a channel with fresh keys. VALIDATION naming the field (`id`, `settings.stallTimeoutMs`…),
     * CONFLICT (field `id` or `name`) for a taken id or name.
     */
    create(input: ChannelInput, ingestHost: string): ChannelDetailDto;
    /** Renames it and/or changes settings, applied to the live channel at once (errors as `create`). */
    update(id: string, patch: ChannelPatch, ingestHost: string): ChannelDetailDto;
    /**
     * Deletes a channel and its platforms, first ending its broadcast cleanly at every platform if it is
     * on air. NOT_FOUND (field `id`); CONFLICT (field `id`) for the only channel.
     */
    remove(id: string): void;
    /** Replaces a channel's ingest key; returns the new key. */
    rotateKey(id: string): string;
    /**
     * A manual action on a channel; answers its mode after. NOT_FOUND (field `id`) for an unknown
     * channel, CONFLICT (field `action`, message saying why) when it cannot apply now.
     */
    action(id: string, action: ChannelAction): ChannelActionDto;
  };
  /** Fallback videos: uploads, conform jobs, renditions. */
  readonly fallback: {
    /** Largest upload accepted, in bytes. */
    maxUploadBytes(): number;
    /** A fresh, randomly named path to stream an upload to (its directory may not exist yet). */
    uploadPath(): string;
    /** NOT_FOUND (field `channelId`) for an unknown channel, so an upload can be refused early. */
    checkChannel(channelId: string): void;
    /**
     * Checks the upload at `filePath` (which becomes the library's) and starts conforming it.
     * NOT_FOUND (field `channelId`); NOT_MEDIA, NO_VIDEO, TRUNCATED, TOO_LARGE for a refused file,
     * the channel's previous fallback untouched. `originalName` is for display only.
     */
    accept(channelId: string, filePath: string, originalName: string): Promise<FallbackJobDto>;
    /** One conform job (NOT_FOUND, field `id`). */
    job(id: string): FallbackJobDto;
    /** A channel's upload, renditions and jobs (NOT_FOUND, field `id`). */
    channel(channelId: string): ChannelFallbackDto;
    /** Removes a channel's upload and renditions; the slate remains (NOT_FOUND, field `id`). */
    remove(channelId: string): void;
    /** The channel's stored original upload, to stream back (NOT_FOUND, field `id`, when there is none). */
    original(channelId: string): { path: string; name: string; sizeBytes: number };
  };
  /** Live status of every channel. */
  status(): StatusDto;
  /** Platform presets (Twitch, YouTube, …) with their ingest URLs, codecs and advice. */
  presets(): PresetDto[];
  /** Admin password, login sessions and API tokens. */
  readonly auth: {
    /** Checks the admin password (slow on purpose: scrypt). */
    verifyPassword(password: string): Promise<boolean>;
    /** Starts a session; returns the cookie value and its lifetime. */
    createSession(): { id: string; maxAgeSeconds: number };
    /** True for a live session cookie value. */
    checkSession(id: string): boolean;
    /** Ends a session (unknown ids are ignored). */
    endSession(id: string): void;
    /** Sets a new admin password and ends every session but `keepSessionId` (the caller's, if any). */
    changePassword(newPassword: string, keepSessionId: string | undefined): Promise<void>;
    /** Creates an API token with a scope. */
    createToken(name: string, scope: TokenScope): CreatedTokenDto;
    /** Lists tokens, without their secrets. */
    listTokens(): TokenDto[];
    /** Revokes a token (NOT_FOUND when there is none). */
    revokeToken(id: string): void;
    /** The scope of a live bearer token, or undefined for an unknown or revoked one. */
    checkToken(token: string): TokenScope | undefined;
  };
  /** Live events for `GET /api/events`. */
  readonly events: {
    /**
     * Calls `listener` with each event from now on (after replaying kept events newer than
     * `lastEventId`, if given), including a `stats` event per channel each second. `onEnd` is called
     * when the server stops. Returns the unsubscribe function.
     */
    subscribe(listener: (event: ServerEventDto) => void, options: EventSubscription): () => void;
  };
  /** Prometheus metrics for `GET /metrics`. */
  readonly metrics: {
    /** The text exposition and its content type. */
    render(): Promise<{ contentType: string; body: string }>;
  };
  /** Broadcast history. */
  readonly history: {
    /** Broadcasts newest first (NOT_FOUND, field `channelId`, for an unknown channel). */
    list(query: { channelId?: string; limit: number }): HistorySessionDto[];
  };
  /** Outgoing webhooks. */
  readonly webhooks: {
    /** Every webhook, or one channel's (NOT_FOUND, field `channelId`). */
    list(channelId?: string): WebhookDto[];
    /** One webhook (NOT_FOUND, field `id`). */
    get(id: string): WebhookDto;
    /** Adds a webhook; VALIDATION (field `url`), NOT_FOUND (field `channelId`). Answers its secret. */
    create(input: WebhookInput): CreatedWebhookDto;
    /** Removes a webhook (NOT_FOUND, field `id`). */
    remove(id: string): void;
  };
}

/** Options of `ApiBackend.events.subscribe` (declared in the contract with the events). */
export type { EventSubscription } from '../contract/index.js';
