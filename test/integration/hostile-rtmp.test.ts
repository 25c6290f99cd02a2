/**
 * Hostile RTMP before authentication costs next to nothing (issue 10): raw sockets as the attacker,
 * each from its own loopback address, against our real server; a real ffmpeg publisher where the claim
 * is that a real OBS still gets in.
 */
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { encodeChunks } from '../../src/rtmp/chunk-writer.js';
import { createLogger } from '../../src/shared/logger.js';
import { publishTestStream } from '../helpers/ffmpeg.js';
import { probePackets } from '../helpers/ffprobe.js';
import { startNginxRtmp } from '../helpers/nginx-rtmp.js';
import { waitFor } from '../helpers/process.js';
import { missingPeers } from '../helpers/programs.js';
import { outputsByName, startTestServer, type TestServer } from '../helpers/server.js';
import { chunkFlood, openSession, setChunkSizeBytes, type RawSession } from '../soak/rtmp-attacks.js';

const missing = missingPeers('ffmpeg', 'nginx');

interface LogLine {
  msg: string;
  remote?: string;
  code?: string;
  reason?: string;
  suppressed?: number;
}

/** A test server whose log lines are kept, with the given environment (limits). */
async function serverWithLog(
  env: Record<string, string> = {},
): Promise<{ test: TestServer; lines: () => LogLine[] }> {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
  const test = await startTestServer({ env, start: { logger: createLogger('info', stream) } });
  const lines = (): LogLine[] =>
    text
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as LogLine);
  return { test, lines };
}

const refusalsFrom = (lines: LogLine[], remote: string): LogLine[] =>
  lines.filter((l) => l.remote === remote && l.msg === 'rtmp session closed');

describe('hostile RTMP before authentication', () => {
  it('refuses Set Chunk Size below 128: the session closes with a logged reason', async () => {
    const { test, lines } = await serverWithLog();
    const port = test.server.ports.rtmp;
    for (const size of [1, 127]) {
      const session = await openSession({ port, localAddress: `127.0.1.${size === 1 ? 1 : 2}` });
      await session.write(setChunkSizeBytes(size));
      await session.closed;
    }
    await waitFor(() => refusalsFrom(lines(), '127.0.1.2').length === 1, { what: 'the refusal logged' });
    for (const [remote, size] of [
      ['127.0.1.1', 1],
      ['127.0.1.2', 127],
    ] as const) {
      const [line] = refusalsFrom(lines(), remote);
      expect(line?.code).toBe('PROTOCOL_VIOLATION');
      expect(line?.reason).toContain(`Set Chunk Size ${size} (below 128)`);
    }
    // 128 is fine: the connection stays open.
    const fine = await openSession({ port, localAddress: '127.0.1.3' });
    await fine.write(setChunkSizeBytes(128));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(fine.isClosed()).toBe(false);
    fine.destroy();
  });

  it('cuts a never-ending message before a key: 1-byte chunks at once, 128-byte chunks at the budget', async () => {
    const { test, lines } = await serverWithLog();
    const port = test.server.ports.rtmp;
    const tiny = await chunkFlood(
      { port, localAddress: '127.0.2.1' },
      { chunkSize: 1, totalBytes: 16_000_000 },
    );
    const small = await chunkFlood(
      { port, localAddress: '127.0.2.2' },
      { chunkSize: 128, totalBytes: 16_000_000, declaredBytes: 100_000 },
    );
    expect(tiny.cutByServer).toBe(true);
    expect(small.cutByServer).toBe(true);
    await waitFor(() => refusalsFrom(lines(), '127.0.2.2').length === 1, { what: 'the refusal logged' });
    expect(refusalsFrom(lines(), '127.0.2.1')[0]?.code).toBe('PROTOCOL_VIOLATION');
    const [budget] = refusalsFrom(lines(), '127.0.2.2');
    expect(budget?.code).toBe('BUFFER_LIMIT');
    // Refused at its header: it could never complete within the 8 KiB an unauthenticated peer gets.
    expect(budget?.reason).toMatch(/message of 100000 bytes over the 8192-byte budget/);
    expect(test.server.manager.ingest.pendingCount).toBe(0);
  });

  it('cuts a peer that keeps sending complete messages without a key, after 64 KiB', async () => {
    const { test, lines } = await serverWithLog();
    const session = await openSession({ port: test.server.ports.rtmp, localAddress: '127.0.2.3' });
    const audio = encodeChunks(
      { typeId: 8, streamId: 1, timestamp: 0, payload: Buffer.alloc(1000, 0xaf) },
      4,
      128,
    );
    for (let i = 0; i < 200 && !session.isClosed(); i++) await session.write(audio);
    await session.closed;
    await waitFor(() => refusalsFrom(lines(), '127.0.2.3').length === 1, { what: 'the refusal logged' });
    const [line] = refusalsFrom(lines(), '127.0.2.3');
    expect(line?.code).toBe('BUFFER_LIMIT');
    expect(line?.reason).toContain('over 65536 bytes sent before authentication');
  });

  it('logs a refusal once per address and code per minute, however often it happens', async () => {
    const { test, lines } = await serverWithLog();
    const port = test.server.ports.rtmp;
    const refuse = async (localAddress: string): Promise<void> => {
      const session = await openSession({ port, localAddress });
      await session.write(setChunkSizeBytes(1));
      await session.closed;
    };
    for (let i = 0; i < 40; i++) await refuse('127.0.3.1');
    await refuse('127.0.3.2');
    await waitFor(() => refusalsFrom(lines(), '127.0.3.2').length === 1, {
      what: 'the second address logged',
    });
    expect(refusalsFrom(lines(), '127.0.3.1')).toHaveLength(1);
  });

  it('drops the oldest pending connection of an address past its per-address cap', async () => {
    const { test } = await serverWithLog({ RTMP_MAX_PENDING_PER_ADDRESS: '3' });
    const port = test.server.ports.rtmp;
    const same: RawSession[] = [];
    for (let i = 0; i < 4; i++) same.push(await openSession({ port, localAddress: '127.0.4.1' }));
    const other = await openSession({ port, localAddress: '127.0.4.2' });
    await same[0]?.closed;
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(same.map((s) => s.isClosed())).toEqual([true, false, false, false]);
    expect(other.isClosed()).toBe(false);
    expect(test.server.manager.ingest.pendingCount).toBe(4);
    for (const s of [...same, other]) s.destroy();
  });
});

