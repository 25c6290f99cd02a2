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
