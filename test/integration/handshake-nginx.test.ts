/**
 * ClientHandshake and encodeChunks against a real server (nginx-rtmp): handshake, then connect (longer
 * than one 128-byte chunk, so fmt-3 continuations), createStream and publish, read with ChunkReader.
 */
import { connect as dial, type Socket } from 'node:net';
import { afterEach, beforeEach, describe, it, expect } from 'vitest';
import { amfProps, decodeAmf0, encodeAmf0, type AmfValue } from '../../src/media/amf0.js';
import { ChunkReader, type RtmpMessage } from '../../src/rtmp/chunk-reader.js';
import { Csid, encodeChunks } from '../../src/rtmp/chunk-writer.js';
import { MessageType } from '../../src/rtmp/control.js';
import { ClientHandshake } from '../../src/rtmp/handshake.js';
import { startNginxRtmp, type NginxRtmp } from '../helpers/nginx-rtmp.js';

let nginx: NginxRtmp | undefined;
let socket: Socket | undefined;

beforeEach(async () => {
  nginx = await startNginxRtmp({ apps: [{ name: 'live' }] });
});

afterEach(async () => {
  socket?.destroy();
  socket = undefined;
  await nginx?.stop();
  nginx = undefined;
});

interface TinyClient {
  send(name: string, tx: number, streamId: number, ...args: AmfValue[]): void;
  next(): Promise<AmfValue[]>;
}

/** A tiny client: handshake (resolves once done), then every command the server sends, decoded. */
async function open(port: number): Promise<TinyClient> {
  const handshake = new ClientHandshake();
  const reader = new ChunkReader();
  const inbox: RtmpMessage[] = [];
  const waiters: (() => void)[] = [];
  let handshaking = true;
  let failure: Error | undefined;
  const s = dial(port, '127.0.0.1');
  socket = s;
  let handshakeDone: () => void = () => undefined;
  const ready = new Promise<void>((resolve, reject) => {
    handshakeDone = resolve;
    s.on('error', (err) => {
      failure = err;
      reject(err);
      waiters.splice(0).forEach((wake) => {
        wake();
      });
    });
  });
  s.write(handshake.start());
  s.on('data', (data: Buffer) => {
    let rest = data;
    if (handshaking) {
      const step = handshake.push(data);
      for (const bytes of step.send) s.write(bytes);
      if (!step.done) return;
      handshaking = false;
      handshakeDone();
      rest = step.rest;
    }
    inbox.push(...reader.push(rest).filter((m) => m.typeId === MessageType.commandAmf0));
    waiters.splice(0).forEach((wake) => {
      wake();
    });
  });
  await ready;
  return {
    send(name, tx, streamId, ...args) {
      const payload = encodeAmf0(name, tx, ...args);
      s.write(
        encodeChunks({ typeId: MessageType.commandAmf0, streamId, timestamp: 0, payload }, Csid.command, 128),
      );
    },
    async next() {
      while (inbox.length === 0) {
        if (failure) throw failure;
        await new Promise<void>((wake) => waiters.push(wake));
      }
      const message = inbox.shift();
      return message ? decodeAmf0(message.payload) : [];
    },
  };
}

describe('ClientHandshake + encodeChunks against nginx-rtmp', () => {
  it('connects, creates a stream and is allowed to publish', async () => {
    const port = nginx?.port ?? 0;
    const client = await open(port);
    client.send('connect', 1, 0, {
      app: 'live',
      type: 'nonprivate',
      flashVer: 'FMLE/3.0 (compatible; FMSc/1.0)',
      swfUrl: `rtmp://127.0.0.1:${port}/live`,
      tcUrl: `rtmp://127.0.0.1:${port}/live`,
    });
    const result = await client.next();
    expect(result[0]).toBe('_result');
    expect(amfProps(result[3])).toMatchObject({ code: 'NetConnection.Connect.Success' });

    client.send('createStream', 2, 0, null);
    const created = await client.next();
    expect(created.slice(0, 2)).toEqual(['_result', 2]);
    const streamId = created[3];
    expect(typeof streamId).toBe('number');

    client.send('publish', 3, Number(streamId), null, 'key', 'live');
    const status = await client.next();
    expect(status[0]).toBe('onStatus');
    expect(amfProps(status[3])).toMatchObject({ code: 'NetStream.Publish.Start' });
  });
});