describe.skipIf(missing !== '')(`a full pending pool ${missing}`, () => {
  it('drops the oldest pending connection, so a real publisher still gets in and reaches the platform', async () => {
    const nginx = await startNginxRtmp({ apps: [{ name: 'live', record: true }] });
    const { test, lines } = await serverWithLog({ RTMP_MAX_PENDING: '6' });
    const port = test.server.ports.rtmp;
    const created = await test.api('POST', '/api/platforms', {
      name: 'nginx',
      url: `rtmp://127.0.0.1:${nginx.port}/live`,
      streamKey: 'pool-key-0001',
    });
    expect(created.status).toBe(201);

    // Attackers fill the pool with connections that never publish.
    const attackers: RawSession[] = [];
    for (let i = 0; i < 6; i++) attackers.push(await openSession({ port, localAddress: `127.0.5.${i + 1}` }));
    expect(test.server.manager.ingest.pendingCount).toBe(6);

    const publisher = publishTestStream({ url: `${test.ingestBase}/${test.ingestKey}`, seconds: 6 });
    await waitFor(async () => (await outputsByName(test)).get('nginx')?.state === 'live', {
      what: 'the platform live',
      timeoutMs: 20_000,
      peer: publisher.process,
    });
    await publisher.waitForExit(20_000);
    await waitFor(async () => (await outputsByName(test)).get('nginx')?.state === 'idle', {
      what: 'the broadcast ended',
      timeoutMs: 15_000,
    });
    await nginx.stop();

    // The oldest attacker made room; the others still wait in the pool.
    expect(attackers.map((a) => a.isClosed())).toEqual([true, false, false, false, false, false]);
    expect(lines().some((l) => l.code === 'PENDING_LIMIT' && l.remote === '127.0.5.1')).toBe(true);
    for (const a of attackers) a.destroy();
    const [recording] = nginx.recordings('live');
    expect(recording).toBeDefined();
    const { video } = await probePackets(recording ?? '');
    // 6 s at 30 fps; the platform starts at the first keyframe it is sent.
    expect(video.length).toBeGreaterThan(120);
  });
});
