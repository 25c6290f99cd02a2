import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore, StoreError, type NewDestination, type Store } from '../../../src/store/index.js';

let dir: string;
let store: Store;
let clock = Date.parse('2025-01-01T00:00:00Z');

const twitch: NewDestination = {
  channelId: 'main',
  name: 'Twitch',
  url: 'rtmp://live.twitch.tv/app',
  streamKey: 'live_123456789_secretkey',
};

function storeError(fn: () => unknown): StoreError {
  try {
    fn();
  } catch (err) {
    if (err instanceof StoreError) return err;
    throw err;
  }
  throw new Error('expected a StoreError');
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'restream-dest-'));
  store = openStore(dir, { now: () => clock });
});

afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('DestinationsRepo', () => {
  it('creates, reads, updates and deletes', () => {
    const created = store.destinations.create(twitch);
    expect(created).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{12}$/) as unknown,
      channelId: 'main',
      name: 'Twitch',
      url: 'rtmp://live.twitch.tv/app',
      streamKeyMasked: '****tkey',
      enabled: true,
      createdAt: '2025-01-01T00:00:00.000Z',
      updatedAt: '2025-01-01T00:00:00.000Z',
    });
    expect(store.destinations.get(created.id)).toEqual(created);

    clock += 1000;
    const { before, after } = store.destinations.update(created.id, {
      enabled: false,
      streamKey: 'other-key-9876',
    });
    expect(before).toEqual(created);
    expect(after).toMatchObject({ enabled: false, streamKeyMasked: '****9876', name: 'Twitch' });
    expect(after.updatedAt).toBe('2025-01-01T00:00:01.000Z');
    expect(after.createdAt).toBe(created.createdAt);

    expect(store.destinations.remove(created.id)).toEqual(after);
    expect(store.destinations.list()).toEqual([]);
    expect(storeError(() => store.destinations.get(created.id)).code).toBe('NOT_FOUND');
    expect(storeError(() => store.destinations.remove(created.id)).code).toBe('NOT_FOUND');
  });

  it('never carries a whole key except through destinationsForChannel', () => {
    const created = store.destinations.create(twitch);
    expect(JSON.stringify(store.destinations.list())).not.toContain(twitch.streamKey);
    expect(JSON.stringify(store.destinations.get(created.id))).not.toContain(twitch.streamKey);
    expect(store.destinationsForChannel('main')).toEqual([{ ...created, streamKey: twitch.streamKey }]);
  });

  it('rejects a duplicate name in the same channel (case-insensitive) with CONFLICT on name', () => {
    store.destinations.create(twitch);
    const err = storeError(() => store.destinations.create({ ...twitch, name: 'twitch' }));
    expect(err.code).toBe('CONFLICT');
    expect(err.field).toBe('name');
    const other = store.destinations.create({ ...twitch, name: 'YouTube' });
    expect(storeError(() => store.destinations.update(other.id, { name: 'TWITCH' })).field).toBe('name');
  });

  it('allows the same name in another channel', () => {
    store.channels.create({ id: 'second', name: 'Second' });
    store.destinations.create(twitch);
    expect(() => store.destinations.create({ ...twitch, channelId: 'second' })).not.toThrow();
    expect(store.destinations.list('second')).toHaveLength(1);
    expect(store.destinations.countByChannel()).toEqual(
      new Map([
        ['main', 1],
        ['second', 1],
      ]),
    );
  });

  it('rejects an unknown channel with NOT_FOUND on channelId', () => {
    const err = storeError(() => store.destinations.create({ ...twitch, channelId: 'nope' }));
    expect(err.code).toBe('NOT_FOUND');
    expect(err.field).toBe('channelId');
    const created = store.destinations.create(twitch);
    expect(storeError(() => store.destinations.update(created.id, { channelId: 'nope' })).field).toBe(
      'channelId',
    );
  });

  it('moves a destination to another channel', () => {
    store.channels.create({ id: 'second', name: 'Second' });
    const created = store.destinations.create(twitch);
    const { before, after } = store.destinations.update(created.id, { channelId: 'second' });
    expect(before.channelId).toBe('main');
    expect(after.channelId).toBe('second');
    expect(store.destinationsForChannel('main')).toEqual([]);
  });

  it('deletes a channel’s destinations with the channel (foreign key cascade)', () => {
    store.channels.create({ id: 'second', name: 'Second' });
    store.destinations.create({ ...twitch, channelId: 'second' });
    store.destinations.create(twitch);
    store.channels.remove('second');
    expect(store.destinations.list().map((d) => d.channelId)).toEqual(['main']);
  });

  it('lists in creation order', () => {
    const names = ['A', 'B', 'C'];
    for (const name of names) store.destinations.create({ ...twitch, name });
    expect(store.destinations.list('main').map((d) => d.name)).toEqual(names);
  });
});
