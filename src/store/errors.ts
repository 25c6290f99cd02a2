import { RestreamError } from '../shared/errors.js';

/** Error codes of the store; the API maps them to HTTP status. */
export type StoreErrorCode = 'NOT_FOUND' | 'CONFLICT' | 'VALIDATION' | 'STORE_FAILED';

/**
 * A store failure. `field` names the input field at fault (a duplicate `name`, an unknown `channelId`),
 * so the API can tell the user which field to fix.
 */
export class StoreError extends RestreamError<StoreErrorCode> {
  /** The input field at fault, when there is one. */
  readonly field: string | undefined;

  constructor(code: StoreErrorCode, message: string, options?: { field?: string; cause?: unknown }) {
    super(code, message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'StoreError';
    this.field = options?.field;
  }
}

/** True when `err` is SQLite's answer to a violated UNIQUE or PRIMARY KEY constraint. */
export function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}
