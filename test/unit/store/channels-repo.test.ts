import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import BetterSqlite3 from 'better-sqlite3';
import { databaseFileName, openStore, StoreError, type Store } from '../../../src/store/index.js';

let dir: string;
let store: Store;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'restream-chan-'));
  store = openStore(dir);
});

afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('ChannelsRepo', () => {
  it('creates channels with distinct keys and refuses a taken id or name', () => {
    const second = store.channels.create({ id: 'second', name: 'Second' });
    const main = store.channels.get('main');
    expect(second.ingestKey).not.toBe(main.ingestKey);
    expect(() => store.channels.create({ id: 'second', name: 'Other' })).toThrow(
      expect.objectContaining({ code: 'CONFLICT', field: 'id' }),
    );
    expect(() => store.channels.create({ id: 'third', name: 'SECOND' })).toThrow(
      expect.objectContaining({ code: 'CONFLICT', field: 'name' }),
    );
  });

  it('rotates the ingest key: the old key stops matching, the new one matches', () => {
    const old = store.channels.get('main').ingestKey;
    const fresh = store.channels.rotateIngestKey('main');
    expect(fresh).toMatch(/^[0-9a-f]{32}$/);
    expect(fresh).not.toBe(old);
    expect(store.channels.get('main').ingestKey).toBe(fresh);
    expect(store.channels.matchKey(old)).toBeUndefined();
    expect(store.channels.matchKey(fresh)).toEqual({ channelId: 'main', role: 'ingest' });
  });

  it('tells an ingest key from a preview key, and matches nothing else', () => {
    const main = store.channels.get('main');
    expect(store.channels.matchKey(main.previewKey ?? '')).toEqual({ channelId: 'main', role: 'preview' });
    expect(store.channels.matchKey('')).toBeUndefined();
    expect(store.channels.matchKey(main.ingestKey.slice(0, -1))).toBeUndefined();
    const rotated = store.channels.rotatePreviewKey('main');
    expect(store.channels.matchKey(rotated)).toEqual({ channelId: 'main', role: 'preview' });
  });

  it('answers NOT_FOUND for unknown channels', () => {
    expect(store.channels.find('nope')).toBeUndefined();
    expect(() => store.channels.get('nope')).toThrow(StoreError);
    expect(() => store.channels.rotateIngestKey('nope')).toThrow(
      expect.objectContaining({ code: 'NOT_FOUND' }),
    );
    expect(() => {
      store.channels.remove('nope');
    }).toThrow(expect.objectContaining({ code: 'NOT_FOUND' }));
  });
});

