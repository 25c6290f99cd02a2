import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { pullLiveSession } from '../../../src/ingest/puller.js';

describe('pullLiveSession', () => {
  const closers: (() => void)[] = [];
  afterEach(() => {
    for (const close of closers.splice(0)) close();
  });

  it('dials an IPv6 literal without its URL brackets (the dialer outputs use)', async () => {
    const server = net.createServer();
    closers.push(() => server.close());
    await new Promise<void>((resolve) => server.listen(0, '::1', resolve));
    const { port } = server.address() as net.AddressInfo;
    const accepted = new Promise<string>((resolve) => {
      server.once('connection', (socket) => {
        resolve(socket.localAddress ?? '');
        socket.destroy();
      });
    });
    const ends: string[] = [];
    const live = pullLiveSession(new URL(`rtmp://[::1]:${port}/live/key`));
    live.onEnd((_clean, reason) => ends.push(reason));
    closers.push(() => {
      live.close('test over');
    });
    expect(await accepted).toBe('::1');
    // It got a connection, not a resolver error about a host named "[::1]".
    expect(ends.join(' ')).not.toMatch(/ENOTFOUND/);
  });
});
