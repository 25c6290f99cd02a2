/**
 * Real ffmpeg as a PLAYER against ServerHandshake: ffmpeg sends a digest C1 and, because our S1 claims a
 * server version >= 3, verifies our S1 digest and S2 signature ("Server response validating failed" /
 * "Signature mismatch" otherwise). It only sends `connect` if it accepted them, so reading that connect
 * proves the handshake.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { afterEach, describe, it, expect } from 'vitest';
import { amfProps, decodeAmf0, type AmfValue } from '../../src/media/amf0.js';
import { ChunkReader } from '../../src/rtmp/chunk-reader.js';
import { MessageType } from '../../src/rtmp/control.js';
import { ServerHandshake } from '../../src/rtmp/handshake.js';

let server: Server | undefined;
let ffmpeg: ChildProcess | undefined;

afterEach(async () => {
  if (ffmpeg && ffmpeg.exitCode === null && ffmpeg.signalCode === null) ffmpeg.kill('SIGKILL');
  ffmpeg = undefined;
  await new Promise<void>((resolve) => {
    if (server)
      server.close(() => {
        resolve();
      });
    else resolve();
  });
  server = undefined;
});

interface Result {
  mode: 'plain' | 'digest' | undefined;
  connect: AmfValue[];
}

describe('ServerHandshake against real ffmpeg (player)', () => {
  it('completes the digest handshake and receives connect', async () => {
    const result = new Promise<Result>((resolve, reject) => {
      server = createServer((socket) => {
        const handshake = new ServerHandshake();
        const reader = new ChunkReader();
        let handshaking = true;
        socket.on('error', () => undefined);
        socket.on('data', (data: Buffer) => {
          try {
            let rest = data;
            if (handshaking) {
              const step = handshake.push(data);
              for (const bytes of step.send) socket.write(bytes);
              if (!step.done) return;
              handshaking = false;
              rest = step.rest;
            }
            for (const message of reader.push(rest)) {
              if (message.typeId !== MessageType.commandAmf0) continue;
              resolve({ mode: handshake.mode, connect: decodeAmf0(message.payload) });
              socket.destroy();
            }
          } catch (err) {
            reject(err instanceof Error ? err : new Error(String(err)));
            socket.destroy();
          }
        });
      });
      server.listen(0, '127.0.0.1');
    });
    await new Promise<void>((resolve) =>
      server?.once('listening', () => {
        resolve();
      }),
    );
    const { port } = server?.address() as AddressInfo;

    let stderr = '';
    const child = spawn(
      'ffmpeg',
      ['-nostdin', '-v', 'debug', '-i', `rtmp://127.0.0.1:${port}/live/x`, '-t', '1', '-f', 'null', '-'],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    ffmpeg = child;
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<never>((_, reject) =>
      child.once('exit', (code) => {
        reject(new Error(`ffmpeg exited (${code}) before connect:\n${stderr}`));
      }),
    );

    const { mode, connect } = await Promise.race([result, exited]);
    expect(mode).toBe('digest');
    expect(connect.slice(0, 2)).toEqual(['connect', 1]);
    expect(amfProps(connect[2])).toMatchObject({ app: 'live', tcUrl: `rtmp://127.0.0.1:${port}/live` });
    expect(stderr).toContain('Server version 13.14.10.13');
    expect(stderr).not.toMatch(/validating failed|Signature mismatch/);
  });
});