describe('ChannelsRepo settings', () => {
  it('starts every channel with no settings of its own, and keeps what it is given', () => {
    expect(store.channels.get('main').settings).toEqual({});
    const studio = store.channels.create({
      id: 'studio',
      name: 'Studio',
      settings: { stallTimeoutMs: 500, lowBitrate: null },
    });
    expect(studio.settings).toEqual({ stallTimeoutMs: 500, lowBitrate: null });
    expect(store.channels.list().map((c) => c.settings)).toEqual([
      {},
      { stallTimeoutMs: 500, lowBitrate: null },
    ]);
  });

  it('updates the name and merges settings field by field, in one transaction', () => {
    store.channels.create({ id: 'studio', name: 'Studio', settings: { stallTimeoutMs: 500 } });
    const renamed = store.channels.update('studio', {
      name: 'Late Show',
      settings: { cleanStopAction: 'end', lowBitrate: { thresholdKbps: 300, windowMs: 5000 } },
    });
    expect(renamed.name).toBe('Late Show');
    expect(renamed.settings).toEqual({
      stallTimeoutMs: 500,
      cleanStopAction: 'end',
      lowBitrate: { thresholdKbps: 300, windowMs: 5000 },
    });
    expect(
      store.channels.update('studio', { settings: { lowBitrate: null } }).settings.lowBitrate,
    ).toBeNull();

    // A taken name changes nothing, settings included.
    expect(() =>
      store.channels.update('studio', { name: 'MAIN', settings: { stallTimeoutMs: 9000 } }),
    ).toThrow(expect.objectContaining({ code: 'CONFLICT', field: 'name' }));
    expect(store.channels.get('studio')).toMatchObject({
      name: 'Late Show',
      settings: { stallTimeoutMs: 500 },
    });
    expect(() => store.channels.update('nope', { name: 'x' })).toThrow(
      expect.objectContaining({ code: 'NOT_FOUND', field: 'id' }),
    );
  });

  it('leaves out stored fields of the wrong type (a hand-edited database) instead of passing them on', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'restream-chan-raw-'));
    try {
      const first = openStore(dataDir);
      first.close();
      const raw = new BetterSqlite3(join(dataDir, databaseFileName));
      raw.prepare('UPDATE channels SET settings = ? WHERE id = ?').run(
        JSON.stringify({
          stallTimeoutMs: '2000',
          cleanStopAction: 'explode',
          fallbackTimeoutMs: 5000,
          lowBitrate: { thresholdKbps: 'x', windowMs: 1000 },
        }),
        'main',
      );
      raw.close();
      const second = openStore(dataDir);
      expect(second.channels.get('main').settings).toEqual({ fallbackTimeoutMs: 5000 });
      second.close();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('deletes a channel with its platforms, but never the only channel', () => {
    store.channels.create({ id: 'studio', name: 'Studio' });
    store.destinations.create({
      channelId: 'studio',
      name: 'Kick',
      url: 'rtmps://kick.example/app',
      streamKey: 'k-1',
    });
    store.channels.remove('studio');
    expect(store.destinations.list()).toEqual([]);
    expect(() => {
      store.channels.remove('main');
    }).toThrow(expect.objectContaining({ code: 'CONFLICT', field: 'id' }));
    expect(store.channels.get('main').id).toBe('main');
  });

  it("does not bring a deleted 'main' back on the next start while another channel exists", () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'restream-chan-main-'));
    try {
      const first = openStore(dataDir);
      first.channels.create({ id: 'studio', name: 'Studio' });
      first.channels.remove('main');
      first.close();
      const second = openStore(dataDir);
      expect(second.channels.list().map((c) => c.id)).toEqual(['studio']);
      second.close();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('DestinationsRepo presets', () => {
  it('stores the preset a platform was made from and hands it to the engine', () => {
    const twitch = store.destinations.create({
      channelId: 'main',
      name: 'Twitch',
      url: 'rtmps://ingest.global-contribute.live-video.net/app',
      streamKey: 'live_1',
      preset: 'twitch',
    });
    const custom = store.destinations.create({
      channelId: 'main',
      name: 'Own',
      url: 'rtmp://own.example/live',
      streamKey: 'k',
    });
    expect(twitch.preset).toBe('twitch');
    expect('preset' in custom).toBe(false);
    expect(store.destinationsForChannel('main').map((d) => d.preset)).toEqual(['twitch', undefined]);
    expect(store.destinations.update(twitch.id, { preset: null }).after.preset).toBeUndefined();
    expect(store.destinations.update(custom.id, { preset: 'youtube' }).after.preset).toBe('youtube');
    expect(store.destinations.update(custom.id, { name: 'Own 2' }).after.preset).toBe('youtube');
  });
});

describe('SettingsRepo', () => {
  it('stores JSON values and deletes them', () => {
    expect(store.settings.get('x')).toBeUndefined();
    store.settings.set('x', { a: [1, 2], b: null });
    store.settings.set('x', { a: [3] });
    expect(store.settings.get('x')).toEqual({ a: [3] });
    expect(store.settings.delete('x')).toBe(true);
    expect(store.settings.delete('x')).toBe(false);
    expect(() => {
      store.settings.set('y', undefined);
    }).toThrow(TypeError);
  });
});
