import { RestreamError, errorCode } from '../shared/errors.js';

/** Why an output failed. */
export type RelayErrorCode = 'BAD_URL' | 'PUBLISH_TIMEOUT' | 'WRITE_STALLED';

export class RelayError extends RestreamError<RelayErrorCode> {}

/** Answers after which retrying cannot help: the platform said no, or the URL cannot work. */
const fatalCodes = new Set(['PUBLISH_REJECTED', 'CONNECT_REJECTED', 'BAD_URL']);

export function isFatal(err: unknown): boolean {
  const code = errorCode(err);
  return code !== undefined && fatalCodes.has(code);
}
