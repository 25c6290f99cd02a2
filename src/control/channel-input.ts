/**
 * What a channel may be given through the API: continuity settings within sane ranges, and ids that
 * are URL- and path-safe slugs. Pure functions; the control plane turns a problem into a 400.
 */
import { cleanStopActions, settingLimits, type ContinuitySettings } from '../contract/index.js';

/** Some continuity settings, as a create or update gives them. */
export type SettingsPatch = Partial<ContinuitySettings>;

/** A rejected input: the field at fault (dotted path) and why. */
export interface InputProblem {
  field: string;
  message: string;
}

/** Channel ids: lowercase letters, digits and dashes, 1 to 32 of them. */
export const channelIdPattern = /^[a-z0-9-]{1,32}$/;

function checkRange(
  value: unknown,
  field: string,
  limits: { min: number; max: number },
): InputProblem | undefined {
  if (value === undefined) return { field, message: `${field} is required` };
  if (typeof value !== 'number' || !Number.isInteger(value))
    return { field, message: `${field} must be an integer` };
  if (value < limits.min || value > limits.max)
    return { field, message: `${field} must be between ${limits.min} and ${limits.max}` };
  return undefined;
}

/**
 * The first problem of a settings patch (fields named `settings.<name>`), or undefined when every given
 * field is valid. Unknown fields are problems too: a typo must not be silently ignored.
 */
export function settingsProblem(patch: object): InputProblem | undefined {
  for (const [key, value] of Object.entries(patch)) {
    const field = `settings.${key}`;
    let problem: InputProblem | undefined;
    switch (key) {
      case 'stallTimeoutMs':
      case 'cleanStopGraceMs':
      case 'fallbackTimeoutMs':
        problem = checkRange(value, field, settingLimits[key]);
        break;
      case 'cleanStopAction':
        if (!(cleanStopActions as readonly unknown[]).includes(value))
          problem = { field, message: `${field} must be one of ${cleanStopActions.join(', ')}` };
        break;
      case 'lowBitrate':
        problem = lowBitrateProblem(value, field);
        break;
      default:
        problem = { field, message: `unknown field ${field}` };
    }
    if (problem) return problem;
  }
  return undefined;
}

function lowBitrateProblem(value: unknown, field: string): InputProblem | undefined {
  if (value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value))
    return { field, message: `${field} must be null (off) or { thresholdKbps, windowMs }` };
  const rule = value as Record<string, unknown>;
  for (const key of Object.keys(rule)) {
    if (key !== 'thresholdKbps' && key !== 'windowMs')
      return { field: `${field}.${key}`, message: `unknown field ${field}.${key}` };
  }
  return (
    checkRange(rule['thresholdKbps'], `${field}.thresholdKbps`, settingLimits.thresholdKbps) ??
    checkRange(rule['windowMs'], `${field}.windowMs`, settingLimits.windowMs)
  );
}

/**
 * A channel id made from its name: lowercase ASCII letters and digits, other runs as one dash, at most
 * 32 characters ("Late Night Show!" -> `late-night-show`); `channel` when nothing is left. The caller
 * makes it unique.
 */
export function slugOf(name: string): string {
  const slug = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+/, '')
    .slice(0, 32)
    .replace(/-+$/, '');
  return slug === '' ? 'channel' : slug;
}

/** `base`, or `base-2`, `base-3`… (still at most 32 characters), the first that `taken` says is free. */
export function uniqueId(base: string, taken: (id: string) => boolean): string {
  if (!taken(base)) return base;
  for (let n = 2; ; n++) {
    const suffix = `-${n}`;
    const id = `${base.slice(0, 32 - suffix.length).replace(/-+$/, '')}${suffix}`;
    if (!taken(id)) return id;
  }
}

/**
 * `base`, or `base 2`, `base 3`… (at most 64 characters), the first that `taken` (case-insensitive, as
 * the store compares names) says is free: a platform made from a preset without a name.
 */
export function uniqueName(base: string, taken: readonly string[]): string {
  const used = new Set(taken.map((name) => name.toLowerCase()));
  if (!used.has(base.toLowerCase())) return base;
  for (let n = 2; ; n++) {
    const suffix = ` ${n}`;
    const name = `${base.slice(0, 64 - suffix.length)}${suffix}`;
    if (!used.has(name.toLowerCase())) return name;
  }
}
