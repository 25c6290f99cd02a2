/**
 * The one base error. Every module declares its own string codes (in its `errors.ts`) and wraps what it
 * catches at its boundary with `{ cause }`; only the API maps codes to HTTP status.
 */
export class RestreamError<Code extends string = string> extends Error {
  /** A stable machine-readable code, e.g. `'HANDSHAKE_FAILED'`. */
  readonly code: Code;

  constructor(code: Code, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RestreamError';
    this.code = code;
  }
}

/** The message of anything thrown, for logs and status fields. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

/** The code of a RestreamError, or of a Node system error (`ECONNRESET`…), if it has one. */
export function errorCode(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string')
    return err.code;
  return undefined;
}
