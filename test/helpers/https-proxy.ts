/**
 * nginx as the HTTPS reverse proxy in front of our server, running the shipped example
 * `deploy/nginx.conf` with only its port, certificate (the test CA's `localhost` one) and upstream
 * substituted, so the example is what is tested. Each substitution must match, or the helper throws:
 * an example that changed shape must be looked at, not silently half-applied.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, waitForListen } from './ports.js';
import { spawnPeer, type PeerExit, type PeerProcess } from './process.js';
import { requireProgram } from './programs.js';
import { makeTestCa } from './tls-terminator.js';
import { makeTempDir } from './tmp.js';

const exampleFile = fileURLToPath(new URL('../../deploy/nginx.conf', import.meta.url));

/** A running HTTPS proxy. */
export interface HttpsProxy {
  /** HTTPS port on 127.0.0.1 (name it `localhost`: the certificate's name). */
  readonly port: number;
  /** `https://localhost:PORT`: the origin a browser would be on. */
  readonly origin: string;
  /** CA certificate that verifies it. */
  readonly caFile: string;
  readonly process: PeerProcess;
  stop(): Promise<PeerExit>;
}

function replaceOnce(text: string, from: string | RegExp, to: string): string {
  const found = typeof from === 'string' ? text.includes(from) : from.test(text);
  if (!found) throw new Error(`deploy/nginx.conf no longer contains ${String(from)}`);
  return text.replace(from, to);
}

/** The example as a test runs it: HTTPS on `port` for localhost, in front of `upstreamPort`. */
export function proxySiteConfig(port: number, upstreamPort: number, cert: string, key: string): string {
  let site = readFileSync(exampleFile, 'utf8');
  site = replaceOnce(site, 'server 127.0.0.1:8080;', `server 127.0.0.1:${upstreamPort};`);
  site = replaceOnce(site, /listen 443 ssl http2;/, `listen 127.0.0.1:${port} ssl http2;`);
  site = replaceOnce(site, /\n\s*listen \[::\]:443 ssl http2;/, '');
  site = replaceOnce(site, /ssl_certificate\s+\S+;/, `ssl_certificate ${cert};`);
  site = replaceOnce(site, /ssl_certificate_key\s+\S+;/, `ssl_certificate_key ${key};`);
  // The port-80 redirect needs port 80: left out.
  site = replaceOnce(site, /# Plain HTTP only redirects\.\nserver \{[^}]*\}\n/, '');
  return site.replaceAll('restream.example.org', 'localhost');
}

/** Starts nginx with the example site; resolves once it listens. */
export async function startHttpsProxy(upstreamPort: number): Promise<HttpsProxy> {
  const nginx = requireProgram('nginx-light', 'nginx');
  const ca = await makeTestCa();
  const dir = makeTempDir('https-proxy');
  const port = await freePort();
  writeFileSync(join(dir, 'site.conf'), proxySiteConfig(port, upstreamPort, ca.certFile, ca.keyFile));
  const temp = (name: string): string => `${name}_temp_path ${join(dir, name)};`;
  const confFile = join(dir, 'nginx.conf');
  writeFileSync(
    confFile,
    [
      ...(process.getuid?.() === 0 ? ['user root;'] : []),
      'daemon off;',
      'worker_processes 1;',
      `pid ${join(dir, 'nginx.pid')};`,
      `error_log ${join(dir, 'error.log')} info;`,
      'events { worker_connections 256; }',
      'http {',
      '  access_log off;',
      `  ${temp('client_body')} ${temp('proxy')} ${temp('fastcgi')} ${temp('uwsgi')} ${temp('scgi')}`,
      `  include ${join(dir, 'site.conf')};`,
      '}',
      '',
    ].join('\n'),
  );
  const peer = spawnPeer(`nginx https proxy :${port}`, nginx, [
    '-e',
    join(dir, 'error.log'),
    '-p',
    dir,
    '-c',
    confFile,
  ]);
  await waitForListen(port, peer);
  return {
    port,
    origin: `https://localhost:${port}`,
    caFile: ca.caFile,
    process: peer,
    stop: () => peer.stop(),
  };
}
