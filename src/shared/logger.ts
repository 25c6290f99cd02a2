import { pino, type Logger as PinoLogger, type LevelWithSilent, type DestinationStream } from 'pino';

/** The structured logger used everywhere (pino). */
export type Logger = PinoLogger;

/**
 * Field names whose values are secrets; pino replaces them wherever they appear in a log object, so a
 * stream key or a password cannot reach a log line by accident.
 */
export const redactedFields = [
  'streamKey',
  'ingestKey',
  'previewKey',
  'password',
  'token',
  'authorization',
  'cookie',
  '*.streamKey',
  '*.ingestKey',
  '*.previewKey',
  '*.password',
  '*.token',
  'req.headers.authorization',
  'req.headers.cookie',
];

/** Creates the process logger (JSON lines on stdout, or silent). */
export function createLogger(level: LevelWithSilent = 'info', destination?: NodeJS.WritableStream): Logger {
  const options = { level, redact: { paths: redactedFields, censor: '[redacted]' }, base: null };
  return destination ? pino(options, destination as DestinationStream) : pino(options);
}

/** A logger that writes nothing (tests, library use). */
export const silentLogger: Logger = createLogger('silent');

/**
 * Masks a stream key for display: only the last 4 characters remain, and not even those when the key
 * is too short for that to be safe.
 */
export function maskSecret(secret: string): string {
  if (secret.length === 0) return '';
  if (secret.length <= 8) return '****';
  return `****${secret.slice(-4)}`;
}

/**
 * An RTMP URL with its stream key (the last path segment) masked, for logs and status.
 */
export function maskUrlKey(url: string): string {
  const queryAt = url.indexOf('?');
  const path = queryAt === -1 ? url : url.slice(0, queryAt);
  const slash = path.lastIndexOf('/');
  if (slash === -1 || slash < path.indexOf('//') + 2) return url;
  return `${path.slice(0, slash + 1)}${maskSecret(path.slice(slash + 1))}${queryAt === -1 ? '' : '?…'}`;
}
