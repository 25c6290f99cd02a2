import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import path from 'node:path';
import type { LevelWithSilent } from 'pino';
import type { HttpLimits } from './api/http-limits.js';
import { passwordProblem } from './contract/index.js';

/** The process configuration: environment variables, overridden by command-line flags. */
export interface ServerConfig {
  /** RTMP ingest port (OBS publishes here). */
  rtmpPort: number;
  /** Address the RTMP listener binds. */
  rtmpHost: string;
  /** RTMPS ingest port; used only when a certificate and key are configured. */
  rtmpsPort: number;
  /** PEM certificate and key for RTMPS ingest, if any. */
  rtmpsTls: { cert: Buffer; key: Buffer } | undefined;
  /** HTTP API and dashboard port. */
  httpPort: number;
  /** Address the HTTP server binds. */
  httpHost: string;
  /** PEM certificate and key: the dashboard and API are served over HTTPS on `httpPort`. */
  httpsTls: { cert: Buffer; key: Buffer } | undefined;
  /**
   * Reverse proxies whose X-Forwarded-Proto/Host/For are believed (`loopback`, addresses, CIDRs);
   * undefined: those headers are ignored.
   */
  trustProxy: string[] | undefined;
  /**
   * Timeouts and the connection cap of the HTTP server (HttpLimits, declared beside the code that applies
   * them; the upload rate floor is not configurable and keeps its default).
   */
  httpLimits: Omit<HttpLimits, 'uploadMinBytesPerWindow' | 'uploadWindowMs'>;
  /** A login session unused for this long ends (besides its fixed lifetime). */
  sessionIdleTimeoutMs: number;
  /** Where the SQLite database and media live. */
  dataDir: string;
  /** Admin password to set at start (otherwise the stored one, or a generated one on first start). */
  adminPassword: string | undefined;
  logLevel: LevelWithSilent;
  /** Serve `/metrics` without an API token (for a Prometheus on a trusted network). */
  metricsPublic: boolean;
  /** Shared secret SRS/nginx-rtmp hook URLs carry as `?secret=` (else only loopback may call them). */
  hookSecret: string | undefined;
  /** Where to pull a hook-announced stream from, `rtmp://host:port` (default: the hook's tcUrl host). */
  hookPullBase: string | undefined;
  /** Recordings kept in all, in bytes: past it the oldest finished ones are deleted. */
  recordingsMaxBytes: number;
  /** Free disk space below which recording pauses (with a warning) rather than fill the disk. */
  recordingsMinFreeBytes: number;
  /** How long media may wait to leave for a platform with what follows it, in one write (ms). */
  outputFlushMs: number;
  /** Limits on RTMP connections that have not published or played yet. */
  rtmpPending: {
    /** Most such connections at once; a new one drops the one idle longest. */
    maxPending: number;
    /** Most from one address; a new one drops that address's idlest. */
    maxPendingPerAddress: number;
    /** Closed when they have not published or played within this time. */
    setupTimeoutMs: number;
  };
}

