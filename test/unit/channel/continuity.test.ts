import { describe, expect, it } from 'vitest';
import { Continuity, defaultContinuitySettings } from '../../../src/channel/continuity.js';
import type { ContinuitySettings, ModeChange } from '../../../src/contract/index.js';
import { FakeClock } from '../../helpers/fake-clock.js';

function setup(settings: Partial<ContinuitySettings> = {}): {
  clock: FakeClock;
  c: Continuity;
  changes: ModeChange[];
} {
  const clock = new FakeClock();
  const c = new Continuity({ ...defaultContinuitySettings, ...settings }, clock);
  const changes: ModeChange[] = [];
  c.on('change', (change) => changes.push(change));
  return { clock, c, changes };
}

/** Feeds media every 33 ms for `ms`. */
function media(clock: FakeClock, c: Continuity, ms: number, bytes = 1000): void {
  for (let t = 0; t < ms; t += 33) {
    c.liveMedia(bytes);
    clock.advance(33);
  }
}

const summary = (changes: ModeChange[]) => changes.map((x) => `${x.mode}:${x.reason}`);

describe('Continuity', () => {
  it('goes live, to fallback on a drop, back on return, and ends after the fallback timeout', () => {
    const { clock, c, changes } = setup({ fallbackTimeoutMs: 60_000 });
    c.publisherStarted();
    media(clock, c, 1000);
    c.publisherEnded('dropped');
    expect(c.state).toMatchObject({
      mode: 'fallback',
      reason: 'publisher-dropped',
      endsAt: clock.now() + 60_000,
    });
    clock.advance(10_000);
    c.publisherStarted();
    media(clock, c, 1000);
    c.publisherEnded('dropped');
    clock.advance(59_999);
    expect(c.state.mode).toBe('fallback');
    clock.advance(1);
    expect(summary(changes)).toEqual([
      'live:publisher-started',
      'fallback:publisher-dropped',
      'live:publisher-returned',
      'fallback:publisher-dropped',
      'off:fallback-timeout',
    ]);
  });

  it('counts as a stall media that keeps arriving but never reaches the program', () => {
    const { clock, c, changes } = setup({ stallTimeoutMs: 2000 });
    c.publisherStarted();
    media(clock, c, 1000);
    for (let t = 0; t < 2500; t += 33) {
      c.liveMedia(1000, false);
      clock.advance(33);
    }
    expect(c.state).toMatchObject({ mode: 'fallback', reason: 'publisher-stalled' });
    c.liveMedia(1000, true);
    expect(summary(changes)).toEqual([
      'live:publisher-started',
      'fallback:publisher-stalled',
      'live:publisher-returned',
    ]);
  });

  it('detects a stall after stallTimeoutMs of silence with the connection open, and returns when media resumes', () => {
    const { clock, c, changes } = setup({ stallTimeoutMs: 2000 });
    c.publisherStarted();
    media(clock, c, 3000);
    const lastMedia = clock.now();
    clock.advance(1999 - 33);
    expect(c.state.mode).toBe('live');
    clock.advance(200);
    expect(c.state).toMatchObject({ mode: 'fallback', reason: 'publisher-stalled' });
    expect(c.state.at - lastMedia).toBeLessThanOrEqual(2000);
    media(clock, c, 100);
    expect(summary(changes)).toEqual([
      'live:publisher-started',
      'fallback:publisher-stalled',
      'live:publisher-returned',
    ]);
  });

  it('follows the clean-stop policies', () => {
    const grace = setup({ cleanStopAction: 'fallback-then-end', cleanStopGraceMs: 30_000 });
    grace.c.publisherStarted();
    media(grace.clock, grace.c, 100);
    grace.c.publisherEnded('clean');
    expect(grace.c.state).toMatchObject({
      mode: 'fallback',
      reason: 'clean-stop',
      endsAt: grace.clock.now() + 30_000,
    });
    grace.clock.advance(30_000);
    expect(summary(grace.changes)).toEqual([
      'live:publisher-started',
      'fallback:clean-stop',
      'off:fallback-timeout',
    ]);

    const end = setup({ cleanStopAction: 'end' });
    end.c.publisherStarted();
    media(end.clock, end.c, 100);
    end.c.publisherEnded('clean');
    expect(summary(end.changes)).toEqual(['live:publisher-started', 'off:clean-stop']);

    const asDrop = setup({ cleanStopAction: 'fallback', fallbackTimeoutMs: 5000 });
    asDrop.c.publisherStarted();
    media(asDrop.clock, asDrop.c, 100);
    asDrop.c.publisherEnded('clean');
    expect(asDrop.c.state).toMatchObject({ mode: 'fallback', endsAt: asDrop.clock.now() + 5000 });
  });

  it('an accidental stop and start within the grace recovers', () => {
    const { c, clock, changes } = setup();
    c.publisherStarted();
    media(clock, c, 100);
    c.publisherEnded('clean');
    clock.advance(5000);
    c.publisherStarted();
    media(clock, c, 60_000);
    expect(summary(changes)).toEqual([
      'live:publisher-started',
      'fallback:clean-stop',
      'live:publisher-returned',
    ]);
  });

  it('manual be-right-back holds until "live", even when the publisher drops and returns', () => {
    const { c, clock, changes } = setup();
    expect(c.manual('fallback')).toBe('the channel is off air');
    c.publisherStarted();
    expect(c.manual('fallback')).toBeUndefined();
    c.publisherEnded('dropped');
    clock.advance(20 * 60_000);
    expect(c.manual('live')).toBe('no live input to go back to');
    c.publisherStarted();
    expect(c.state).toMatchObject({ mode: 'fallback', reason: 'manual', endsAt: null });
    expect(c.manual('live')).toBeUndefined();
    expect(c.manual('end')).toBeUndefined();
    expect(summary(changes)).toEqual([
      'live:publisher-started',
      'fallback:manual',
      'live:manual',
      'off:manual',
    ]);
  });

  it('low bitrate goes to fallback after its window and recovers only clearly above the threshold', () => {
    const { c, clock, changes } = setup({ lowBitrate: { thresholdKbps: 1000, windowMs: 3000 } });
    c.publisherStarted();
    media(clock, c, 3000, 8000); // ~1940 kbit/s
    media(clock, c, 5000, 3500); // ~850 kbit/s: low
    expect(c.state).toMatchObject({ mode: 'fallback', reason: 'low-bitrate' });
    media(clock, c, 5000, 4400); // ~1070 kbit/s: above the threshold but within the hysteresis band
    expect(c.state.mode).toBe('fallback');
    media(clock, c, 5000, 8000);
    expect(summary(changes)).toEqual([
      'live:publisher-started',
      'fallback:low-bitrate',
      'live:publisher-returned',
    ]);
  });

  it('applies new settings at once to a running fallback timer', () => {
    const { c, clock } = setup({ fallbackTimeoutMs: 600_000 });
    c.publisherStarted();
    media(clock, c, 100);
    c.publisherEnded('dropped');
    const droppedAt = clock.now();
    clock.advance(5000);
    c.updateSettings({ ...defaultContinuitySettings, fallbackTimeoutMs: 6000 });
    expect(c.state.endsAt).toBe(droppedAt + 6000);
    clock.advance(1000);
    expect(c.state).toMatchObject({ mode: 'off', reason: 'fallback-timeout' });
  });

  it('waits out a silent start with no fallback, and ends the attempt when the publisher leaves or stays silent', () => {
    const dropped = setup({ stallTimeoutMs: 2000 });
    dropped.c.publisherStarted();
    dropped.clock.advance(30_000);
    expect(dropped.c.state).toMatchObject({ mode: 'live', reason: 'publisher-started' });
    dropped.c.publisherEnded('dropped');
    expect(summary(dropped.changes)).toEqual(['live:publisher-started', 'off:publisher-dropped']);

    const stopped = setup({ cleanStopAction: 'fallback' });
    stopped.c.publisherStarted();
    stopped.c.publisherEnded('clean');
    expect(summary(stopped.changes)).toEqual(['live:publisher-started', 'off:clean-stop']);

    const silent = setup({ stallTimeoutMs: 2000, fallbackTimeoutMs: 60_000 });
    silent.c.publisherStarted();
    silent.clock.advance(59_999);
    expect(silent.c.state.mode).toBe('live');
    silent.clock.advance(1);
    expect(summary(silent.changes)).toEqual(['live:publisher-started', 'off:publisher-stalled']);
    expect(silent.clock.pendingTimers).toBe(0);

    // No fallback time at all: a start still gets a stall's time for its first frame.
    const noFallback = setup({ stallTimeoutMs: 2000, fallbackTimeoutMs: 0 });
    noFallback.c.publisherStarted();
    noFallback.clock.advance(1999);
    noFallback.c.liveMedia(1000);
    noFallback.clock.advance(1999);
    expect(noFallback.c.state.mode).toBe('live');
  });

  it('counts stalls from the first media on, and a takeover before it still waits for its first media', () => {
    const { c, clock, changes } = setup({ stallTimeoutMs: 2000 });
    c.publisherStarted();
    clock.advance(10_000);
    c.publisherStarted(); // OBS reconnected before its first frame
    clock.advance(10_000);
    expect(c.state.mode).toBe('live');
    media(clock, c, 1000);
    clock.advance(2100);
    expect(summary(changes)).toEqual(['live:publisher-started', 'fallback:publisher-stalled']);
  });

  it('a be-right-back by hand before the first media is a broadcast begun: a later drop plays the fallback', () => {
    const { c, changes } = setup();
    c.publisherStarted();
    expect(c.manual('fallback')).toBeUndefined();
    expect(c.manual('live')).toBeUndefined();
    c.publisherEnded('dropped');
    expect(summary(changes)).toEqual([
      'live:publisher-started',
      'fallback:manual',
      'live:manual',
      'fallback:publisher-dropped',
    ]);
  });

  it('leaves no timers behind when disposed', () => {
    const { c, clock } = setup();
    c.publisherStarted();
    media(clock, c, 100);
    c.publisherEnded('dropped');
    c.dispose();
    expect(clock.pendingTimers).toBe(0);
  });
});
