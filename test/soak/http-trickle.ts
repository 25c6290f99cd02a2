/**
 * Slow HTTP request bodies (issue 10): raw sockets that announce a body and send it a byte at a time.
 * Whether and when the server cuts them is what is reported; the HTTP timeouts themselves live elsewhere.
 */
import net from 'node:net';

/** What became of the trickling requests. */
export interface TrickleReport {
  opened: number;
  /** Closed by the server before the end. */
  cut: number;
  /** Seconds from open to cut, for those cut. */
  cutAfterSec: number[];
}

/** A running trickle; `finish()` closes the survivors and reports. */
export interface Trickle {
  finish(): TrickleReport;
}

/**
 * Opens `count` connections to `port` (spread over `spreadMs`), each a POST announcing `bodyBytes` and
 * sending one byte every `everyMs`.
 */
export function startTrickle(
  port: number,
  options: { count: number; bodyBytes?: number; everyMs?: number; spreadMs?: number },
): Trickle {
  const sockets: net.Socket[] = [];
  const cutAfterSec: number[] = [];
  const timers: NodeJS.Timeout[] = [];
  let finishing = false;
  const everyMs = options.everyMs ?? 5000;
  for (let i = 0; i < options.count; i++) {
    const start = setTimeout(
      () => {
        const openedAt = Date.now();
        const socket = net.connect({ port, host: '127.0.0.1' });
        sockets.push(socket);
        socket.on('error', () => undefined);
        socket.on('data', () => undefined);
        socket.once('close', () => {
          if (!finishing) cutAfterSec.push((Date.now() - openedAt) / 1000);
        });
        socket.once('connect', () => {
          socket.write(
            'POST /api/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n' +
              `Content-Length: ${options.bodyBytes ?? 60_000}\r\n\r\n{`,
          );
          const drip = setInterval(() => {
            if (socket.destroyed) clearInterval(drip);
            else socket.write(' ');
          }, everyMs);
          timers.push(drip);
        });
      },
      Math.floor(((options.spreadMs ?? 3000) * i) / options.count),
    );
    timers.push(start);
  }
  return {
    finish: () => {
      finishing = true;
      for (const timer of timers) clearInterval(timer);
      for (const socket of sockets) socket.destroy();
      return { opened: sockets.length, cut: cutAfterSec.length, cutAfterSec: [...cutAfterSec] };
    },
  };
}
