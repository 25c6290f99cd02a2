import net from 'node:net';
import tls from 'node:tls';
import { ClientSession, publishTargetOf } from '../rtmp/index.js';
import type { LiveSession } from './publisher.js';

/** Connect timeout for pulling from an external server. */
const connectTimeoutMs = 10_000;

/**
 * Plays `rtmp[s]://server/app/stream` from an external SRS or nginx-rtmp (whose on_publish hook told us
 * a streamer started there) and presents it as a live session. The external server saying the stream
 * ended (UnpublishNotify / Play.Stop) is a clean end; a lost connection is a drop.
 */
export function pullLiveSession(url: URL): LiveSession {
  const endListeners: ((clean: boolean, reason: string) => void)[] = [];
  let ended = false;
  let cleanEnd = false;
  let session: ClientSession | undefined;
  const end = (clean: boolean, reason: string): void => {
    if (ended) return;
    ended = true;
    for (const listener of endListeners) listener(clean, reason);
  };
  const socket: net.Socket =
    url.protocol === 'rtmps:'
      ? tls.connect({ host: url.hostname, port: Number(url.port || 443), servername: url.hostname })
      : net.connect({ host: url.hostname, port: Number(url.port || 1935) });
  socket.setTimeout(connectTimeoutMs);
  socket.once('timeout', () => socket.destroy(new Error('no answer from the external server')));
  socket.once(url.protocol === 'rtmps:' ? 'secureConnect' : 'connect', () => {
    socket.setTimeout(0);
  });
  session = new ClientSession(socket, publishTargetOf(url), { play: true });
  session.on('ended', () => {
    cleanEnd = true;
  });
  session.on('close', (info) => {
    end(cleanEnd, info.reason);
  });
  return {
    setMediaSink: (sink) => {
      session?.setMediaSink(sink);
    },
    onEnd: (listener) => endListeners.push(listener),
    close: (reason) => {
      session?.close(reason);
      session = undefined;
    },
    get bytesRead() {
      return session?.bytesRead ?? 0;
    },
  };
}
