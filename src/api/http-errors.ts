import type { FastifySchemaValidationError } from 'fastify';
import { RestreamError } from '../shared/errors.js';
import { channelActions } from '../contract/index.js';
import type { ErrorDto } from '../contract/index.js';

/** An HTTP answer for a failure: status and body. */
export interface HttpError {
  /** HTTP status code. */
  statusCode: number;
  /** JSON body. */
  body: ErrorDto;
}

/** The one place error codes become HTTP status. Codes not listed are server faults (500). */
const statusOfCode: Readonly<Record<string, number>> = {
  VALIDATION: 400,
  UNAUTHORIZED: 401,
  // Authenticated but refused: a cross-origin cookie request, a wrong current password.
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  // A fallback upload larger than the configured cap.
  TOO_LARGE: 413,
  // A fallback upload that arrived whole but cannot be used: not media, no video, cut short.
  NOT_MEDIA: 422,
  NO_VIDEO: 422,
  TRUNCATED: 422,
  // A Range header that is malformed or lies outside the file (e.g. the fallback original's preview).
  RANGE_NOT_SATISFIABLE: 416,
  RATE_LIMITED: 429,
  // ffmpeg/ffprobe not installed: the admin must fix the server, and the message says how.
  FFMPEG_MISSING: 503,
  // CONFORM_FAILED is not listed: conforming runs in the background and reports in its job's state, so
  // one reaching a route is a server fault.
};

/** `'a', 'b' or 'c'`, for a message listing the allowed values. */
function oneOf(values: readonly string[]): string {
  const quoted = values.map((value) => `'${value}'`);
  const last = quoted.pop() ?? '';
  return quoted.length === 0 ? last : `${quoted.join(', ')} or ${last}`;
}

/** Human messages for the validation failures a person is likely to make, by `field:keyword`. */
const hints: Readonly<Record<string, string>> = {
  'url:pattern': 'url must start with rtmp:// or rtmps://',
  'streamKey:pattern': 'streamKey must not contain spaces or line breaks',
  'name:pattern': 'name must not be blank',
  'action:enum': `action must be ${oneOf(channelActions)}`,
};

/** An error thrown by route code with a code the mapping knows (e.g. UNAUTHORIZED from the auth hook). */
export class ApiError extends RestreamError {
  /** The request field at fault, when one is. */
  readonly field: string | undefined;

  constructor(code: string, message: string, field?: string) {
    super(code, message);
    this.name = 'ApiError';
    this.field = field;
  }
}

/** The field an ajv error is about: the missing or unknown property, or the failing value's path. */
function fieldOf(error: FastifySchemaValidationError): string | undefined {
  const params = error.params;
  if (typeof params['missingProperty'] === 'string') return params['missingProperty'];
  if (typeof params['additionalProperty'] === 'string') return params['additionalProperty'];
  const path = error.instancePath.replace(/^\//, '').replaceAll('/', '.');
  return path === '' ? undefined : path;
}

/** A 400 for a schema validation failure, naming the field. */
export function validationError(errors: readonly FastifySchemaValidationError[], context: string): HttpError {
  const first = errors[0];
  const field = first && fieldOf(first);
  let message = `invalid ${context}`;
  if (first && field !== undefined) {
    const { keyword } = first;
    message =
      hints[`${field}:${keyword}`] ??
      (keyword === 'required'
        ? `${field} is required`
        : keyword === 'additionalProperties'
          ? `unknown field ${field}`
          : keyword === 'minLength' && (first.params as { limit?: unknown }).limit === 1
            ? `${field} must not be empty`
            : `${field} ${first.message ?? 'is invalid'}`);
  } else if (first?.keyword === 'minProperties') {
    message = `${context} must set at least one field`;
  } else if (first?.keyword === 'type') {
    message = `${context} ${first.message ?? 'has the wrong type'}`;
  }
  return {
    statusCode: 400,
    body: field === undefined ? { error: 'VALIDATION', message } : { error: 'VALIDATION', message, field },
  };
}

/**
 * Maps anything a route threw to an answer. RestreamErrors with a known code keep their message and
 * field; Fastify's own 4xx errors (bad JSON, wrong content type, body too large) keep their status and
 * message; everything else is a 500 that says nothing about the internals.
 */
export function toHttpError(err: unknown): HttpError {
  if (err instanceof RestreamError) {
    const { code } = err as RestreamError;
    const statusCode = statusOfCode[code];
    if (statusCode !== undefined) {
      const field = (err as { field?: unknown }).field;
      const body: ErrorDto = { error: code, message: err.message };
      if (typeof field === 'string') body.field = field;
      return { statusCode, body };
    }
  } else if (err instanceof Error) {
    const statusCode = (err as { statusCode?: unknown }).statusCode;
    if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500) {
      return { statusCode, body: { error: 'BAD_REQUEST', message: err.message } };
    }
  }
  return { statusCode: 500, body: { error: 'INTERNAL', message: 'internal error' } };
}
