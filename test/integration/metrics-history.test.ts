/**
 * `/metrics` and `/api/history` after a real broadcast: an ffmpeg publisher goes live to an nginx-rtmp
 * platform and to a platform that is down, is killed (fallback), returns, and stops cleanly. Prometheus
 * must see sane series (and a 401 without a token); the history must hold one session with its two
 * switches, the dead platform's failure once, and its end.
 */
import { describe, expect, it } from 'vitest';
import { publishTestStream } from '../helpers/ffmpeg.js';
import { startNginxRtmp } from '../helpers/nginx-rtmp.js';
import { freePort } from '../helpers/ports.js';
import { missingPeers } from '../helpers/programs.js';
import { waitFor } from '../helpers/process.js';
import { mainChannel, startTestServer, waitForSource, type TestServer } from '../helpers/server.js';

const missing = missingPeers('ffmpeg', 'nginx');

/** The value of one series (labels given in any order), or undefined when absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const have = new Map(
      [...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1]!, m[2]!] as const),
    );
    if (Object.entries(labels).every(([k, v]) => have.get(k) === v)) return Number(match[3]);
  }
  return undefined;
}

async function scrape(test: TestServer, token: string): Promise<string> {
  const response = await fetch(`${test.httpBase}/metrics`, { headers: { authorization: `Bearer ${token}` } });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return response.text();
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.skipIf(missing !== '')(`metrics and history ${missing}`, () => {
  it('counts a broadcast for Prometheus and records it in the history', async () => {
    const nginx = await startNginxRtmp({ apps: [{ name: 'live' }] });
    const test = await startTestServer({
      start: { continuity: { stallTimeoutMs: 1500, fallbackTimeoutMs: 60_000 } },
    });
    const token = test.server.store.auth.createToken('prometheus').token;
    const keys = ['nginx-key-3b9e7d1c', 'dead-key-8c2f4a6e'];
    const good = await test.api<{ id: string }>('POST', '/api/platforms', {
      name: 'nginx',
      url: `rtmp://127.0.0.1:${nginx.port}/live`,
      streamKey: keys[0],
    });
    const dead = await test.api<{ id: string }>('POST', '/api/platforms', {
      name: 'down',
      url: `rtmp://127.0.0.1:${await freePort()}/live`,
      streamKey: keys[1],
    });
    expect([good.status, dead.status]).toEqual([201, 201]);

    // Without a token, or with a bad one: 401.
    const anonymous = await fetch(`${test.httpBase}/metrics`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toMatch(/^Bearer/);
    await anonymous.body?.cancel();
    const forged = await fetch(`${test.httpBase}/metrics`, { headers: { authorization: 'Bearer rst_nope' } });
    expect(forged.status).toBe(401);
    await forged.body?.cancel();

    const idle = await scrape(test, token);
    expect(sample(idle, 'restream_channel_on_air', { channel: 'main' })).toBe(0);
    expect(sample(idle, 'restream_channel_source', { channel: 'main', source: 'none' })).toBe(1);
    expect(sample(idle, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);

    const url = `${test.ingestBase}/${test.ingestKey}`;
    const first = publishTestStream({ url, seconds: 60 });
    await waitForSource(test, 'live', 'publisher-started');
    await sleep(3000);

    const live = await scrape(test, token);
    const nginxLabels = { channel: 'main', destination: good.body.id, name: 'nginx' };
    const deadLabels = { channel: 'main', destination: dead.body.id, name: 'down' };
    expect(sample(live, 'restream_channel_on_air', { channel: 'main' })).toBe(1);
    expect(sample(live, 'restream_channel_source', { channel: 'main', source: 'live' })).toBe(1);
    expect(sample(live, 'restream_channel_source', { channel: 'main', source: 'fallback' })).toBe(0);
    // testsrc2 at 1000 kbit/s plus 128 kbit/s AAC.
    const inputBps = sample(live, 'restream_input_bitrate_bits_per_second', { channel: 'main' })!;
    expect(inputBps).toBeGreaterThan(200_000);
    expect(inputBps).toBeLessThan(5_000_000);
    expect(sample(live, 'restream_input_frames_per_second', { channel: 'main' })).toBeCloseTo(30, -1);
    expect(sample(live, 'restream_output_state', { ...nginxLabels, state: 'live' })).toBe(1);
    expect(sample(live, 'restream_output_state', { ...nginxLabels, state: 'retrying' })).toBe(0);
    expect(sample(live, 'restream_output_state', { ...deadLabels, state: 'live' })).toBe(0);
    expect(sample(live, 'restream_output_bitrate_bits_per_second', nginxLabels)).toBeGreaterThan(200_000);
    expect(sample(live, 'restream_output_sent_bytes_total', nginxLabels)).toBeGreaterThan(100_000);
    expect(sample(live, 'restream_output_dropped_frames_total', nginxLabels)).toBe(0);
    expect(sample(live, 'restream_output_reconnects_total', deadLabels)).toBeGreaterThanOrEqual(1);
    expect(
      sample(live, 'restream_switches_total', { channel: 'main', to: 'live', reason: 'publisher-started' }),
    ).toBe(1);
    expect(sample(live, 'restream_broadcasts_total', { channel: 'main' })).toBe(1);

    // The network dies; OBS comes back; then it stops streaming (the test server's policy: end).
    await first.kill();
    await waitForSource(test, 'fallback', 'publisher-dropped');
    await sleep(2500);
    const second = publishTestStream({ url, seconds: 60 });
    await waitForSource(test, 'live', 'publisher-returned');
    await sleep(2000);
    await second.stop();
    await waitFor(async () => !(await mainChannel(test)).onAir, { what: 'off air', timeoutMs: 15_000 });

    const after = await scrape(test, token);
    for (const [to, reason] of [
      ['live', 'publisher-started'],
      ['fallback', 'publisher-dropped'],
      ['live', 'publisher-returned'],
      ['off', 'clean-stop'],
    ] as const) {
      expect(
        sample(after, 'restream_switches_total', { channel: 'main', to, reason }),
        `${to} ${reason}`,
      ).toBe(1);
    }
    const fallbackSeconds = sample(after, 'restream_fallback_seconds_total', { channel: 'main' })!;
    expect(fallbackSeconds).toBeGreaterThan(1);
    expect(fallbackSeconds).toBeLessThan(20);
    expect(sample(after, 'restream_channel_on_air', { channel: 'main' })).toBe(0);
    expect(sample(after, 'restream_input_bitrate_bits_per_second', { channel: 'main' })).toBe(0);
    expect(sample(after, 'restream_output_state', { ...nginxLabels, state: 'idle' })).toBe(1);
    expect(sample(after, 'restream_output_sent_bytes_total', nginxLabels)).toBeGreaterThan(
      sample(live, 'restream_output_sent_bytes_total', nginxLabels)!,
    );
    for (const key of [...keys, test.ingestKey, token]) expect(after).not.toContain(key);

    // The history: one session, newest first, with its switches and the dead platform's one failure.
    const history = await test.api<
      {
        channelId: string;
        startedAt: string;
        startReason: string;
        endedAt: string | null;
        endReason: string | null;
        switches: { at: string; from: string; to: string; reason: string }[];
        outputFailures: { at: string; destinationId: string; destinationName: string; error: string }[];
      }[]
    >('GET', '/api/history?channelId=main&limit=10');
    expect(history.status).toBe(200);
    expect(history.body).toHaveLength(1);
    const [session] = history.body;
    expect(session).toMatchObject({
      channelId: 'main',
      startReason: 'publisher-started',
      endReason: 'clean-stop',
    });
    expect(Date.parse(session!.endedAt!) - Date.parse(session!.startedAt)).toBeGreaterThan(6000);
    expect(session!.switches.map(({ from, to, reason }) => ({ from, to, reason }))).toEqual([
      { from: 'live', to: 'fallback', reason: 'publisher-dropped' },
      { from: 'fallback', to: 'live', reason: 'publisher-returned' },
    ]);
    expect(Date.parse(session!.switches[1]!.at)).toBeGreaterThan(Date.parse(session!.switches[0]!.at));
    // A platform retrying all session long is one failure, not one per retry.
    expect(session!.outputFailures).toHaveLength(1);
    expect(session!.outputFailures[0]).toMatchObject({
      destinationId: dead.body.id,
      destinationName: 'down',
    });
    expect(session!.outputFailures[0]!.error).not.toBe('');
    for (const key of [...keys, test.ingestKey]) expect(history.text).not.toContain(key);

    expect((await test.api('GET', '/api/history')).body).toHaveLength(1);
    expect((await test.api('GET', '/api/history?channelId=nope')).status).toBe(404);
    const badLimit = await test.api<{ field: string }>('GET', '/api/history?limit=0');
    expect(badLimit.status).toBe(400);
    expect(badLimit.body.field).toBe('limit');
    expect((await test.api('GET', '/api/history?limit=abc')).status).toBe(400);
    await test.stop();
    await nginx.stop();
  });

  it('serves /metrics without a token when configured public', async () => {
    const test = await startTestServer({ env: { METRICS_PUBLIC: '1' } });
    const response = await fetch(`${test.httpBase}/metrics`);
    expect(response.status).toBe(200);
    expect(sample(await response.text(), 'restream_channel_on_air', { channel: 'main' })).toBe(0);
    // The API itself still needs credentials.
    const status = await fetch(`${test.httpBase}/api/status`);
    expect(status.status).toBe(401);
    await status.body?.cancel();
  });
});
