import type {
  ChannelDto,
  CreatedTokenDto,
  PlatformDto,
  PlatformInput,
  PlatformPatch,
  StatusDto,
  TokenDto,
} from './dto.js';

/**
 * What the API needs from the rest of the server, declared here by its user (the control plane in
 * src/core implements it). Methods throw a `RestreamError` whose code is `NOT_FOUND`, `CONFLICT` or
 * `VALIDATION` for the caller's mistakes, optionally with a string `field` property naming the input
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
    /** Replaces a channel's ingest key; returns the new key. */
    rotateKey(id: string): string;
  };
  /** Live status of every channel. */
  status(): StatusDto;
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
    /** Creates an API token. */
    createToken(name: string): CreatedTokenDto;
    /** Lists tokens, without their secrets. */
    listTokens(): TokenDto[];
    /** Revokes a token (NOT_FOUND when there is none). */
    revokeToken(id: string): void;
    /** True for a live bearer token. */
    checkToken(token: string): boolean;
  };
}
