/**
 * Channels and presets through the HTTP API, on the real store (SQLite on disk, real migrations) and the
 * real control plane, with an engine that records what it is told; then the engine's side with real
 * peers: a settings change reaching a live channel, and a channel deleted on air ending its broadcast.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createApi,
  type ApiBackend,
  type ChannelDetailDto,
  type ChannelDto,
  type PlatformDto,
  type PresetDto,
} from '../../src/api/index.js';
import { defaultContinuitySettings } from '../../src/channel/continuity.js';
import type { ContinuitySettings } from '../../src/contract/index.js';
import {
  ControlPlane,
  type LiveChannelStatus,
  type FallbackUploads,
  type LiveView,
} from '../../src/control/control-plane.js';
import { defaultParams, type RenditionParams } from '../../src/fallback/params.js';
import { silentLogger } from '../../src/shared/logger.js';
import { openStore, type Store } from '../../src/store/index.js';
import { publishTestStream } from '../helpers/ffmpeg.js';
import { startNginxRtmp, endedCleanly } from '../helpers/nginx-rtmp.js';
import { waitFor } from '../helpers/process.js';
import { missingPeers } from '../helpers/programs.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/** An engine that records every notification and answers settings as the real one does. */
class RecordingLive implements LiveView {
  readonly calls: string[] = [];
  /** Server-wide defaults, as `ChannelManagerOptions.continuity` gives them. */
  defaults: Partial<ContinuitySettings> = {};

  readonly #store: () => Store;

  constructor(store: () => Store) {
    this.#store = store;
  }

  channelStatus(): LiveChannelStatus | undefined {
    return undefined;
  }

  destinationsChanged(channelId: string): void {
    this.calls.push(`destinations:${channelId}`);
  }

  channelKeysChanged(channelId: string): void {
    this.calls.push(`keys:${channelId}`);
  }

  channelSettingsChanged(channelId: string): void {
    this.calls.push(`settings:${channelId}`);
  }

  continuitySettings(channelId: string): ContinuitySettings {
    const stored = this.#store().channels.find(channelId)?.settings ?? {};
    return { ...defaultContinuitySettings, ...this.defaults, ...stored };
  }

  channelAction(): string | undefined {
    return undefined;
  }

  fallbackParams(): RenditionParams {
    return defaultParams;
  }
}

let dir: string;
let store: Store;
let live: RecordingLive;
let app: FastifyInstance;
let auth: string;
let removedFallbacks: string[];
let backend: ApiBackend;
/** Every response body, to prove no whole platform key was ever in one. */
let bodies: string[];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'restream-channels-api-'));
  store = openStore(dir);
  live = new RecordingLive(() => store);
  removedFallbacks = [];
  const fallback: FallbackUploads = {
    maxUploadBytes: 1024,
    incomingPath: () => join(dir, 'incoming', 'x'),
    accept: () => Promise.reject(new Error('not in this test')),
    jobs: () => [],
    job: () => undefined,
    info: () => ({ renditions: [] }),
    remove: (channelId) => {
      removedFallbacks.push(channelId);
    },
    originalFile: () => undefined,
  };
  backend = new ControlPlane({
    store,
    live,
    rtmpPort: 1935,
    logger: silentLogger,
    fallback,
  });
  app = createApi({ backend, logger: silentLogger });
  auth = store.auth.createToken('test').token;
  bodies = [];
});

