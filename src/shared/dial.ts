import net from 'node:net';
import tls from 'node:tls';
import type { Duplex } from 'node:stream';
import { RestreamError } from './errors.js';

/** Why a dial failed, besides the socket's own errors (ECONNREFUSED, certificate errors…). */
export class DialError extends RestreamError<'CONNECT_TIMEOUT'> {}

/**
 * Opens the byte stream to an RTMP(S) server: an output's platform, or the external server a pull plays
 * from. Injectable so tests can add a private CA.
 */
export type Dialer = (url: URL, timeoutMs: number) => Promise<Duplex>;

/** TLS settings for rtmps:// servers. */
export interface TlsDialOptions {
  /** Extra trusted CA certificates (PEM), besides Node's store and NODE_EXTRA_CA_CERTS. */
  ca?: string | Buffer | (string | Buffer)[];
}

/** Default ports: 1935 for rtmp, 443 for rtmps (YouTube, Facebook, Kick all listen there). */
export function portOf(url: URL): number {
  if (url.port !== '') return Number(url.port);
  return url.protocol === 'rtmps:' ? 443 : 1935;
}

/**
 * Plain TCP for rtmp://, TLS with SNI (the URL's host; none for an IP literal, as RFC 6066 says) and
 * certificate checks for rtmps://. IPv6 literals lose their URL brackets before they reach the socket.
 */
export function createDialer(tlsOptions: TlsDialOptions = {}): Dialer {
  return (url, timeoutMs) =>
    new Promise<Duplex>((resolve, reject) => {
      const host = url.hostname.replace(/^\[|\]$/g, '');
      const port = portOf(url);
      const secure = url.protocol === 'rtmps:';
      const socket = secure
        ? tls.connect({
            host,
            port,
            ...(net.isIP(host) === 0 ? { servername: host } : {}),
            ...(tlsOptions.ca === undefined
              ? {}
              : { ca: [...tls.rootCertificates, ...[tlsOptions.ca].flat()] }),
          })
        : net.connect({ host, port });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new DialError('CONNECT_TIMEOUT', `no connection to ${host}:${port} within ${timeoutMs} ms`));
      }, timeoutMs);
      const ready = secure ? 'secureConnect' : 'connect';
      socket.once(ready, () => {
        clearTimeout(timer);
        socket.setNoDelay(true);
        resolve(socket);
      });
      socket.once('error', (err: Error) => {
        clearTimeout(timer);
        reject(err);
      });
    });
}
