/**
 * Rotating a channel's ingest key, as an admin does when the key leaked: the publisher on the old key
 * (a real ffmpeg, as OBS) is disconnected at once, and so is a player watching with it; the event
 * stream and the history say why; the old key is refused and the new one goes on air.
 */
import { describe, expect, it } from 'vitest';
import { publishTestStream } from '../helpers/ffmpeg.js';
import { spawnPeer, waitFor } from '../helpers/process.js';
import { missingPeers, requireProgram } from '../helpers/programs.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const missing = missingPeers('ffmpeg');

interface ChannelStatus {
  id: string;
  source: string | null;
  reason: string | null;
  input: unknown;
}

async function mainStatus(test: TestServer): Promise<ChannelStatus> {
  const { body } = await test.api<{ channels: ChannelStatus[] }>('GET', '/api/status');
  return body.channels.find((c) => c.id === 'main')!;
}

/** Collects `/api/events` (curl-free: fetch's body stream) until `stop()`. */
function collectEvents(test: TestServer, token: string): { text: () => string; stop: () => void } {
  const controller = new AbortController();
  let text = '';
  void (async () => {
    try {
      const response = await fetch(`${test.httpBase}/api/events`, {
        headers: { authorization: `Bearer ${token}` },
        signal: controller.signal,
      });
      const decoder = new TextDecoder();
      for await (const chunk of response.body ?? []) text += decoder.decode(chunk as Uint8Array);
    } catch {
      // Aborted at the end of the test.
    }
  })();
  return {
    text: () => text,
    stop: () => {
      controller.abort();
    },
  };
}

describe.skipIf(missing !== '')(`ingest key rotation ${missing}`, () => {
  it('disconnects the publisher and players on the old key at once, says so, and takes the new key', async () => {
    const test = await startTestServer();
    const oldKey = test.ingestKey;
    const events = collectEvents(test, test.server.store.auth.createToken('events', 'read').token);
    const obs = publishTestStream({ url: `${test.ingestBase}/${oldKey}` });
    await waitFor(async () => (await mainStatus(test)).source === 'live', {
      what: 'the publisher on air',
      timeoutMs: 20_000,
      peer: obs.process,
    });
    // A player watching the program with the ingest key.
    const player = spawnPeer('ffmpeg player', requireProgram('ffmpeg', 'ffmpeg'), [
      '-hide_banner',
      '-loglevel',
      'error',
      '-i',
      `${test.ingestBase}/${oldKey}`,
      '-f',
      'null',
      '-',
    ]);
    // Playing: connected and reading (a refused key would have ended it by now).
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(player.isRunning(), player.stderrTail()).toBe(true);

    const rotated = await test.api<{ streamKey: string }>('POST', '/api/channels/main/rotate-key');
    expect(rotated.status).toBe(200);
    const newKey = rotated.body.streamKey;
    expect(newKey).not.toBe(oldKey);

    // Both old-key sessions end, without anyone stopping them.
    await obs.waitForExit(10_000);
    await player.exited;
    const status = await mainStatus(test);
    expect(status.input).toBeNull();
    expect(status.reason).toBe('key-rotated');

    // The old key is refused; the new one goes on air.
    const stale = publishTestStream({ url: `${test.ingestBase}/${oldKey}`, seconds: 5 });
    const staleExit = await stale.waitForExit(15_000);
    expect(staleExit.code).not.toBe(0);
    const fresh = publishTestStream({ url: `${test.ingestBase}/${newKey}` });
    await waitFor(
      async () => {
        const s = await mainStatus(test);
        return s.source === 'live' && s.reason === 'publisher-returned';
      },
      { what: 'the new key on air', timeoutMs: 20_000, peer: fresh.process },
    );

    // The event stream and the history say why the channel went to its fallback.
    await waitFor(() => events.text().includes('"reason":"key-rotated"'), { what: 'the key-rotated event' });
    events.stop();
    const history = await test.api<{ switches: { to: string; reason: string }[] }[]>('GET', '/api/history');
    expect(history.body[0]?.switches).toContainEqual(
      expect.objectContaining({ to: 'fallback', reason: 'key-rotated' }),
    );
    await fresh.stop();
  });
});
