import type { Duplex } from 'node:stream';
import { errorMessage } from '../shared/errors.js';
import { createDialer, type Dialer } from '../shared/dial.js';
import { ClientSession, publishTargetOf, type MediaSink } from '../rtmp/index.js';
import type { LiveSession } from './publisher.js';

/** Connect timeout for pulling from an external server. */
const connectTimeoutMs = 10_000;

/**
 * Plays `rtmp[s]://server/app/stream` from an external SRS or nginx-rtmp (whose on_publish hook told us
 * a streamer started there) and presents it as a live session. The external server saying the stream
 * ended (UnpublishNotify / Play.Stop) is a clean end; a lost connection is a drop. It dials the way
 * outputs do (shared/dial.ts: SNI and IPv6 literals handled alike).
 */
export function pullLiveSession(url: URL, dial: Dialer = createDialer()): LiveSession {
  const endListeners: ((clean: boolean, reason: string) => void)[] = [];
  let ended = false;
  let cleanEnd = false;
  let closed = false;
  let sink: MediaSink | undefined;
  let session: ClientSession | undefined;
  const end = (clean: boolean, reason: string): void => {
    if (ended) return;
    ended = true;
    for (const listener of endListeners) listener(clean, reason);
  };
  const play = (stream: Duplex): void => {
    const playing = new ClientSession(stream, publishTargetOf(url), { play: true });
    session = playing;
    playing.setMediaSink(sink);
    playing.on('ended', () => {
      cleanEnd = true;
    });
    playing.on('close', (info) => {
      end(cleanEnd, info.reason);
    });
  };
  dial(url, connectTimeoutMs).then(
    (stream) => {
      if (closed) stream.destroy();
      else play(stream);
    },
    (err: unknown) => {
      end(false, `no connection to the external server: ${errorMessage(err)}`);
    },
  );
  return {
    setMediaSink: (next) => {
      sink = next;
      session?.setMediaSink(next);
    },
    onEnd: (listener) => endListeners.push(listener),
    close: (reason) => {
      closed = true;
      if (session) session.close(reason);
      else end(false, reason);
      session = undefined;
    },
    get bytesRead() {
      return session?.bytesRead ?? 0;
    },
  };
}
