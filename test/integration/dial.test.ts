import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { createDialer, portOf } from '../../src/shared/dial.js';
import { missingPeers } from '../helpers/programs.js';
import { makeTestCa } from '../helpers/tls-terminator.js';

const missing = missingPeers('openssl');

describe('portOf', () => {
  it('defaults to 443 for rtmps (YouTube, Facebook, Kick) and 1935 for rtmp', () => {
    expect(portOf(new URL('rtmps://a.rtmps.youtube.com/live2'))).toBe(443);
    expect(portOf(new URL('rtmp://live.twitch.tv/app'))).toBe(1935);
    expect(portOf(new URL('rtmps://host:4443/app'))).toBe(4443);
  });
});

describe.skipIf(missing !== '')(`createDialer over TLS ${missing}`, () => {
  const closers: (() => void)[] = [];
  afterEach(() => {
    for (const close of closers.splice(0)) close();
  });

  /** A TLS server with the test CA's `localhost` certificate, recording the SNI name of each client ('none'). */
  async function tlsServer(): Promise<{ port: number; names: string[] }> {
    const ca = await makeTestCa();
    const names: string[] = [];
    const server = tls.createServer(
      { cert: readFileSync(ca.certFile), key: readFileSync(ca.keyFile) },
      (socket) => {
        names.push(socket.servername || 'none');
        socket.end();
      },
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    closers.push(() => server.close());
    return { port: (server.address() as AddressInfo).port, names };
  }

  const dialed = async (stream: Promise<Duplex>): Promise<void> => {
    const socket = await stream;
    closers.push(() => socket.destroy());
  };

  it("sends the URL's host as SNI and verifies the certificate against it", async () => {
    const { port, names } = await tlsServer();
    const dial = createDialer({ ca: readFileSync((await makeTestCa()).caFile) });
    await dialed(dial(new URL(`rtmps://localhost:${port}/app/key`), 5000));
    await expect.poll(() => names).toEqual(['localhost']);
  });

  it('sends no SNI for an IP address (RFC 6066), and still verifies the certificate', async () => {
    const { port, names } = await tlsServer();
    const dial = createDialer({ ca: readFileSync((await makeTestCa()).caFile) });
    await dialed(dial(new URL(`rtmps://127.0.0.1:${port}/app/key`), 5000));
    await expect.poll(() => names).toEqual(['none']);
  });

  it('refuses a certificate it cannot verify', async () => {
    const { port } = await tlsServer();
    await expect(createDialer()(new URL(`rtmps://localhost:${port}/app/key`), 5000)).rejects.toThrow(
      /certificate/i,
    );
  });
});