/** One configuration option: its flag, environment variable, default and meaning (for --help). */
const options = {
  'rtmp-port': { env: 'RTMP_PORT', def: '1935', help: 'RTMP ingest port' },
  'rtmp-host': { env: 'RTMP_HOST', def: '0.0.0.0', help: 'address the RTMP listener binds' },
  'rtmps-port': {
    env: 'RTMPS_PORT',
    def: '1936',
    help: 'RTMPS ingest port (needs --rtmps-cert and --rtmps-key)',
  },
  'rtmps-cert': { env: 'RTMPS_CERT', def: '', help: 'PEM certificate file for RTMPS ingest' },
  'rtmps-key': { env: 'RTMPS_KEY', def: '', help: 'PEM private key file for RTMPS ingest' },
  'http-port': { env: 'HTTP_PORT', def: '8080', help: 'dashboard and API port' },
  'http-host': { env: 'HTTP_HOST', def: '0.0.0.0', help: 'address the HTTP server binds' },
  'https-cert': { env: 'HTTPS_CERT', def: '', help: 'PEM certificate file: serve the dashboard over HTTPS' },
  'https-key': { env: 'HTTPS_KEY', def: '', help: 'PEM private key file for HTTPS' },
  'trust-proxy': {
    env: 'TRUST_PROXY',
    def: '',
    help: 'reverse proxies to believe X-Forwarded-* from: loopback, or addresses/CIDRs, comma-separated',
  },
  'http-headers-timeout-ms': {
    env: 'HTTP_HEADERS_TIMEOUT_MS',
    def: '10000',
    help: 'time a client has to send its request headers',
  },
  'http-body-timeout-ms': {
    env: 'HTTP_BODY_TIMEOUT_MS',
    def: '15000',
    help: 'time a request body (not an upload) has to arrive',
  },
  'http-keepalive-timeout-ms': {
    env: 'HTTP_KEEPALIVE_TIMEOUT_MS',
    def: '5000',
    help: 'idle keep-alive connections are closed after this',
  },
  'http-idle-timeout-ms': {
    env: 'HTTP_IDLE_TIMEOUT_MS',
    def: '60000',
    help: 'connections with no traffic for this long are closed',
  },
  'http-max-connections': {
    env: 'HTTP_MAX_CONNECTIONS',
    def: '256',
    help: 'HTTP connections served at once',
  },
  'http-max-connections-per-address': {
    env: 'HTTP_MAX_CONNECTIONS_PER_ADDRESS',
    def: '32',
    help: 'HTTP connections served at once from one address (trusted proxies excepted)',
  },
  'session-idle-timeout-ms': {
    env: 'SESSION_IDLE_TIMEOUT_MS',
    def: '86400000',
    help: 'a login session unused this long ends',
  },
  'data-dir': { env: 'DATA_DIR', def: './data', help: 'database and media directory' },
  'admin-password': {
    env: 'RESTREAM_ADMIN_PASSWORD',
    def: '',
    help: 'admin password (else generated once and printed)',
  },
  'log-level': { env: 'LOG_LEVEL', def: 'info', help: 'fatal, error, warn, info, debug, trace or silent' },
  'metrics-public': {
    env: 'METRICS_PUBLIC',
    def: '0',
    help: '1: serve /metrics without an API token (0: a bearer token is required)',
  },
  'hook-secret': { env: 'HOOK_SECRET', def: '', help: 'secret for SRS/nginx-rtmp publish hooks (?secret=)' },
  'hook-pull-base': {
    env: 'HOOK_PULL_BASE',
    def: '',
    help: 'rtmp://host:port to pull hook-announced streams from',
  },
  'recordings-max-gb': {
    env: 'RECORDINGS_MAX_GB',
    def: '50',
    help: 'recordings kept in all, in GB (oldest deleted first)',
  },
  'recordings-min-free-gb': {
    env: 'RECORDINGS_MIN_FREE_GB',
    def: '2',
    help: 'free disk below which recording pauses, in GB',
  },
  'output-flush-ms': {
    env: 'OUTPUT_FLUSH_MS',
    def: '20',
    help: 'ms media may wait to go to a platform in one write with what follows (0-100)',
  },
  'rtmp-max-pending': {
    env: 'RTMP_MAX_PENDING',
    def: '64',
    help: 'most RTMP connections not yet publishing or playing (a new one drops the one idle longest)',
  },
  'rtmp-max-pending-per-address': {
    env: 'RTMP_MAX_PENDING_PER_ADDRESS',
    def: '8',
    help: 'the same, per remote address',
  },
  'rtmp-setup-timeout-ms': {
    env: 'RTMP_SETUP_TIMEOUT_MS',
    def: '15000',
    help: 'close an RTMP connection that has not published or played within this time',
  },
} as const;

type OptionName = keyof typeof options;
const levels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** Thrown for a configuration value that cannot work; the CLI prints it and exits 2. */
export class ConfigError extends Error {}

/** proxy-addr's named ranges, which Fastify's trustProxy understands. */
const namedProxyRanges: ReadonlySet<string> = new Set(['loopback', 'linklocal', 'uniquelocal']);

/** TRUST_PROXY as a list, each entry a named range, an address or a CIDR; ConfigError otherwise. */
function parseTrustProxy(value: string): string[] | undefined {
  const entries = value
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  if (entries.length === 0) return undefined;
  for (const entry of entries) {
    if (namedProxyRanges.has(entry)) continue;
    const [address = '', prefix, extra] = entry.split('/');
    const family = isIP(address);
    const bits = family === 4 ? 32 : 128;
    const prefixOk =
      prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= bits && extra === undefined);
    if (family === 0 || !prefixOk) {
      throw new ConfigError(
        `TRUST_PROXY entries must be loopback, linklocal, uniquelocal, an IP address or a CIDR; got '${entry}'`,
      );
    }
  }
  return entries;
}

