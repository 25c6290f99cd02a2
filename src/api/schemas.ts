/**
 * JSON schemas of the routes. Request schemas validate (Fastify's ajv); response schemas also serialise,
 * and act as an allow-list: a field not named here (a whole stream key, say) cannot reach a response.
 */

import { channelActions, settingLimits, tokenScopes, type LimitedSetting } from '../contract/index.js';

const id = { type: 'string', minLength: 1, maxLength: 64 } as const;
const isoTime = { type: 'string' } as const;
const nullableString = { type: ['string', 'null'] } as const;
const nullableNumber = { type: ['number', 'null'] } as const;

const platformFields = {
  name: { type: 'string', minLength: 1, maxLength: 64, pattern: '\\S' },
  // The host is checked by the control plane, which parses the URL; the scheme is checked here.
  url: { type: 'string', minLength: 1, maxLength: 2048, pattern: '^[rR][tT][mM][pP][sS]?://' },
  streamKey: { type: 'string', minLength: 1, maxLength: 1024, pattern: '^\\S+$' },
  enabled: { type: 'boolean' },
  channelId: id,
} as const;

/** `:id` path parameter. */
export const idParams = {
  type: 'object',
  required: ['id'],
  properties: { id },
} as const;

// Which preset ids exist is the control plane's to check (it answers with the list).
const presetId = { type: 'string', minLength: 1, maxLength: 32 } as const;

/** Body of `POST /api/platforms` (name and url are required without a preset: checked by the backend). */
export const createPlatformBody = {
  type: 'object',
  required: ['streamKey'],
  additionalProperties: false,
  properties: { ...platformFields, preset: presetId },
} as const;

/** Body of `PUT /api/platforms/:id`. */
export const updatePlatformBody = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  properties: { ...platformFields, preset: { ...presetId, type: ['string', 'null'] } },
} as const;

/** Query of `GET /api/platforms`. */
export const platformsQuery = {
  type: 'object',
  properties: { channelId: id },
} as const;

/** One platform in a response. */
export const platformResponse = {
  type: 'object',
  required: ['id', 'channelId', 'name', 'url', 'streamKeyMasked', 'enabled', 'createdAt', 'updatedAt'],
  properties: {
    id: { type: 'string' },
    channelId: { type: 'string' },
    name: { type: 'string' },
    url: { type: 'string' },
    streamKeyMasked: { type: 'string' },
    enabled: { type: 'boolean' },
    createdAt: isoTime,
    updatedAt: isoTime,
    preset: { type: 'string' },
  },
} as const;

/** An integer within one of the contract's settingLimits. */
function limited(setting: LimitedSetting) {
  const { min, max } = settingLimits[setting];
  return { type: 'integer', minimum: min, maximum: max } as const;
}

/**
 * Continuity settings in a request: every field optional, each within its range. Unknown and missing
 * nested fields are left to the control plane (src/control/channel-input.ts, which checks all of this
 * too), whose errors name the whole path (`settings.lowBitrate.windowMs`) where ajv's would not.
 */
const settingsBody = {
  type: 'object',
  properties: {
    stallTimeoutMs: limited('stallTimeoutMs'),
    // One of cleanStopActions: checked by the control plane, whose error names the field.
    cleanStopAction: { type: 'string' },
    cleanStopGraceMs: limited('cleanStopGraceMs'),
    fallbackTimeoutMs: limited('fallbackTimeoutMs'),
    lowBitrate: {
      type: ['object', 'null'],
      properties: {
        thresholdKbps: limited('thresholdKbps'),
        windowMs: limited('windowMs'),
      },
    },
  },
} as const;

/** Continuity settings in a response (all fields). */
const settingsResponse = {
  type: 'object',
  required: ['stallTimeoutMs', 'cleanStopAction', 'cleanStopGraceMs', 'fallbackTimeoutMs', 'lowBitrate'],
  properties: {
    stallTimeoutMs: { type: 'integer' },
    cleanStopAction: { type: 'string' },
    cleanStopGraceMs: { type: 'integer' },
    fallbackTimeoutMs: { type: 'integer' },
    lowBitrate: {
      type: ['object', 'null'],
      properties: { thresholdKbps: { type: 'integer' }, windowMs: { type: 'integer' } },
    },
  },
} as const;

const channelName = { type: 'string', minLength: 1, maxLength: 64, pattern: '\\S' } as const;

/** Body of `POST /api/channels`. */
export const createChannelBody = {
  type: 'object',
  required: ['name'],
  additionalProperties: false,
  properties: {
    name: channelName,
    id: { type: 'string', pattern: '^[a-z0-9-]{1,32}$' },
    settings: settingsBody,
  },
} as const;

/** Body of `PUT /api/channels/:id`. */
export const updateChannelBody = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  properties: { name: channelName, settings: settingsBody },
} as const;

const channelProperties = {
  id: { type: 'string' },
  name: { type: 'string' },
  ingestUrl: { type: 'string' },
  streamKey: { type: 'string' },
  previewKey: { type: 'string' },
  platformCount: { type: 'integer' },
  settings: settingsResponse,
} as const;

/** One channel in `GET /api/channels`. */
export const channelResponse = {
  type: 'object',
  required: ['id', 'name', 'ingestUrl', 'streamKey', 'platformCount', 'settings'],
  properties: channelProperties,
} as const;