afterEach(async () => {
  await app.close();
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

async function call(
  method: 'GET' | 'POST' | 'PUT' | 'DELETE',
  url: string,
  body?: unknown,
): Promise<LightMyRequestResponse> {
  const response = await app.inject({
    method,
    url,
    headers: { authorization: `Bearer ${auth}`, host: 'stream.example.org' },
    ...(body === undefined ? {} : { payload: body as Record<string, unknown> }),
  });
  bodies.push(response.body);
  return response;
}

/** The answer's error body, after checking the status. */
function expectError(response: LightMyRequestResponse, status: number, field: string): { message: string } {
  expect(response.statusCode, response.body).toBe(status);
  const error = response.json<{ error: string; field: string; message: string }>();
  expect(error.field, response.body).toBe(field);
  return error;
}

const builtIn = {
  stallTimeoutMs: 2000,
  cleanStopAction: 'fallback-then-end',
  cleanStopGraceMs: 30_000,
  fallbackTimeoutMs: 600_000,
  lowBitrate: null,
};

describe('channels', () => {
  it('creates a channel with a fresh 128-bit key and an id made from its name, then reads, updates and deletes it', async () => {
    const created = await call('POST', '/api/channels', { name: 'Late Night Show!' });
    expect(created.statusCode).toBe(201);
    const channel = created.json<ChannelDetailDto>();
    expect(channel).toEqual({
      id: 'late-night-show',
      name: 'Late Night Show!',
      ingestUrl: 'rtmp://stream.example.org:1935/live',
      streamKey: expect.stringMatching(/^[0-9a-f]{32}$/) as unknown,
      previewKey: expect.stringMatching(/^[0-9a-f]{32}$/) as unknown,
      platformCount: 0,
      settings: builtIn,
      platforms: [],
    });
    expect(created.headers['location']).toBe('/api/channels/late-night-show');
    expect(channel.streamKey).not.toBe(store.channels.get('main').ingestKey);
    // The new key opens the new channel at once (the ingest asks the store on every publish).
    expect(store.channels.matchKey(channel.streamKey)).toEqual({
      channelId: 'late-night-show',
      role: 'ingest',
    });

    // A second channel with a name that slugs the same gets a numbered id.
    const again = await call('POST', '/api/channels', { name: 'late night show' });
    expect(again.json<ChannelDto>().id).toBe('late-night-show-2');

    expect((await call('GET', '/api/channels/late-night-show')).json()).toEqual(channel);
    const listed = (await call('GET', '/api/channels')).json<ChannelDto[]>();
    expect(listed.map((c) => [c.id, c.settings])).toEqual([
      ['main', builtIn],
      ['late-night-show', builtIn],
      ['late-night-show-2', builtIn],
    ]);

    const renamed = await call('PUT', '/api/channels/late-night-show', { name: 'Late Show' });
    expect(renamed.statusCode).toBe(200);
    expect(renamed.json()).toMatchObject({ id: 'late-night-show', name: 'Late Show', settings: builtIn });
    // A rename is not a settings change: the engine is not bothered.
    expect(live.calls).toEqual([]);

    const deleted = await call('DELETE', '/api/channels/late-night-show');
    expect(deleted.json()).toEqual({ ok: true });
    expect(live.calls).toEqual(['keys:late-night-show']);
    expect(removedFallbacks).toEqual(['late-night-show']);
    expect((await call('GET', '/api/channels/late-night-show')).statusCode).toBe(404);
    expect(store.channels.matchKey(channel.streamKey)).toBeUndefined();
  });

  it('takes an explicit id and settings of its own; the rest follow the server-wide defaults', async () => {
    live.defaults = { cleanStopAction: 'end' };
    const created = await call('POST', '/api/channels', {
      name: 'Studio',
      id: 'studio-1',
      settings: { stallTimeoutMs: 750, lowBitrate: { thresholdKbps: 500, windowMs: 10_000 } },
    });
    expect(created.statusCode).toBe(201);
    expect(created.json<ChannelDto>().settings).toEqual({
      ...builtIn,
      cleanStopAction: 'end',
      stallTimeoutMs: 750,
      lowBitrate: { thresholdKbps: 500, windowMs: 10_000 },
    });
    // Only what was given is stored: a later change of the server's defaults still reaches the rest.
    expect(store.channels.get('studio-1').settings).toEqual({
      stallTimeoutMs: 750,
      lowBitrate: { thresholdKbps: 500, windowMs: 10_000 },
    });
  });

  it('applies a settings change to the live channel at once, keeping the other settings', async () => {
    const updated = await call('PUT', '/api/channels/main', {
      settings: { stallTimeoutMs: 5000, cleanStopAction: 'fallback' },
    });
    expect(updated.statusCode).toBe(200);
    expect(updated.json<ChannelDto>().settings).toEqual({
      ...builtIn,
      stallTimeoutMs: 5000,
      cleanStopAction: 'fallback',
    });
    expect(live.calls).toEqual(['settings:main']);
    const second = await call('PUT', '/api/channels/main', {
      settings: { lowBitrate: { thresholdKbps: 1, windowMs: 1000 } },
    });
    expect(second.json<ChannelDto>().settings).toEqual({
      ...builtIn,
      stallTimeoutMs: 5000,
      cleanStopAction: 'fallback',
      lowBitrate: { thresholdKbps: 1, windowMs: 1000 },
    });
    expect(live.calls).toEqual(['settings:main', 'settings:main']);
    const off = await call('PUT', '/api/channels/main', { settings: { lowBitrate: null } });
    expect(off.json<ChannelDto>().settings.lowBitrate).toBeNull();
  });

  it('answers 400 naming the field for every invalid input, and saves nothing', async () => {
    const createCases: [unknown, string][] = [
      [{}, 'name'],
      [{ name: '' }, 'name'],
      [{ name: '   ' }, 'name'],
      [{ name: 'x'.repeat(65) }, 'name'],
      [{ name: 'A', id: 'Has Caps' }, 'id'],
      [{ name: 'A', id: 'x'.repeat(33) }, 'id'],
      [{ name: 'A', id: '' }, 'id'],
      [{ name: 'A', colour: 'red' }, 'colour'],
      [{ name: 'A', settings: { stallTimeoutMs: 249 } }, 'settings.stallTimeoutMs'],
      [{ name: 'A', settings: { stallTimeoutMs: 60_001 } }, 'settings.stallTimeoutMs'],
      [{ name: 'A', settings: { stallTimeoutMs: 1000.5 } }, 'settings.stallTimeoutMs'],
      [{ name: 'A', settings: { stallTimeoutMs: '1000' } }, 'settings.stallTimeoutMs'],
      [{ name: 'A', settings: { cleanStopGraceMs: -1 } }, 'settings.cleanStopGraceMs'],
      [{ name: 'A', settings: { cleanStopGraceMs: 3_600_001 } }, 'settings.cleanStopGraceMs'],
      [{ name: 'A', settings: { fallbackTimeoutMs: 86_400_001 } }, 'settings.fallbackTimeoutMs'],
      [{ name: 'A', settings: { cleanStopAction: 'explode' } }, 'settings.cleanStopAction'],
      [
        { name: 'A', settings: { lowBitrate: { thresholdKbps: 0, windowMs: 5000 } } },
        'settings.lowBitrate.thresholdKbps',
      ],
      [
        { name: 'A', settings: { lowBitrate: { thresholdKbps: 100_001, windowMs: 5000 } } },
        'settings.lowBitrate.thresholdKbps',
      ],
      [
        { name: 'A', settings: { lowBitrate: { thresholdKbps: 500, windowMs: 999 } } },
        'settings.lowBitrate.windowMs',
      ],
      [
        { name: 'A', settings: { lowBitrate: { thresholdKbps: 500, windowMs: 600_001 } } },
        'settings.lowBitrate.windowMs',
      ],
      [{ name: 'A', settings: { lowBitrate: 'off' } }, 'settings.lowBitrate'],
      [{ name: 'A', settings: { lowBitrate: { thresholdKbps: 500 } } }, 'settings.lowBitrate.windowMs'],
      [
        { name: 'A', settings: { lowBitrate: { thresholdKbps: 500, windowMs: 5000, x: 1 } } },
        'settings.lowBitrate.x',
      ],
      [{ name: 'A', settings: { stalltimeoutms: 1000 } }, 'settings.stalltimeoutms'],
    ];
    for (const [body, field] of createCases) {
      const error = expectError(await call('POST', '/api/channels', body), 400, field);
      expect(error.message, JSON.stringify(body)).toContain(field.split('.').at(-1));
    }
    const updateCases: [unknown, string][] = [
      [{ settings: { stallTimeoutMs: 100 } }, 'settings.stallTimeoutMs'],
      [{ name: '' }, 'name'],
      [{ id: 'other' }, 'id'],
    ];
    for (const [body, field] of updateCases) {
      expectError(await call('PUT', '/api/channels/main', body), 400, field);
    }
    expect((await call('PUT', '/api/channels/main', {})).statusCode).toBe(400);
    expect(store.channels.list().map((c) => [c.id, c.name, c.settings])).toEqual([['main', 'Main', {}]]);
    expect(live.calls).toEqual([]);
  });

  it('checks the same limits in the control plane itself, for callers other than HTTP', () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ stallTimeoutMs: 249 }, 'settings.stallTimeoutMs'],
      [{ cleanStopGraceMs: 1.5 }, 'settings.cleanStopGraceMs'],
      [{ fallbackTimeoutMs: -1 }, 'settings.fallbackTimeoutMs'],
      [{ cleanStopAction: 'explode' }, 'settings.cleanStopAction'],
      [{ lowBitrate: { thresholdKbps: 5, windowMs: 10 } }, 'settings.lowBitrate.windowMs'],
      [{ lowBitrate: { thresholdKbps: 5, windowMs: 1000, extra: 1 } }, 'settings.lowBitrate.extra'],
      [{ lowBitrate: [] }, 'settings.lowBitrate'],
      [{ stalltimeoutms: 1000 }, 'settings.stalltimeoutms'],
    ];
    for (const [settings, field] of cases) {
      expect(() => backend.channels.create({ name: 'A', settings }, 'h'), field).toThrow(
        expect.objectContaining({ code: 'VALIDATION', field }),
      );
      expect(() => backend.channels.update('main', { settings }, 'h'), field).toThrow(
        expect.objectContaining({ code: 'VALIDATION', field }),
      );
    }
    expect(() => backend.channels.create({ name: 'A', id: 'Not A Slug' }, 'h')).toThrow(
      expect.objectContaining({ code: 'VALIDATION', field: 'id' }),
    );
    expect(store.channels.list().map((c) => [c.id, c.settings])).toEqual([['main', {}]]);
    expect(live.calls).toEqual([]);
  });

  it('answers 409 for a taken id or name (case-insensitive) and 404 for an unknown channel', async () => {
    expect((await call('POST', '/api/channels', { name: 'Studio', id: 'studio' })).statusCode).toBe(201);
    expectError(await call('POST', '/api/channels', { name: 'Other', id: 'studio' }), 409, 'id');
    expectError(await call('POST', '/api/channels', { name: 'STUDIO' }), 409, 'name');
    // Renaming onto another channel's name changes nothing, not even the settings sent with it.
    expectError(
      await call('PUT', '/api/channels/studio', { name: 'main', settings: { stallTimeoutMs: 9000 } }),
      409,
      'name',
    );
    expect(store.channels.get('studio')).toMatchObject({ name: 'Studio', settings: {} });

    expectError(await call('GET', '/api/channels/nope'), 404, 'id');
    expectError(await call('PUT', '/api/channels/nope', { name: 'X' }), 404, 'id');
    expectError(await call('DELETE', '/api/channels/nope'), 404, 'id');
    expect(live.calls).toEqual([]);
  });

  it('deletes a channel with its platforms, refuses to delete the only one, and moves the default to the oldest left', async () => {
    await call('POST', '/api/channels', { name: 'Studio' });
    const platform = (
      await call('POST', '/api/platforms', {
        channelId: 'studio',
        preset: 'kick',
        streamKey: 'sk_us-west-2_secretkickkey',
      })
    ).json<PlatformDto>();
    expect(platform.channelId).toBe('studio');

    expect((await call('DELETE', '/api/channels/main')).statusCode).toBe(200);
    expectError(await call('DELETE', '/api/channels/studio'), 409, 'id');
    expect(store.channels.list().map((c) => c.id)).toEqual(['studio']);

    // The seed's platform routes keep working without a channelId: they use the channel that is left.
    const created = await call('POST', '/api/platforms', {
      name: 'Own',
      url: 'rtmp://own.example/live',
      streamKey: 'own-key',
    });
    expect(created.json()).toMatchObject({ channelId: 'studio' });

    await call('POST', '/api/channels', { name: 'Other' });
    expect((await call('DELETE', '/api/channels/studio')).statusCode).toBe(200);
    expect(store.destinations.list()).toEqual([]);
    expect((await call('GET', `/api/platforms/${platform.id}`)).statusCode).toBe(404);
  });
});

