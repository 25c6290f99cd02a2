/**
 * Bad RTMP input closes only its own session, with a logged reason; a real publisher next to it goes on.
 */
import net from 'node:net';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ClientHandshake } from '../../src/rtmp/handshake.js';
import { encodeChunks } from '../../src/rtmp/chunk-writer.js';
import { createLogger } from '../../src/shared/logger.js';
import { publishTestStream } from '../helpers/ffmpeg.js';
import { waitFor } from '../helpers/process.js';
import { missingPeers } from '../helpers/programs.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const missing = missingPeers('ffmpeg');

/** Opens a raw connection, does a real handshake, sends `payload`, and resolves when the server closes. */
function sendAfterHandshake(port: number, payload: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const handshake = new ClientHandshake();
    let done = false;
    socket.on('connect', () => socket.write(handshake.start()));
    socket.on('data', (chunk: Buffer) => {
      if (done) return;
      const step = handshake.push(chunk);
      for (const out of step.send) socket.write(out);
      if (step.done) {
        done = true;
        socket.write(payload);
      }
    });
    socket.on('close', () => {
      resolve();
    });
    socket.on('error', () => undefined);
    setTimeout(() => {
      socket.destroy();
      reject(new Error('the server did not close the bad session'));
    }, 10_000).unref();
  });
}

async function onAir(test: TestServer): Promise<boolean> {
  const { body } = await test.api<{ channels: { source: string | null }[] }>('GET', '/api/status');
  return body.channels[0]?.source === 'live';
}

describe.skipIf(missing !== '')(`bad RTMP input ${missing}`, () => {
  it('closes each malformed session with a logged reason while a real publisher streams on', async () => {
    const logs = new PassThrough();
    const lines: string[] = [];
    logs.on('data', (chunk: Buffer) => lines.push(chunk.toString()));
    const test = await startTestServer({ start: { logger: createLogger('info', logs) } });
    const publisher = publishTestStream({ url: `${test.ingestBase}/${test.ingestKey}`, seconds: 30 });
    await waitFor(() => onAir(test), { what: 'live on air', timeoutMs: 20_000, peer: publisher.process });

    const port = test.server.ports.rtmp;
    // 1. Not RTMP at all (wrong version byte).
    await new Promise<void>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () =>
        socket.write(Buffer.from('GET / HTTP/1.1\r\n\r\n')),
      );
      socket.on('close', () => {
        resolve();
      });
      socket.on('error', () => undefined);
    });
    // 2. A message declaring 16 MiB - 1 (the most the field allows; over the cap): refused before allocating it.
    const huge = Buffer.from([0x03, 0, 0, 0, 0xff, 0xff, 0xff, 0x14, 0, 0, 0, 0]);
    await sendAfterHandshake(port, huge);
    // 3. A command whose AMF0 is garbage.
    await sendAfterHandshake(
      port,
      encodeChunks(
        { typeId: 20, streamId: 0, timestamp: 0, payload: Buffer.from([0x02, 0xff, 0xff, 0x41]) },
        3,
        128,
      ),
    );
    // 4. Set Chunk Size 0.
    await sendAfterHandshake(
      port,
      encodeChunks({ typeId: 1, streamId: 0, timestamp: 0, payload: Buffer.from([0, 0, 0, 0]) }, 2, 128),
    );

    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(await onAir(test), 'the real publisher is still on air').toBe(true);
    const closed = lines
      .filter((line) => line.includes('rtmp session closed'))
      .map((line) => JSON.parse(line) as { reason: string });
    const reasons = closed.map((c) => c.reason).join('\n');
    expect(reasons).toMatch(/handshake|version/i);
    expect(reasons).toMatch(/message of 16777215 bytes \(limit/);
    expect(reasons).toMatch(/AMF|command/i);
    expect(reasons).toMatch(/chunk size/i);
    await publisher.kill();
  });
});
