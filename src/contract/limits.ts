/**
 * Limits of what the API accepts, declared once: the control plane checks them (naming the field), the
 * API's JSON schemas publish them (OpenAPI), and the dashboard's hints say them. And the defaults the
 * limited settings start from.
 */
import type { ContinuitySettings } from './engine.js';

/** Inclusive limits of the numeric continuity settings. */
export const settingLimits = {
  /** Below 250 ms a normal network hiccup would count as a stall. */
  stallTimeoutMs: { min: 250, max: 60_000 },
  cleanStopGraceMs: { min: 0, max: 3_600_000 },
  fallbackTimeoutMs: { min: 0, max: 86_400_000 },
  thresholdKbps: { min: 1, max: 100_000 },
  /** The bitrate is measured over 1 s samples: a shorter window could not see a whole sample. */
  windowMs: { min: 1000, max: 600_000 },
} as const;

/** The built-in continuity settings (docs/architecture.md rule 4); server and channel settings override them. */
export const defaultContinuitySettings: Readonly<ContinuitySettings> = Object.freeze({
  stallTimeoutMs: 2000,
  cleanStopAction: 'fallback-then-end',
  cleanStopGraceMs: 30_000,
  fallbackTimeoutMs: 10 * 60_000,
  lowBitrate: null,
});

/** One of the settings {@link settingLimits} bounds. */
export type LimitedSetting = keyof typeof settingLimits;

/** Fewest characters an admin password may have, spaces at either end not counted: the API, the
 * start-up password (`RESTREAM_ADMIN_PASSWORD`) and the dashboard's hint all hold to it. */
export const minPasswordLength = 12;

/** Longest admin password accepted (scrypt hashes whatever it is given; keep that bounded). */
export const maxPasswordLength = 1024;

/** Why `password` is not acceptable as the admin password, or undefined when it is. */
export function passwordProblem(password: string): string | undefined {
  if (password.trim().length < minPasswordLength)
    return `must have at least ${minPasswordLength} characters besides spaces`;
  if (password.length > maxPasswordLength) return `must have at most ${maxPasswordLength} characters`;
  return undefined;
}
