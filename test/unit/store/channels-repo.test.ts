import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore, StoreError, type Store } from '../../../src/store/index.js';

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
