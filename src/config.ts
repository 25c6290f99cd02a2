import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { LevelWithSilent } from 'pino';

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
  /** Limits on RTMP connections that have not published or played yet. */
  rtmpPending: {
    /** Most such connections at once; a new one drops the oldest. */
    maxPending: number;
    /** Most from one address; a new one drops that address's oldest. */
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
  'rtmp-max-pending': {
    env: 'RTMP_MAX_PENDING',
    def: '64',
    help: 'most RTMP connections not yet publishing or playing (a new one drops the oldest)',
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
  const count = (name: OptionName, min: number): number => {
    const value = Number(get(name));
    if (!Number.isInteger(value) || value < min)
      throw new ConfigError(`${options[name].env} must be an integer of at least ${min}, got '${get(name)}'`);
    return value;
  };
  const logLevel = get('log-level');
  if (!levels.includes(logLevel)) throw new ConfigError(`LOG_LEVEL must be one of ${levels.join(', ')}`);
  const certFile = get('rtmps-cert');
  const keyFile = get('rtmps-key');
  if ((certFile === '') !== (keyFile === ''))
    throw new ConfigError('RTMPS needs both RTMPS_CERT and RTMPS_KEY');
  return {
    rtmpPort: port('rtmp-port'),
    rtmpHost: get('rtmp-host'),
    rtmpsPort: port('rtmps-port'),
    rtmpsTls: certFile === '' ? undefined : { cert: readFileSync(certFile), key: readFileSync(keyFile) },
    httpPort: port('http-port'),
    httpHost: get('http-host'),
    dataDir: path.resolve(get('data-dir')),
    adminPassword: get('admin-password') || undefined,
    logLevel: logLevel as LevelWithSilent,
    metricsPublic: flag('metrics-public'),
    hookSecret: get('hook-secret') || undefined,
    hookPullBase: get('hook-pull-base') || undefined,
    rtmpPending: {
      maxPending: count('rtmp-max-pending', 1),
      maxPendingPerAddress: count('rtmp-max-pending-per-address', 1),
      setupTimeoutMs: count('rtmp-setup-timeout-ms', 1000),
    },
  };
}

/** The options table for `restream serve --help`. */
export function configHelp(): string {
  return Object.entries(options)
    .map(
      ([name, o]) =>
        `  --${name.padEnd(16)} ${o.env.padEnd(24)} ${o.help}${o.def ? ` (default ${o.def})` : ''}`,
    )
    .join('\n');
}
