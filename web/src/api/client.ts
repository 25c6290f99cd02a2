import type { ErrorDto } from './types.js';

/** A failed API call: the HTTP status and the API's error body (`field` names the input at fault). */
export class ApiCallError extends Error {
  readonly status: number;
  readonly code: string;
  readonly field: string | undefined;

  constructor(status: number, body: Partial<ErrorDto> | undefined, fallback: string) {
    super(body?.message ?? fallback);
    this.name = 'ApiCallError';
    this.status = status;
    this.code = body?.error ?? 'HTTP_' + String(status);
    this.field = body?.field;
  }
}

type UnauthorizedListener = () => void;
const unauthorizedListeners = new Set<UnauthorizedListener>();

/** Called whenever the API answers 401 (the session ended): the app shows the login page. */
export function onUnauthorized(listener: UnauthorizedListener): () => void {
  unauthorizedListeners.add(listener);
  return () => unauthorizedListeners.delete(listener);
}

function notifyUnauthorized(): void {
  for (const listener of unauthorizedListeners) listener();
}

async function parseBody(response: Response): Promise<unknown> {
  const text = await response.text();
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * Calls the API with the session cookie. The browser sends Origin on POST/PUT/DELETE, which the API's
 * CSRF check wants. Throws {@link ApiCallError} for any non-2xx answer.
 */
export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const init: RequestInit = { method, credentials: 'same-origin', headers: { accept: 'application/json' } };
  if (body !== undefined) {
    init.headers = { accept: 'application/json', 'content-type': 'application/json' };
    init.body = JSON.stringify(body);
  }
  let response: Response;
  try {
    response = await fetch(path, init);
  } catch {
    throw new ApiCallError(0, undefined, 'The server cannot be reached. Is it running?');
  }
  const parsed = await parseBody(response);
  if (!response.ok) {
    if (response.status === 401 && path !== '/api/auth/login') notifyUnauthorized();
    throw new ApiCallError(response.status, parsed as Partial<ErrorDto> | undefined, response.statusText);
  }
  return parsed as T;
}

/** Progress of {@link uploadWithProgress}: bytes sent of the total. */
export interface UploadProgress {
  loaded: number;
  total: number;
}

/**
 * POSTs a multipart form with XMLHttpRequest, whose upload events report the transfer's progress
 * (fetch cannot). Resolves with the parsed JSON answer; rejects with {@link ApiCallError}.
 */
export function uploadWithProgress<T>(
  path: string,
  form: FormData,
  onProgress: (progress: UploadProgress) => void,
  signal?: AbortSignal,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', path);
    xhr.withCredentials = true;
    xhr.setRequestHeader('accept', 'application/json');
    xhr.upload.addEventListener('progress', (event) => {
      if (event.lengthComputable) onProgress({ loaded: event.loaded, total: event.total });
    });
    xhr.addEventListener('load', () => {
      let parsed: unknown;
      try {
        parsed = xhr.responseText === '' ? undefined : (JSON.parse(xhr.responseText) as unknown);
      } catch {
        parsed = undefined;
      }
      if (xhr.status >= 200 && xhr.status < 300) {
        resolve(parsed as T);
        return;
      }
      if (xhr.status === 401) notifyUnauthorized();
      reject(new ApiCallError(xhr.status, parsed as Partial<ErrorDto> | undefined, xhr.statusText));
    });
    xhr.addEventListener('error', () => {
      reject(new ApiCallError(0, undefined, 'The upload was interrupted (network error).'));
    });
    xhr.addEventListener('abort', () => {
      reject(new ApiCallError(0, undefined, 'The upload was cancelled.'));
    });
    signal?.addEventListener('abort', () => {
      xhr.abort();
    });
    xhr.send(form);
  });
}

/** The message of anything thrown, for a person. */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The API's field names, as the forms label them (its messages start with the field's name). */
const fieldWords: Readonly<Record<string, string>> = {
  streamKey: 'The stream key',
  url: 'The URL',
  name: 'The name',
  currentPassword: 'The current password',
  newPassword: 'The new password',
  channelId: 'The channel',
};

/** `streamKey must not be empty` → `The stream key must not be empty`. */
function humanise(message: string): string {
  const match = /^([A-Za-z]+)\b(.*)$/s.exec(message);
  const words = match ? fieldWords[match[1] ?? ''] : undefined;
  return words !== undefined && match ? `${words}${match[2] ?? ''}` : message;
}

/** Field errors of a failed call: `{ [field]: message }`, plus `''` for an error about no one field. */
export function fieldErrors(err: unknown): Record<string, string> {
  if (err instanceof ApiCallError && err.field !== undefined) return { [err.field]: humanise(err.message) };
  return { '': messageOf(err) };
}
