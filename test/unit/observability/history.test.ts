import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BroadcastLifecycle } from '../../../src/observability/broadcast-lifecycle.js';
import { EventFeed } from '../../../src/observability/event-feed.js';
import { History } from '../../../src/observability/history.js';
import { openStore, type Store } from '../../../src/store/index.js';
import { FakeClock } from '../../helpers/fake-clock.js';
import { FakeEngine } from '../../helpers/fake-engine.js';

let dir: string;
let store: Store;
let engine: FakeEngine;
let clock: FakeClock;
let hub: EventFeed;
let lifecycle: BroadcastLifecycle;
const base = Date.parse('2025-06-01T12:00:00.000Z');
const iso = (ms: number): string => new Date(base + ms).toISOString();

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'restream-history-'));
  store = openStore(dir);
  store.channels.create({ id: 'second', name: 'Second' });
  engine = new FakeEngine();
  clock = new FakeClock();
  hub = new EventFeed({ engine, channels: () => ['main', 'second'], clock, now: () => base + clock.now() });
  lifecycle = new BroadcastLifecycle(hub);
});

afterEach(() => {
  hub.close();
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

function history(options: { maxEventsPerSession?: number } = {}): History {
  return new History({
    feed: hub,
    lifecycle,
    repo: store.history,
    clock,
    now: () => base + clock.now(),
    aliveIntervalMs: 10_000,
    ...options,
  });
}

describe('History', () => {
  it('writes each broadcast as it happens: start, switches, one failure per episode, end', () => {
    const recorder = history();
    engine.mode('main', 'live', 'publisher-started');
    // Written at once: readable before the broadcast ends.
    expect(store.history.list({ limit: 10 })).toMatchObject([
      { startedAt: iso(0), endedAt: null, endReason: null },
    ]);
    clock.advance(5000);
    engine.mode('main', 'fallback', 'publisher-dropped');
    engine.output('main', 'd1', 'Twitch', 'retrying', 'connection reset');
    engine.output('main', 'd1', 'Twitch', 'connecting');
    engine.output('main', 'd1', 'Twitch', 'retrying', 'connection refused');
    clock.advance(3000);
    engine.mode('main', 'live', 'publisher-returned');
    clock.advance(2000);
    engine.mode('main', 'off', 'clean-stop');
    // Mode changes of another channel, or of nobody on air, are not this session's.
    engine.mode('second', 'fallback', 'manual');
    const sessions = store.history.list({ channelId: 'main', limit: 10 });
    expect(sessions).toEqual([
      {
        id: expect.any(String) as string,
        channelId: 'main',
        startedAt: iso(0),
        startReason: 'publisher-started',
        endedAt: iso(10_000),
        endReason: 'clean-stop',
        switches: [
          { at: iso(5000), from: 'live', to: 'fallback', reason: 'publisher-dropped' },
          { at: iso(8000), from: 'fallback', to: 'live', reason: 'publisher-returned' },
        ],
        outputFailures: [
          { at: iso(5000), destinationId: 'd1', destinationName: 'Twitch', error: 'connection reset' },
        ],
      },
    ]);
    recorder.close();
  });

  it('lists newest first, per channel or all, up to the limit', () => {
    const recorder = history();
    for (let i = 0; i < 3; i++) {
      engine.mode('main', 'live', 'publisher-started');
      clock.advance(1000);
      engine.mode('second', 'live', 'publisher-started');
      engine.mode('main', 'off', 'manual');
      engine.mode('second', 'off', 'manual');
      clock.advance(1000);
    }
    const main = store.history.list({ channelId: 'main', limit: 2 });
    expect(main.map((s) => s.startedAt)).toEqual([iso(4000), iso(2000)]);
    expect(store.history.list({ limit: 100 }).map((s) => s.channelId)).toEqual([
      'second',
      'main',
      'second',
      'main',
      'second',
      'main',
    ]);
    recorder.close();
  });

  it('closes a session a crash left open at its last-seen time, as interrupted', () => {
    const before = history();
    engine.mode('main', 'live', 'publisher-started');
    clock.advance(25_000);
    // "kill -9": nothing more is written; the alive mark of 20 s is the last word.
    before.close = () => undefined;
    hub.close();
    hub = new EventFeed({ engine, channels: () => ['main'], clock, now: () => base + clock.now() });
    lifecycle = new BroadcastLifecycle(hub);
    const after = history();
    expect(store.history.list({ limit: 10 })).toMatchObject([
      { startedAt: iso(0), endedAt: iso(20_000), endReason: 'interrupted' },
    ]);
    // And a new broadcast is a new session.
    engine.mode('main', 'live', 'publisher-started');
    expect(store.history.list({ limit: 10 })).toHaveLength(2);
    after.close();
  });

  it('keeps at most maxEventsPerSession switches, and a write failure never reaches the engine', () => {
    const recorder = history({ maxEventsPerSession: 3 });
    engine.mode('main', 'live', 'publisher-started');
    for (let i = 0; i < 5; i++) {
      engine.mode('main', 'fallback', 'low-bitrate');
      engine.mode('main', 'live', 'publisher-returned');
    }
    expect(store.history.list({ limit: 1 })[0]!.switches).toHaveLength(3);
    store.close();
    expect(() => {
      engine.mode('main', 'off', 'manual');
    }).not.toThrow();
    store = openStore(dir);
    recorder.close();
  });

  it('deletes a channel’s history with the channel', () => {
    const recorder = history();
    engine.mode('second', 'live', 'publisher-started');
    store.channels.remove('second');
    expect(() => {
      engine.mode('second', 'fallback', 'publisher-dropped');
      engine.mode('second', 'off', 'fallback-timeout');
    }).not.toThrow();
    expect(store.history.list({ limit: 10 })).toEqual([]);
    recorder.close();
  });
});
