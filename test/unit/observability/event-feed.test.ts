import { describe, expect, it } from 'vitest';
import { BroadcastLifecycle, type LifecycleEvent } from '../../../src/observability/broadcast-lifecycle.js';
import { EventFeed, type SequencedEvent } from '../../../src/observability/event-feed.js';
import { FakeClock } from '../../helpers/fake-clock.js';
import { FakeEngine, FakeJobs, liveStatus } from '../../helpers/fake-engine.js';

function setup() {
  const engine = new FakeEngine();
  const jobs = new FakeJobs();
  const clock = new FakeClock();
  let wall = Date.parse('2025-06-01T12:00:00.000Z');
  const hub = new EventFeed({
    engine,
    jobs,
    channels: () => ['main', 'second'],
    clock,
    now: () => wall + clock.now(),
  });
  const lifecycle: LifecycleEvent[] = [];
  new BroadcastLifecycle(hub).on('lifecycle', (event) => lifecycle.push(event));
  const advance = (ms: number): void => {
    clock.advance(ms);
  };
  return { engine, jobs, clock, hub, lifecycle, advance, setWall: (ms: number) => (wall = ms) };
}

describe('EventFeed and BroadcastLifecycle', () => {
  it('derives went-live, fallback, back-to-live and ended from mode changes', () => {
    const { engine, hub, lifecycle } = setup();
    const kinds: string[] = [];
    hub.on('channel', (event) => kinds.push(`${event.kind}:${event.previousMode}->${event.mode}`));
    engine.mode('main', 'live', 'publisher-started');
    engine.switched('main', undefined, 'live');
    engine.mode('main', 'fallback', 'publisher-dropped', 1000, 61_000);
    engine.mode('main', 'fallback', 'manual');
    engine.mode('main', 'live', 'publisher-returned');
    engine.mode('main', 'off', 'clean-stop');
    // An end of a channel already off is no news.
    engine.mode('main', 'off', 'manual');
    expect(kinds).toEqual([
      'on-air:off->live',
      'switched:live->live',
      'mode:live->fallback',
      'mode:fallback->fallback',
      'mode:fallback->live',
      'off-air:live->off',
    ]);
    expect(lifecycle.map((e) => [e.event, e.reason])).toEqual([
      ['went-live', 'publisher-started'],
      ['fallback', 'publisher-dropped'],
      ['back-to-live', 'publisher-returned'],
      ['ended', 'clean-stop'],
    ]);
    expect(lifecycle.every((e) => e.channelId === 'main' && e.destination === null)).toBe(true);
  });

  it('reports a failing destination once per failure, again once it was live, and always when it gives up', () => {
    const { engine, lifecycle } = setup();
    engine.mode('main', 'live', 'publisher-started');
    engine.output('main', 'd1', 'Twitch', 'connecting');
    engine.output('main', 'd1', 'Twitch', 'retrying', 'connection refused');
    engine.output('main', 'd1', 'Twitch', 'connecting');
    engine.output('main', 'd1', 'Twitch', 'retrying', 'connection refused');
    engine.output('main', 'd1', 'Twitch', 'live');
    engine.output('main', 'd1', 'Twitch', 'retrying', 'reset by peer');
    engine.output('main', 'd1', 'Twitch', 'failed', 'publish rejected');
    engine.output('main', 'd2', 'YouTube', 'retrying', 'timeout');
    const failures = lifecycle.filter((e) => e.event === 'destination-failed').map((e) => e.destination);
    expect(failures).toEqual([
      { id: 'd1', name: 'Twitch', error: 'connection refused' },
      { id: 'd1', name: 'Twitch', error: 'reset by peer' },
      { id: 'd1', name: 'Twitch', error: 'publish rejected' },
      { id: 'd2', name: 'YouTube', error: 'timeout' },
    ]);
    // A new broadcast starts with a clean slate.
    engine.mode('main', 'off', 'manual');
    engine.mode('main', 'live', 'publisher-started');
    engine.output('main', 'd2', 'YouTube', 'retrying', 'timeout');
    expect(lifecycle.filter((e) => e.event === 'destination-failed')).toHaveLength(5);
  });

  it('numbers events for subscribers, filters by channel, replays after Last-Event-ID, and survives a bad subscriber', () => {
    const { engine, jobs, hub } = setup();
    const all: SequencedEvent[] = [];
    const second: SequencedEvent[] = [];
    hub.subscribe(() => {
      throw new Error('broken subscriber');
    });
    hub.subscribe((event) => all.push(event));
    hub.subscribe((event) => second.push(event), { channelId: 'second' });
    engine.mode('main', 'live', 'publisher-started');
    engine.output('main', 'd1', 'Twitch', 'live');
    engine.mode('second', 'live', 'publisher-started');
    jobs.job({
      id: 'j1',
      channelId: '',
      key: 'slate',
      kind: 'slate',
      state: 'running',
      percent: 50,
      startedAt: 'x',
    });
    expect(all.map((e) => [e.id, e.event])).toEqual([
      [1, 'channel'],
      [2, 'output'],
      [3, 'channel'],
      [4, 'job'],
    ]);
    expect(all[3]!.data).toMatchObject({ id: 'j1', kind: 'slate', error: null, finishedAt: null });
    // Only its channel, and the shared slate's jobs.
    expect(second.map((e) => e.id)).toEqual([3, 4]);

    const replayed: number[] = [];
    hub.subscribe((event) => replayed.push(event.id), { lastEventId: 2 });
    expect(replayed).toEqual([3, 4]);
    // An id from before a restart replays nothing.
    const stale: number[] = [];
    hub.subscribe((event) => stale.push(event.id), { lastEventId: 999 });
    expect(stale).toEqual([]);
  });

  it('ticks stats once a second per channel while subscribed, with output frame rates', () => {
    const { engine, hub, advance } = setup();
    engine.statuses.set('main', liveStatus({}, { videoFrames: 0 }));
    const stats: SequencedEvent[] = [];
    const unsubscribe = hub.subscribe((event) => {
      if (event.event === 'stats') stats.push(event);
    });
    advance(1000);
    engine.statuses.set('main', liveStatus({}, { videoFrames: 30 }));
    advance(1000);
    engine.statuses.set('main', liveStatus({}, { videoFrames: 90, droppedFrames: 3 }));
    advance(1000);
    // 'second' has no runtime: no stats for it.
    expect(stats.map((e) => e.data.channelId)).toEqual(['main', 'main', 'main']);
    const data = stats.map((e) => (e.event === 'stats' ? e.data : undefined));
    expect(data[0]).toMatchObject({
      onAir: true,
      mode: 'live',
      source: 'live',
      input: { bitrateKbps: 2500, fps: 30 },
    });
    expect(data.map((d) => d?.outputs[0]?.fps)).toEqual([null, 30, 60]);
    expect(data[2]?.outputs[0]).toMatchObject({
      id: 'd1',
      name: 'Twitch',
      state: 'live',
      droppedFrames: 3,
      bytes: 1000,
    });
    unsubscribe();
    advance(5000);
    expect(stats).toHaveLength(3);
  });

  it('ends subscribers and stops listening when closed', () => {
    const { engine, hub, clock } = setup();
    let ended = 0;
    const got: SequencedEvent[] = [];
    hub.subscribe((event) => got.push(event), { onEnd: () => ended++ });
    hub.close();
    expect(ended).toBe(1);
    expect(hub.subscriberCount).toBe(0);
    expect(clock.pendingTimers).toBe(0);
    engine.mode('main', 'live', 'publisher-started');
    expect(got).toEqual([]);
    expect(engine.listenerCount('mode')).toBe(0);
    // A late subscriber is ended at once.
    hub.subscribe(() => undefined, { onEnd: () => ended++ });
    expect(ended).toBe(2);
  });

  it('converts the fallback end to wall time', () => {
    const { engine, hub, advance } = setup();
    const events: string[] = [];
    hub.on('channel', (event) => events.push(`${event.at} ${event.fallbackEndsAt ?? ''}`));
    advance(5000);
    engine.mode('main', 'live', 'publisher-started', 5000);
    engine.mode('main', 'fallback', 'publisher-dropped', 5000, 65_000);
    expect(events).toEqual([
      '2025-06-01T12:00:05.000Z ',
      '2025-06-01T12:00:05.000Z 2025-06-01T12:01:05.000Z',
    ]);
  });
});
