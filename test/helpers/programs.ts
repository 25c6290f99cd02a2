/** Finding the real programs the peers need, so that suites can skip cleanly where one is missing. */
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

// nginx lives in /usr/sbin, which a non-root PATH often lacks.
const EXTRA_DIRS = ['/usr/sbin', '/sbin', '/usr/local/sbin', '/opt/homebrew/bin', '/usr/local/bin'];

/** Absolute path of the first executable called one of `names` on PATH (plus sbin dirs), if any. */
export function findProgram(...names: string[]): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), ...EXTRA_DIRS];
  for (const name of names) {
    for (const dir of dirs) {
      const candidate = join(dir, name);
      try {
        accessSync(candidate, constants.X_OK);
        return candidate;
      } catch {
        // not here
      }
    }
  }
  return undefined;
}

/** A program of `names`, or throw saying which package provides it. */
export function requireProgram(pkg: string, ...names: string[]): string {
  const found = findProgram(...names);
  if (found === undefined) throw new Error(`${names.join(' or ')} not found (Debian package ${pkg})`);
  return found;
}

/** Paths where Debian's libnginx-mod-rtmp puts the dynamic module. */
export const RTMP_MODULE_CANDIDATES = [
  '/usr/lib/nginx/modules/ngx_rtmp_module.so',
  '/usr/lib64/nginx/modules/ngx_rtmp_module.so',
  '/usr/share/nginx/modules/ngx_rtmp_module.so',
];

/** The nginx rtmp module's path, if installed. */
export function findRtmpModule(): string | undefined {
  for (const candidate of RTMP_MODULE_CANDIDATES) {
    try {
      accessSync(candidate, constants.R_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * Which peers are missing, as a human reason for `describe.skipIf(...)`; empty when all are there.
 * Keys: ffmpeg, ffprobe, nginx (with the rtmp module), stunnel, openssl.
 */
export function missingPeers(
  ...peers: ('ffmpeg' | 'ffprobe' | 'nginx' | 'stunnel' | 'openssl' | 'curl')[]
): string {
  const missing: string[] = [];
  for (const peer of peers) {
    switch (peer) {
      case 'ffmpeg':
      case 'ffprobe':
        if (!findProgram(peer)) missing.push(`${peer} (apt-get install ffmpeg)`);
        break;
      case 'nginx':
        if (!findProgram('nginx')) missing.push('nginx (apt-get install nginx-light libnginx-mod-rtmp)');
        else if (!findRtmpModule()) missing.push('nginx rtmp module (apt-get install libnginx-mod-rtmp)');
        break;
      case 'stunnel':
        if (!findProgram('stunnel4', 'stunnel')) missing.push('stunnel (apt-get install stunnel4)');
        break;
      case 'openssl':
        if (!findProgram('openssl')) missing.push('openssl (apt-get install openssl)');
        break;
      case 'curl':
        if (!findProgram('curl')) missing.push('curl (apt-get install curl)');
        break;
    }
  }
  return missing.length > 0 ? `missing: ${missing.join(', ')}` : '';
}

/**
 * The reason to skip a real-peer suite (`describe.skipIf(reason !== '')`), or '' to run it. Under CI
 * (CI=true) it is always '': .ci/run installs every peer, so a missing one must fail loudly, not skip.
 */
export function peersSkipReason(...peers: Parameters<typeof missingPeers>): string {
  return process.env.CI === 'true' ? '' : missingPeers(...peers);
}