describe('presets', () => {
  it('lists every preset with its URLs, codecs and advice', async () => {
    const response = await call('GET', '/api/presets');
    expect(response.statusCode).toBe(200);
    const presets = response.json<PresetDto[]>();
    expect(presets.map((p) => p.id)).toEqual([
      'twitch',
      'youtube',
      'youtube-backup',
      'facebook',
      'kick',
      'custom',
    ]);
    expect(presets[0]).toEqual({
      id: 'twitch',
      name: 'Twitch',
      urls: [
        { label: 'RTMPS', url: 'rtmps://ingest.global-contribute.live-video.net/app' },
        { label: 'RTMP', url: 'rtmp://ingest.global-contribute.live-video.net/app' },
      ],
      videoCodecs: ['avc'],
      keyframeIntervalSeconds: 2,
      maxBitrateKbps: 6000,
      notes: expect.any(String) as unknown,
    });
    expect(presets.find((p) => p.id === 'youtube')?.videoCodecs).toEqual(['avc', 'hevc', 'av1']);
    expect(presets.find((p) => p.id === 'custom')).toMatchObject({ urls: [], keyframeIntervalSeconds: null });
  });

  it('creates a platform from a preset with only the stream key, naming it uniquely, never showing the key', async () => {
    const key = 'live_123456789_VerySecretTwitchKey';
    const first = await call('POST', '/api/platforms', { preset: 'twitch', streamKey: key });
    expect(first.statusCode).toBe(201);
    expect(first.json()).toEqual({
      id: expect.any(String) as unknown,
      channelId: 'main',
      name: 'Twitch',
      url: 'rtmps://ingest.global-contribute.live-video.net/app',
      streamKeyMasked: '****hKey',
      enabled: true,
      preset: 'twitch',
      createdAt: expect.any(String) as unknown,
      updatedAt: expect.any(String) as unknown,
    });
    const second = await call('POST', '/api/platforms', { preset: 'twitch', streamKey: `${key}2` });
    expect(second.json()).toMatchObject({ name: 'Twitch 2', preset: 'twitch' });
    const named = await call('POST', '/api/platforms', {
      preset: 'youtube',
      streamKey: 'yt-key-1',
      name: 'My YouTube',
    });
    expect(named.json()).toMatchObject({ name: 'My YouTube', url: 'rtmps://a.rtmps.youtube.com:443/live2' });
    const backup = await call('POST', '/api/platforms', { preset: 'youtube-backup', streamKey: 'yt-key-1' });
    expect(backup.json()).toMatchObject({
      name: 'YouTube (backup ingest)',
      url: 'rtmps://b.rtmps.youtube.com:443/live2?backup=1',
    });
    // A URL given with a preset overrides the preset's; the codec list stays the preset's.
    const kick = await call('POST', '/api/platforms', {
      preset: 'kick',
      streamKey: 'sk_kick',
      url: 'rtmps://other-ingest.kick.example/app',
    });
    expect(kick.json()).toMatchObject({
      name: 'Kick',
      url: 'rtmps://other-ingest.kick.example/app',
      preset: 'kick',
    });
    expect(store.destinationsForChannel('main').map((d) => d.preset)).toEqual([
      'twitch',
      'twitch',
      'youtube',
      'youtube-backup',
      'kick',
    ]);

    // The seed's way (name + url, no preset) still works and has no preset.
    const plain = await call('POST', '/api/platforms', {
      name: 'Own',
      url: 'rtmp://own.example/live',
      streamKey: 'k',
    });
    expect(plain.statusCode).toBe(201);
    expect('preset' in plain.json<object>()).toBe(false);

    // Clearing or changing a preset by PUT; an unknown one is refused.
    const id = first.json<PlatformDto>().id;
    expect((await call('PUT', `/api/platforms/${id}`, { preset: null })).json()).not.toHaveProperty('preset');
    expect((await call('PUT', `/api/platforms/${id}`, { preset: 'youtube' })).json()).toMatchObject({
      preset: 'youtube',
    });
    expectError(await call('PUT', `/api/platforms/${id}`, { preset: 'myspace' }), 400, 'preset');

    for (const body of bodies) {
      expect(body).not.toContain(key);
      expect(body).not.toContain('sk_kick');
    }
  });

  it('answers 400 naming the field for a preset platform without what it needs', async () => {
    expectError(await call('POST', '/api/platforms', { preset: 'twitch' }), 400, 'streamKey');
    expectError(await call('POST', '/api/platforms', { preset: 'twitch', streamKey: '' }), 400, 'streamKey');
    const unknown = expectError(
      await call('POST', '/api/platforms', { preset: 'myspace', streamKey: 'k' }),
      400,
      'preset',
    );
    expect(unknown.message).toContain('twitch');
    expectError(await call('POST', '/api/platforms', { preset: 'custom', streamKey: 'k' }), 400, 'url');
    expectError(
      await call('POST', '/api/platforms', { preset: 'twitch', streamKey: 'k', url: 'http://x/app' }),
      400,
      'url',
    );
    expectError(await call('POST', '/api/platforms', { streamKey: 'k', url: 'rtmp://x/app' }), 400, 'name');
    expectError(await call('POST', '/api/platforms', { streamKey: 'k', name: 'X' }), 400, 'url');
    expectError(
      await call('POST', '/api/platforms', { preset: 'twitch', streamKey: 'k', channelId: 'nope' }),
      404,
      'channelId',
    );
    // A name given explicitly is not renamed: a duplicate is a 409.
    await call('POST', '/api/platforms', { preset: 'twitch', streamKey: 'k' });
    expectError(
      await call('POST', '/api/platforms', { preset: 'twitch', streamKey: 'k', name: 'twitch' }),
      409,
      'name',
    );
    expect(store.destinations.list()).toHaveLength(1);
  });
});

