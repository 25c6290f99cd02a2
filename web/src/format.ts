import type { OutputState, SwitchReason } from './api/types.js';

/** `1h 02m`, `3m 05s`, `12s`. */
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (h > 0) return `${h}h ${String(m).padStart(2, '0')}m`;
  if (m > 0) return `${m}m ${String(s).padStart(2, '0')}s`;
  return `${s}s`;
}

/** Time since an ISO instant, or '' when there is none. */
export function since(iso: string | null | undefined, now: number): string {
  if (!iso) return '';
  return formatDuration(now - Date.parse(iso));
}

/** `850 kbps`, `6.2 Mbps`. */
export function formatKbps(kbps: number): string {
  if (kbps >= 10_000) return `${(kbps / 1000).toFixed(1)} Mbps`;
  if (kbps >= 1000) return `${(kbps / 1000).toFixed(2)} Mbps`;
  return `${Math.round(kbps)} kbps`;
}

/** `512 B`, `3.4 MB`, `1.20 GB`. */
export function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let value = bytes / 1000;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 2 : 1)} ${units[unit] ?? 'TB'}`;
}

/** A wall-clock time, `14:05`. */
export function clockTime(iso: string): string {
  return new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

/** Why the channel switched, in words. */
export function reasonText(reason: SwitchReason | null): string {
  switch (reason) {
    case null:
      return '';
    case 'publisher-started':
      return 'OBS started streaming';
    case 'publisher-dropped':
      return 'OBS connection dropped';
    case 'publisher-stalled':
      return 'OBS stopped sending video (stalled)';
    case 'low-bitrate':
      return 'OBS bitrate too low';
    case 'clean-stop':
      return 'OBS stopped streaming';
    case 'publisher-returned':
      return 'OBS came back';
    case 'manual':
      return 'switched by hand';
    case 'fallback-timeout':
      return 'the fallback ran out of time';
    case 'key-rotated':
      return 'the stream key was rotated';
  }
}

/** An output state as a badge label. */
export function stateText(state: OutputState): string {
  switch (state) {
    case 'idle':
      return 'Idle';
    case 'connecting':
      return 'Connecting';
    case 'live':
      return 'Live';
    case 'retrying':
      return 'Retrying';
    case 'failed':
      return 'Failed';
    case 'disabled':
      return 'Disabled';
    case 'incompatible':
      return 'Wrong codec';
  }
}

/** Known failure texts of a platform connection, as advice a streamer can act on. */
const errorHints: readonly [RegExp, string][] = [
  [
    /ECONNREFUSED|refused the connection|connection refused/i,
    'The platform refused the connection. Check the server URL.',
  ],
  [
    /ENOTFOUND|EAI_AGAIN|getaddrinfo/i,
    'The server name could not be found. Check the server URL and your internet connection.',
  ],
  [
    /ETIMEDOUT|CONNECT_TIMEOUT|timed? ?out/i,
    'The platform did not answer in time. Retrying; check your internet connection.',
  ],
  [/ECONNRESET|EPIPE|socket hang up|closed the connection/i, 'The platform closed the connection.'],
  [
    /BadName|bad ?key|stream key|PUBLISH_REJECTED|publish.*(rejected|refused)|unauthori[sz]ed|forbidden/i,
    'The platform rejected the stream key. Paste the current key from the platform.',
  ],
  [
    /certificate|TLS|SSL|self[- ]signed/i,
    'The secure (RTMPS) connection failed: certificate or TLS problem.',
  ],
  [/codec/i, 'The platform does not accept this video codec. Change the encoder in OBS.'],
  [/WRITE_STALLED|stopped reading|stalled/i, 'The platform stopped taking data; reconnecting.'],
];

/** The last error of a platform, in words, with the raw text kept for the curious. */
export function errorInWords(error: string | null): { words: string; raw: string } | null {
  if (error === null || error === '') return null;
  for (const [pattern, words] of errorHints) if (pattern.test(error)) return { words, raw: error };
  return { words: error, raw: error };
}