/** Reads the configuration from flags and the environment. */
export function loadConfig(argv: string[], env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const { values } = parseArgs({
    args: argv,
    options: Object.fromEntries(Object.keys(options).map((name) => [name, { type: 'string' as const }])),
    strict: true,
    allowPositionals: false,
  });
  const get = (name: OptionName): string => {
    const flag = values[name];
    if (typeof flag === 'string') return flag;
    return env[options[name].env] ?? options[name].def;
  };
  const port = (name: OptionName): number => {
    const value = Number(get(name));
    if (!Number.isInteger(value) || value < 0 || value > 65535)
      throw new ConfigError(`${options[name].env} must be a port number, got '${get(name)}'`);
    return value;
  };
  const flag = (name: OptionName): boolean => {
    const value = get(name).trim().toLowerCase();
    if (['1', 'true', 'yes', 'on'].includes(value)) return true;
    if (['', '0', 'false', 'no', 'off'].includes(value)) return false;
    throw new ConfigError(`${options[name].env} must be 1 or 0, got '${get(name)}'`);
  };
  const gigabytes = (name: OptionName): number => {
    const value = Number(get(name));
    if (get(name).trim() === '' || !Number.isFinite(value) || value < 0)
      throw new ConfigError(`${options[name].env} must be a number of GB, got '${get(name)}'`);
    return Math.round(value * 1e9);
  };
  const tlsPair = (certName: OptionName, keyName: OptionName, what: string) => {
    const cert = get(certName);
    const key = get(keyName);
    if ((cert === '') !== (key === ''))
      throw new ConfigError(`${what} needs both ${options[certName].env} and ${options[keyName].env}`);
    return cert === '' ? undefined : { cert: readFileSync(cert), key: readFileSync(key) };
  };
  const adminPassword = get('admin-password');
  const weak = adminPassword === '' ? undefined : passwordProblem(adminPassword);
  if (weak !== undefined) throw new ConfigError(`RESTREAM_ADMIN_PASSWORD ${weak}`);
  const count = (name: OptionName, min: number): number => {
    const value = Number(get(name));
    if (!Number.isInteger(value) || value < min)
      throw new ConfigError(
        `${options[name].env} must be a whole number of at least ${min}, got '${get(name)}'`,
      );
    return value;
  };
  const logLevel = get('log-level');
  if (!levels.includes(logLevel)) throw new ConfigError(`LOG_LEVEL must be one of ${levels.join(', ')}`);
  return {
    rtmpPort: port('rtmp-port'),
    rtmpHost: get('rtmp-host'),
    rtmpsPort: port('rtmps-port'),
    rtmpsTls: tlsPair('rtmps-cert', 'rtmps-key', 'RTMPS'),
    httpPort: port('http-port'),
    httpHost: get('http-host'),
    httpsTls: tlsPair('https-cert', 'https-key', 'HTTPS'),
    trustProxy: parseTrustProxy(get('trust-proxy')),
    httpLimits: {
      headersTimeoutMs: count('http-headers-timeout-ms', 1),
      bodyTimeoutMs: count('http-body-timeout-ms', 1),
      keepAliveTimeoutMs: count('http-keepalive-timeout-ms', 1),
      idleTimeoutMs: count('http-idle-timeout-ms', 1),
      maxConnections: count('http-max-connections', 1),
      maxConnectionsPerAddress: count('http-max-connections-per-address', 1),
    },
    sessionIdleTimeoutMs: count('session-idle-timeout-ms', 1),
    dataDir: path.resolve(get('data-dir')),
    adminPassword: adminPassword || undefined,
    logLevel: logLevel as LevelWithSilent,
    metricsPublic: flag('metrics-public'),
    hookSecret: get('hook-secret') || undefined,
    hookPullBase: get('hook-pull-base') || undefined,
    recordingsMaxBytes: gigabytes('recordings-max-gb'),
    recordingsMinFreeBytes: gigabytes('recordings-min-free-gb'),
    outputFlushMs: flushMs(get('output-flush-ms')),
    rtmpPending: {
      maxPending: count('rtmp-max-pending', 1),
      maxPendingPerAddress: count('rtmp-max-pending-per-address', 1),
      setupTimeoutMs: count('rtmp-setup-timeout-ms', 1000),
    },
  };
}

function flushMs(text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0 || value > 100)
    throw new ConfigError(`OUTPUT_FLUSH_MS must be a whole number of ms from 0 to 100, got '${text}'`);
  return value;
}

/** The options table for `restream serve --help`. */
export function configHelp(): string {
  return Object.entries(options)
    .map(
      ([name, o]) =>
        `  --${name.padEnd(26)} ${o.env.padEnd(26)} ${o.help}${o.def ? ` (default ${o.def})` : ''}`,
    )
    .join('\n');
}