const missing = missingPeers('ffmpeg', 'nginx');

interface ChannelLiveStatus {
  id: string;
  onAir: boolean;
  mode: string;
  reason: string | null;
  since: string | null;
  fallbackEndsAt: string | null;
  outputs: { name: string; state: string }[];
}

async function channelStatus(test: TestServer, id: string): Promise<ChannelLiveStatus | undefined> {
  const { body } = await test.api<{ channels: ChannelLiveStatus[] }>('GET', '/api/status');
  return body.channels.find((c) => c.id === id);
}

describe.skipIf(missing !== '')(`channels with real peers ${missing}`, () => {
  it('applies a settings change to a channel that is live, at once', async () => {
    const test = await startTestServer();
    const publisher = publishTestStream({
      url: `${test.ingestBase}/${test.ingestKey}`,
      videoBitrateKbps: 800,
    });
    await waitFor(async () => (await channelStatus(test, 'main'))?.mode === 'live', {
      what: 'main live',
      timeoutMs: 15_000,
      peer: publisher.process,
    });

    // A low-bitrate rule no real stream can meet, and a short fallback: the live channel must react
    // without a restart or a new publish.
    const updated = await test.api<ChannelDto>('PUT', '/api/channels/main', {
      settings: { lowBitrate: { thresholdKbps: 100_000, windowMs: 1000 }, fallbackTimeoutMs: 2000 },
    });
    expect(updated.status).toBe(200);
    expect(updated.body.settings).toMatchObject({
      lowBitrate: { thresholdKbps: 100_000, windowMs: 1000 },
      fallbackTimeoutMs: 2000,
      // The test server's default for every channel, kept.
      cleanStopAction: 'end',
    });
    await waitFor(async () => (await channelStatus(test, 'main'))?.reason === 'low-bitrate', {
      what: 'the low-bitrate fallback',
      timeoutMs: 10_000,
      peer: publisher.process,
    });
    const fallback = await channelStatus(test, 'main');
    expect(fallback?.mode).toBe('fallback');
    const lengthMs = Date.parse(fallback?.fallbackEndsAt ?? '') - Date.parse(fallback?.since ?? '');
    expect(lengthMs).toBeGreaterThan(1500);
    expect(lengthMs).toBeLessThan(2500);
    // The new fallbackTimeoutMs ends the broadcast, though OBS is still sending.
    await waitFor(async () => (await channelStatus(test, 'main'))?.reason === 'fallback-timeout', {
      what: 'the broadcast ended by the 2 s fallback timeout',
      timeoutMs: 10_000,
      peer: publisher.process,
    });
    expect(await channelStatus(test, 'main')).toMatchObject({ onAir: false, mode: 'off' });
    // Stored (only what was given), so a restart keeps them.
    expect(test.server.store.channels.get('main').settings).toEqual({
      lowBitrate: { thresholdKbps: 100_000, windowMs: 1000 },
      fallbackTimeoutMs: 2000,
    });
    await publisher.stop();
  }, 60_000);

  it('deletes a channel that is on air: its platforms see a clean end, OBS is let go, the others go on', async () => {
    const nginx = await startNginxRtmp({ apps: [{ name: 'live' }] });
    const test = await startTestServer();
    const studio = await test.api<ChannelDetailDto>('POST', '/api/channels', { name: 'Studio' });
    expect(studio.status).toBe(201);
    for (const [channelId, streamKey] of [
      ['studio', 'studio-out'],
      ['main', 'main-out'],
    ] as const) {
      const created = await test.api('POST', '/api/platforms', {
        channelId,
        name: 'nginx',
        url: `rtmp://127.0.0.1:${nginx.port}/live`,
        streamKey,
      });
      expect(created.status).toBe(201);
    }
    const studioObs = publishTestStream({ url: `${test.ingestBase}/${studio.body.streamKey}` });
    const mainObs = publishTestStream({ url: `${test.ingestBase}/${test.ingestKey}` });
    for (const id of ['studio', 'main']) {
      await waitFor(async () => (await channelStatus(test, id))?.outputs[0]?.state === 'live', {
        what: `${id} output live`,
        timeoutMs: 15_000,
      });
    }

    const deleted = await test.api('DELETE', '/api/channels/studio');
    expect(deleted.status).toBe(200);
    await waitFor(() => endedCleanly(nginx.errorLog(), 'studio-out'), {
      what: "nginx to see studio's broadcast end with deleteStream",
      timeoutMs: 5000,
    });
    // OBS of the deleted channel is disconnected, and its key opens nothing any more.
    await studioObs.waitForExit(10_000);
    expect(test.server.store.channels.matchKey(studio.body.streamKey)).toBeUndefined();
    const { body } = await test.api<{ channels: ChannelLiveStatus[] }>('GET', '/api/status');
    expect(body.channels.map((c) => c.id)).toEqual(['main']);
    expect((await test.api('GET', '/api/platforms?channelId=studio')).status).toBe(404);
    // The other channel never noticed.
    expect(await channelStatus(test, 'main')).toMatchObject({ onAir: true, mode: 'live' });
    expect((await channelStatus(test, 'main'))?.outputs[0]?.state).toBe('live');
    expect(nginx.errorLog().split("name='main-out'")).toHaveLength(2);
    await mainObs.stop();
    await nginx.stop();
  }, 60_000);
});
