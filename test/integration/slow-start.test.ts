/**
 * An encoder that publishes and then takes its time to send its first frame: a hardware encoder or
 * camera warming up, a loaded machine, a pull whose upstream publisher has not sent anything yet (what
 * made clock-jumps' pulled stream start with the 1280x720 slate in CI). Nothing has gone to the
 * platforms, so there is no drop to hide: the broadcast starts with the encoder's own picture, never
 * with a fallback made at guessed settings, and a publisher that leaves before its first frame ends the
 * attempt instead of starting a broadcast of the fallback (or a recording of nothing).
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { publishFlvLoop } from '../helpers/flv-publisher.js';
import { listenReceiver } from '../helpers/ffmpeg.js';
import { decodeErrors, probeStreams } from '../helpers/ffprobe.js';
import { startPacketSink } from '../helpers/packet-sink.js';
import { waitFor } from '../helpers/process.js';
import { missingPeers } from '../helpers/programs.js';
import { makeTempDir } from '../helpers/tmp.js';
import type { ChannelStatusDto } from '../../src/contract/index.js';
import { addReceiverPlatform, mainChannel, sampleMainChannel, startTestServer } from '../helpers/server.js';

const missing = missingPeers('ffmpeg', 'ffprobe');

const fixture = 'h264-baseline-854x480-aac44-stereo.flv';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The main channel as `mode/source`, e.g. `live/none` while the encoder has sent nothing. */
const modeAndSource = (c: ChannelStatusDto): string => `${c.mode}/${c.source ?? 'none'}`;

describe.skipIf(missing !== '')(`a slow first frame ${missing}`, () => {
  it('starts the broadcast with the encoder’s own picture when its first frame comes after the stall timeout', async () => {
    const receiverFile = path.join(makeTempDir('receiver'), 'got.flv');
    const receiver = await listenReceiver({ outFile: receiverFile });
    const test = await startTestServer({ start: { continuity: { stallTimeoutMs: 1000 } } });
    await addReceiverPlatform(test, receiver.port);
    const stopWatching = sampleMainChannel(test, modeAndSource);
    const live = publishFlvLoop(`${test.ingestBase}/${test.ingestKey}`, fixture, { silentForMs: 6000 });
    await live.publishing;
    await sleep(3000);
    // Three stall timeouts of silence, and the channel still waits for the encoder.
    expect(await mainChannel(test)).toMatchObject({ mode: 'live', source: null });
    await waitFor(async () => (await mainChannel(test)).source === 'live', {
      what: 'the encoder on air',
      timeoutMs: 20_000,
    });
    await sleep(3000);
    expect((await test.api('POST', '/api/channels/main/actions', { action: 'end' })).status).toBe(200);
    await receiver.waitForExit(20_000);
    const seen = stopWatching();
    live.stop();

    expect([...seen].filter((s) => s.endsWith('/fallback'))).toEqual([]);
    // The platform's first picture, which ffprobe reports, is the encoder's, not a 1280x720 slate.
    const streams = await probeStreams(receiverFile);
    expect(streams.video).toMatchObject({ codec: 'h264', width: 854, height: 480 });
    expect(streams.audio).toMatchObject({ codec: 'aac' });
    expect(await decodeErrors(receiverFile)).toBe('');
  });

  it('ends the attempt, without a fallback broadcast, when the encoder drops before its first frame', async () => {
    const platform = await startPacketSink();
    const test = await startTestServer({ start: { continuity: { stallTimeoutMs: 1000 } } });
    await addReceiverPlatform(test, platform.port);
    await test.api('PATCH', '/api/channels/main', { recording: true });
    const stopWatching = sampleMainChannel(test, modeAndSource);
    const live = publishFlvLoop(`${test.ingestBase}/${test.ingestKey}`, fixture, { silentForMs: 60_000 });
    await live.publishing;
    await sleep(3000);
    expect(await mainChannel(test)).toMatchObject({ mode: 'live', source: null });
    live.stop(false); // the network dies before the first frame
    await waitFor(async () => (await mainChannel(test)).mode === 'off', {
      what: 'off air',
      timeoutMs: 10_000,
    });
    await sleep(1000);
    const seen = stopWatching();

    expect(await mainChannel(test)).toMatchObject({ mode: 'off', reason: 'publisher-dropped', source: null });
    expect([...seen].filter((s) => s.endsWith('/fallback'))).toEqual([]);
    expect(platform.packets.filter((p) => p.kind === 'video')).toEqual([]);
    // Nothing was broadcast, so nothing was recorded: no empty or failed recording in the list.
    expect((await test.api('GET', '/api/recordings')).body).toEqual([]);
  });
});
