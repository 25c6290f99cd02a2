import { describe, expect, it } from 'vitest';
import { EventFeed } from '../../../src/observability/event-feed.js';
import { Metrics } from '../../../src/observability/metrics.js';
import { FakeClock } from '../../helpers/fake-clock.js';
import { FakeEngine, liveStatus } from '../../helpers/fake-engine.js';

function setup() {
  const engine = new FakeEngine();
  const clock = new FakeClock();
  const hub = new EventFeed({ engine, channels: () => ['main'], clock });
  const metrics = new Metrics({ engine, feed: hub, channels: () => ['main'], clock, processMetrics: false });
  return { engine, clock, hub, metrics };
}

/** The series of the exposition, as `name{labels} value` lines. */
async function lines(metrics: Metrics): Promise<string[]> {
  return (await metrics.render()).body.split('\n').filter((line) => line !== '' && !line.startsWith('#'));
}

describe('Metrics', () => {
  it('exposes a channel at rest in a registry of its own', async () => {
    const { metrics } = setup();
    const { contentType, body } = await metrics.render();
    expect(contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(body).toContain('# TYPE restream_switches_total counter');
    expect(body).not.toContain('process_cpu');
    expect(await lines(metrics)).toEqual([
      'restream_channel_on_air{channel="main"} 0',
      'restream_channel_source{channel="main",source="live"} 0',
      'restream_channel_source{channel="main",source="fallback"} 0',
      'restream_channel_source{channel="main",source="none"} 1',
      'restream_input_bitrate_bits_per_second{channel="main"} 0',
      'restream_input_frames_per_second{channel="main"} 0',
      'restream_broadcasts_total{channel="main"} 0',
      'restream_fallback_seconds_total{channel="main"} 0',
    ]);
  });

  it('reads live state at scrape time and counts outputs across restarts of their counters', async () => {
    const { engine, metrics } = setup();
    engine.statuses.set('main', liveStatus({}, { bytes: 5000, reconnects: 1, droppedFrames: 2 }));
    let series = await lines(metrics);
    const labels = 'channel="main",destination="d1",name="Twitch"';
    expect(series).toContain('restream_channel_on_air{channel="main"} 1');
    expect(series).toContain('restream_channel_source{channel="main",source="live"} 1');
    expect(series).toContain('restream_input_bitrate_bits_per_second{channel="main"} 2500000');
    expect(series).toContain('restream_input_frames_per_second{channel="main"} 30');
    expect(series).toContain(`restream_output_state{${labels},state="live"} 1`);
    expect(series).toContain(`restream_output_state{${labels},state="retrying"} 0`);
    expect(series).toContain(`restream_output_bitrate_bits_per_second{${labels}} 2600000`);
    expect(series).toContain(`restream_output_sent_bytes_total{${labels}} 5000`);
    expect(series).toContain(`restream_output_reconnects_total{${labels}} 1`);
    expect(series).toContain(`restream_output_dropped_frames_total{${labels}} 2`);
    // The output was re-created: its own counters start again, the exported ones keep counting.
    engine.statuses.set(
      'main',
      liveStatus({}, { bytes: 300, reconnects: 0, droppedFrames: 0, state: 'retrying' }),
    );
    series = await lines(metrics);
    expect(series).toContain(`restream_output_sent_bytes_total{${labels}} 5300`);
    expect(series).toContain(`restream_output_state{${labels},state="retrying"} 1`);
    // A removed destination's series go.
    engine.statuses.set('main', liveStatus({}, {}));
    engine.statuses.get('main')!.outputs.length = 0;
    expect((await lines(metrics)).some((line) => line.includes('destination="d1"'))).toBe(false);
  });

  it('counts switches by reason and the seconds the platforms got the fallback', async () => {
    const { engine, clock, metrics } = setup();
    engine.mode('main', 'live', 'publisher-started');
    engine.switched('main', undefined, 'live');
    clock.advance(10_000);
    engine.mode('main', 'fallback', 'publisher-dropped');
    // The fallback takes the air at its keyframe, a moment later.
    clock.advance(500);
    engine.switched('main', 'live', 'fallback');
    clock.advance(4000);
    // Counted while still in fallback, too.
    expect(await lines(metrics)).toContain('restream_fallback_seconds_total{channel="main"} 4');
    clock.advance(2000);
    engine.mode('main', 'live', 'publisher-returned');
    clock.advance(300);
    engine.switched('main', 'fallback', 'live');
    clock.advance(60_000);
    engine.mode('main', 'fallback', 'manual');
    engine.switched('main', 'live', 'fallback');
    clock.advance(1500);
    engine.mode('main', 'off', 'manual');
    clock.advance(60_000);
    const series = await lines(metrics);
    expect(series).toContain('restream_fallback_seconds_total{channel="main"} 7.8');
    expect(series).toContain('restream_broadcasts_total{channel="main"} 1');
    for (const line of [
      'restream_switches_total{channel="main",to="live",reason="publisher-started"} 1',
      'restream_switches_total{channel="main",to="fallback",reason="publisher-dropped"} 1',
      'restream_switches_total{channel="main",to="live",reason="publisher-returned"} 1',
      'restream_switches_total{channel="main",to="fallback",reason="manual"} 1',
      'restream_switches_total{channel="main",to="off",reason="manual"} 1',
    ]) {
      expect(series).toContain(line);
    }
  });

  it('stops counting when closed', async () => {
    const { engine, metrics } = setup();
    metrics.close();
    engine.mode('main', 'live', 'publisher-started');
    expect((await lines(metrics)).some((line) => line.startsWith('restream_switches_total'))).toBe(false);
  });
});
