/** Uploading a fallback video through the API, as the dashboard does (multipart, an admin token). */
import { readFileSync } from 'node:fs';
import type { FallbackJobDto } from '../../src/contract/index.js';
import type { TestServer } from './server.js';

/** POSTs the file at `path` as the main channel's fallback, named `name`; the answer's status and JSON. */
export async function uploadFallback(
  test: TestServer,
  path: string,
  name: string,
): Promise<{
  status: number;
  body: { job?: FallbackJobDto; error?: string; message?: string; field?: string };
}> {
  const form = new FormData();
  form.append('channelId', 'main');
  form.append('file', new Blob([readFileSync(path)]), name);
  const token = test.server.store.auth.createToken(`upload-${name}`).token;
  const response = await fetch(`${test.httpBase}/api/upload_fallback`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}` },
    body: form,
  });
  return { status: response.status, body: (await response.json()) as { job?: FallbackJobDto } };
}
