/**
 * A real TLS terminator for RTMPS destinations: stunnel4 accepts TLS on 127.0.0.1 with a throwaway CA's
 * certificate for `localhost` and forwards plain TCP to an RTMP sink (nginx-rtmp or an ffmpeg receiver).
 * The relay connects with SNI `localhost` and verifies against `caFile`.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, waitForListen } from './ports.js';
import { spawnPeer, type PeerExit, type PeerProcess } from './process.js';
import { requireProgram } from './programs.js';
import { makeTempDir } from './tmp.js';

/** A throwaway CA and a server certificate it signed. */
export interface TestCa {
  /** Directory holding the files. */
  dir: string;
  /** The CA certificate (PEM): what a client trusts. */
  caFile: string;
  /** The server certificate (PEM) for DNS:localhost and IP:127.0.0.1. */
  certFile: string;
  /** The server's private key (PEM). */
  keyFile: string;
}

function openssl(args: string[], cwd: string): Promise<void> {
  const bin = requireProgram('openssl', 'openssl');
  return new Promise((resolve, reject) => {
    execFile(bin, args, { cwd, timeout: 30_000 }, (err, _stdout, stderr) => {
      if (err) reject(new Error(`openssl ${args.join(' ')} failed: ${err.message}\n${stderr}`));
      else resolve();
    });
  });
}

let cached: Promise<TestCa> | undefined;

/**
 * Make (once per process; EC P-256, valid 2 days) a CA and a `localhost` server certificate with the
 * openssl CLI, in a temp dir removed at process exit.
 */
export function makeTestCa(): Promise<TestCa> {
  cached ??= (async () => {
    const dir = makeTempDir('ca', 'process');
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
    // prettier-ignore
    await openssl(
      ['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=restream test CA',
       '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'],
      dir,
    );
    await openssl(
      ['req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost'],
      dir,
    );
    writeFileSync(
      join(dir, 'server.ext'),
      [
        'subjectAltName=DNS:localhost,IP:127.0.0.1',
        'basicConstraints=critical,CA:FALSE',
        'keyUsage=critical,digitalSignature',
        'extendedKeyUsage=serverAuth',
        '',
      ].join('\n'),
    );
    // prettier-ignore
    await openssl(
      ['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-out', 'server.pem',
       '-days', '2', '-set_serial', `0x${randomBytes(8).toString('hex')}`, '-extfile', 'server.ext'],
      dir,
    );
    return {
      dir,
      caFile: join(dir, 'ca.pem'),
      certFile: join(dir, 'server.pem'),
      keyFile: join(dir, 'server.key'),
    };
  })();
  const result = cached;
  // A failure is not cached: the next call tries again.
  result.catch(() => {
    if (cached === result) cached = undefined;
  });
  return result;
}

/** Options of {@link startTlsTerminator}. */
export interface TlsTerminatorOptions {
  /** TLS port to accept on 127.0.0.1; default a free one. */
  acceptPort?: number;
  /** Plain TCP port on 127.0.0.1 to forward to. */
  connectPort: number;
  /** How long to wait for it to listen (default 10000 ms). */
  startTimeoutMs?: number;
}

/** A running TLS terminator. */
export interface TlsTerminator {
  /** TLS port on 127.0.0.1. */
  readonly port: number;
  /** CA certificate to verify the server with (servername `localhost`). */
  readonly caFile: string;
  /** The whole test CA. */
  readonly ca: TestCa;
  /** The stunnel process. */
  readonly process: PeerProcess;
  /** `rtmps://localhost:PORT/APP/KEY`. */
  url(app: string, key: string): string;
  /** Stop stunnel (SIGTERM, SIGKILL after a timeout). */
  stop(): Promise<PeerExit>;
}

/** stunnel in the foreground: TLS on `acceptPort` -> plain TCP to `connectPort`. */
export async function startTlsTerminator(options: TlsTerminatorOptions): Promise<TlsTerminator> {
  const stunnel = requireProgram('stunnel4', 'stunnel4', 'stunnel');
  const ca = await makeTestCa();
  const dir = makeTempDir('stunnel');
  for (let attempt = 1; ; attempt++) {
    const port = options.acceptPort ?? (await freePort());
    const confFile = join(dir, 'stunnel.conf');
    writeFileSync(
      confFile,
      [
        'foreground = yes',
        // An empty pid disables the pid file.
        'pid =',
        'syslog = no',
        'debug = notice',
        '[rtmps]',
        `accept = 127.0.0.1:${port}`,
        `connect = 127.0.0.1:${options.connectPort}`,
        `cert = ${ca.certFile}`,
        `key = ${ca.keyFile}`,
        // Close both sides at once when one ends, instead of lingering.
        'TIMEOUTclose = 0',
        '',
      ].join('\n'),
    );
    const peer = spawnPeer(`stunnel :${port}->:${options.connectPort}`, stunnel, [confFile]);
    try {
      await waitForListen(port, peer, options.startTimeoutMs ?? 10_000);
    } catch (err) {
      await peer.kill();
      if (
        peer.stderrTail().includes('Address already in use') &&
        options.acceptPort === undefined &&
        attempt < 3
      ) {
        continue;
      }
      throw err;
    }
    return {
      port,
      caFile: ca.caFile,
      ca,
      process: peer,
      url: (app, key) => `rtmps://localhost:${port}/${app}/${key}`,
      stop: () => peer.stop(),
    };
  }
}
