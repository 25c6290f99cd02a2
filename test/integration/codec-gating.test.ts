/**
 * Codec gating with real peers: an HEVC stream goes to a platform that takes it (a custom one) and not
 * to one that would refuse it (Twitch: H.264 only), which reports `incompatible` with the reason and
 * never connects; when the live codec becomes H.264, that platform goes live too, and when it turns
 * back to HEVC, its broadcast ends cleanly.
 *
 * ffmpeg 5.1 cannot mux HEVC into FLV/RTMP (Enhanced RTMP came in 6.1), so the HEVC "OBS" here is our
 * own RTMP client session publishing an Enhanced-RTMP FLV fixture (real libx265 output) in a loop, at
 * real-time pace; the H.264 one is ffmpeg.
 */
import { describe, expect, it } from 'vitest';
import { publishTestStream } from '../helpers/ffmpeg.js';
import { publishFlvLoop } from '../helpers/flv-publisher.js';
import { startNginxRtmp, endedCleanly } from '../helpers/nginx-rtmp.js';
import { waitFor } from '../helpers/process.js';
import { missingPeers } from '../helpers/programs.js';
import { outputsByName, startTestServer, type OutputStatusView } from '../helpers/server.js';

const missing = missingPeers('ffmpeg', 'nginx');

describe.skipIf(missing !== '')(`codec gating with real peers ${missing}`, () => {
  it('keeps HEVC from Twitch (incompatible, never connected) while a custom platform gets it, and follows the codec', async () => {
    const nginx = await startNginxRtmp({ apps: [{ name: 'twitch' }, { name: 'custom' }] });
    const test = await startTestServer();
    const ingest = `${test.ingestBase}/${test.ingestKey}`;

    // Twitch from its preset with only a key, but pointed at the local nginx: the codec list stays Twitch's.
    const twitch = await test.api('POST', '/api/platforms', {
      preset: 'twitch',
      streamKey: 'twitch-key',
      url: `rtmp://127.0.0.1:${nginx.port}/twitch`,
    });
    expect(twitch.status).toBe(201);
    expect(twitch.body).toMatchObject({ name: 'Twitch', preset: 'twitch' });
    const custom = await test.api('POST', '/api/platforms', {
      name: 'Own server',
      url: `rtmp://127.0.0.1:${nginx.port}/custom`,
      streamKey: 'custom-key',
    });
    expect(custom.status).toBe(201);

    const outputs = async (): Promise<Map<string, OutputStatusView>> => outputsByName(test);
    const stateOf = async (name: string): Promise<string | undefined> => (await outputs()).get(name)?.state;

    // 1. OBS sends HEVC (Enhanced RTMP).
    const hevc = publishFlvLoop(ingest, 'hevc-main-854x480-aac.flv');
    await hevc.publishing;
    await waitFor(async () => (await stateOf('Own server')) === 'live', { what: 'the custom platform live' });
    await waitFor(async () => (await stateOf('Twitch')) === 'incompatible', { what: 'Twitch incompatible' });
    const { body: status } = await test.api<{
      channels: { id: string; input: { codec: string | null } | null }[];
    }>('GET', '/api/status');
    expect(status.channels.find((c) => c.id === 'main')?.input?.codec).toBe('hevc');
    expect((await outputs()).get('Twitch')).toMatchObject({
      state: 'incompatible',
      lastError: 'Twitch accepts H.264 only; the stream is HEVC',
      bytes: 0,
    });
    // It stays that way while the stream goes on, and nginx never saw a publish for Twitch.
    const framesBefore = hevc.videoFrames();
    await waitFor(() => hevc.videoFrames() >= framesBefore + 30, { what: 'a second more of HEVC' });
    expect(await stateOf('Twitch')).toBe('incompatible');
    expect(await stateOf('Own server')).toBe('live');
    expect(nginx.errorLog()).toContain("name='custom-key'");
    expect(nginx.errorLog()).not.toContain('twitch-key');

    // 2. OBS reconnects with H.264 (a takeover: same key, the old session replaced): Twitch goes live.
    const h264 = publishTestStream({ url: ingest });
    await waitFor(async () => (await stateOf('Twitch')) === 'live', {
      what: 'Twitch live on H.264',
      timeoutMs: 15_000,
      peer: h264.process,
    });
    expect((await outputs()).get('Twitch')?.lastError).toBeNull();
    expect(nginx.errorLog()).toContain("name='twitch-key'");
    expect(await stateOf('Own server')).toBe('live');
    await waitFor(async () => ((await outputs()).get('Twitch')?.bytes ?? 0) > 50_000, {
      what: 'Twitch receiving H.264',
      peer: h264.process,
    });

    // 3. Back to HEVC: Twitch's broadcast ends (cleanly) and it reports why; the custom platform goes on.
    const publishesBefore = nginx.errorLog().split("name='twitch-key'").length;
    const hevcAgain = publishFlvLoop(ingest, 'hevc-main-854x480-aac.flv');
    await hevcAgain.publishing;
    await waitFor(async () => (await stateOf('Twitch')) === 'incompatible', {
      what: 'Twitch incompatible again',
      timeoutMs: 15_000,
    });
    expect((await outputs()).get('Twitch')?.lastError).toBe('Twitch accepts H.264 only; the stream is HEVC');
    expect(await stateOf('Own server')).toBe('live');
    await h264.waitForExit(10_000).catch(() => undefined);
    // No new publish to Twitch was attempted after the switch.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(nginx.errorLog().split("name='twitch-key'").length).toBe(publishesBefore);
    expect(endedCleanly(nginx.errorLog(), 'twitch-key')).toBe(true);
    hevcAgain.stop();
    hevc.stop(false);
    await nginx.stop();
  }, 60_000);
});