/** One channel with its platforms (`GET/POST/PUT /api/channels/:id`). */
export const channelDetailResponse = {
  type: 'object',
  required: ['id', 'name', 'ingestUrl', 'streamKey', 'platformCount', 'settings', 'platforms'],
  properties: { ...channelProperties, platforms: { type: 'array', items: platformResponse } },
} as const;

/** One preset in `GET /api/presets`. */
export const presetResponse = {
  type: 'object',
  required: ['id', 'name', 'urls', 'videoCodecs', 'keyframeIntervalSeconds', 'maxBitrateKbps', 'notes'],
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    urls: {
      type: 'array',
      items: {
        type: 'object',
        required: ['label', 'url'],
        properties: { label: { type: 'string' }, url: { type: 'string' } },
      },
    },
    videoCodecs: { type: 'array', items: { type: 'string' } },
    keyframeIntervalSeconds: nullableNumber,
    maxBitrateKbps: nullableNumber,
    notes: { type: 'string' },
  },
} as const;

/** Answer of rotate-key. */
export const rotatedKeyResponse = {
  type: 'object',
  required: ['id', 'streamKey'],
  properties: { id: { type: 'string' }, streamKey: { type: 'string' } },
} as const;

const inputStatus = {
  type: ['object', 'null'],
  properties: {
    codec: nullableString,
    width: nullableNumber,
    height: nullableNumber,
    fps: nullableNumber,
    bitrateKbps: { type: 'number' },
    audioCodec: nullableString,
    sampleRate: nullableNumber,
    channels: nullableNumber,
    since: isoTime,
  },
} as const;

const outputStatus = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    state: { type: 'string' },
    bitrateKbps: { type: 'number' },
    bytes: { type: 'number' },
    reconnects: { type: 'integer' },
    droppedFrames: { type: 'integer' },
    lastError: nullableString,
    connectedSince: nullableString,
  },
} as const;

/** A fallback conform job in a response. */
export const fallbackJobResponse = {
  type: 'object',
  required: ['id', 'channelId', 'key', 'state', 'percent', 'error', 'startedAt', 'finishedAt'],
  properties: {
    id: { type: 'string' },
    channelId: { type: 'string' },
    key: { type: 'string' },
    state: { type: 'string' },
    percent: { type: 'number' },
    error: nullableString,
    startedAt: isoTime,
    finishedAt: nullableString,
  },
} as const;

/** Answer of `GET /api/status`. */
export const statusResponse = {
  type: 'object',
  properties: {
    channels: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          id: { type: 'string' },
          name: { type: 'string' },
          onAir: { type: 'boolean' },
          source: nullableString,
          mode: { type: 'string' },
          reason: nullableString,
          since: nullableString,
          fallbackEndsAt: nullableString,
          fallbackKind: nullableString,
          input: inputStatus,
          outputs: { type: 'array', items: outputStatus },
          fallbackJobs: { type: 'array', items: fallbackJobResponse },
        },
      },
    },
  },
} as const;

/** Body of `POST /api/channels/:id/actions`. */
export const channelActionBody = {
  type: 'object',
  required: ['action'],
  additionalProperties: false,
  properties: { action: { type: 'string', enum: channelActions } },
} as const;

/** Answer of `POST /api/channels/:id/actions`. */
export const channelActionResponse = {
  type: 'object',
  required: ['ok', 'mode', 'reason'],
  properties: { ok: { type: 'boolean' }, mode: { type: 'string' }, reason: nullableString },
} as const;

/** Query of `POST /api/upload_fallback` (the channel may also be a form field). */
export const uploadFallbackQuery = {
  type: 'object',
  additionalProperties: false,
  properties: { channelId: id },
} as const;

/** Answer of `POST /api/upload_fallback` (202). */
export const uploadFallbackResponse = {
  type: 'object',
  required: ['job'],
  properties: { job: fallbackJobResponse },
} as const;

/** Answer of `GET /api/channels/:id/fallback`. */
export const channelFallbackResponse = {
  type: 'object',
  required: ['info', 'jobs'],
  properties: {
    info: {
      type: 'object',
      required: ['original', 'renditions'],
      properties: {
        original: {
          type: ['object', 'null'],
          properties: { name: { type: 'string' }, sizeBytes: { type: 'number' }, uploadedAt: isoTime },
        },
        renditions: {
          type: 'array',
          items: {
            type: 'object',
            properties: { key: { type: 'string' }, sizeBytes: { type: 'number' } },
          },
        },
      },
    },
    jobs: { type: 'array', items: fallbackJobResponse },
  },
} as const;

/** Body of `POST /api/auth/login`. */
export const loginBody = {
  type: 'object',
  required: ['password'],
  additionalProperties: false,
  properties: { password: { type: 'string', minLength: 1, maxLength: 1024 } },
} as const;

/** Body of `POST /api/tokens`. */
export const createTokenBody = {
  type: 'object',
  required: ['name'],
  additionalProperties: false,
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 64, pattern: '\\S' },
    scope: { type: 'string', enum: [...tokenScopes] },
  },
} as const;

/** One token in `GET /api/tokens`. */
export const tokenResponse = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    prefix: { type: 'string' },
    createdAt: isoTime,
    lastUsedAt: nullableString,
    scope: { type: 'string' },
  },
} as const;

/** Answer of `POST /api/tokens`. */
export const createdTokenResponse = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    scope: { type: 'string' },
    token: { type: 'string' },
  },
} as const;

/** `{ ok: true }`. */
export const okResponse = {
  type: 'object',
  properties: { ok: { type: 'boolean' } },
} as const;