describe.skipIf(missing !== '')(`audio codec gating with real peers ${missing}`, () => {
  it('keeps MP3 audio from Twitch (AAC only) with the reason in status, while YouTube and a custom platform get it', async () => {
    const nginx = await startNginxRtmp({
      apps: [{ name: 'twitch' }, { name: 'youtube' }, { name: 'custom' }],
    });
    const test = await startTestServer();
    const ingest = `${test.ingestBase}/${test.ingestKey}`;
    for (const platform of [
      { preset: 'twitch', streamKey: 'twitch-key', url: `rtmp://127.0.0.1:${nginx.port}/twitch` },
      { preset: 'youtube', streamKey: 'youtube-key', url: `rtmp://127.0.0.1:${nginx.port}/youtube` },
      { name: 'Own server', url: `rtmp://127.0.0.1:${nginx.port}/custom`, streamKey: 'custom-key' },
    ]) {
      expect((await test.api('POST', '/api/platforms', platform)).status).toBe(201);
    }
    const stateOf = async (name: string): Promise<OutputStatusView | undefined> =>
      (await outputsByName(test)).get(name);
    const mp3 = publishTestStream({ url: ingest, audioCodec: 'mp3', seconds: 30 });
    await waitFor(async () => (await stateOf('Own server'))?.state === 'live', {
      what: 'the custom platform live',
      peer: mp3.process,
    });
    await waitFor(async () => (await stateOf('YouTube'))?.state === 'live', { what: 'YouTube live on MP3' });
    await waitFor(async () => (await stateOf('Twitch'))?.state === 'incompatible', {
      what: 'Twitch incompatible',
    });
    expect(await stateOf('Twitch')).toMatchObject({
      lastError: "Twitch accepts AAC audio only; the stream's audio is MP3",
      bytes: 0,
    });
    expect(nginx.errorLog()).not.toContain('twitch-key');

    // OBS comes back with AAC (a takeover): Twitch goes live.
    const aac = publishTestStream({ url: ingest, seconds: 30 });
    await waitFor(async () => (await stateOf('Twitch'))?.state === 'live', {
      what: 'Twitch live on AAC',
      timeoutMs: 15_000,
      peer: aac.process,
    });
    expect(nginx.errorLog()).toContain("name='twitch-key'");
    await aac.kill();
    await mp3.kill();
    await nginx.stop();
  }, 60_000);
});
