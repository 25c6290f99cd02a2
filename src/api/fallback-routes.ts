import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { dirname, extname } from 'node:path';
import { pipeline } from 'node:stream/promises';
import multipart from '@fastify/multipart';
import type { FastifyBaseLogger, FastifyInstance, FastifyRequest } from 'fastify';
import { RestreamError } from '../shared/errors.js';
import { bytesInWords } from '../shared/units.js';
import type { ApiBackend } from './backend.js';
import type { ChannelFallbackDto, FallbackJobDto, OkDto, UploadFallbackDto } from '../contract/index.js';
import { sendFileRange } from './byte-range.js';
import { ApiError } from './http-errors.js';
import { allowSlowBody, type HttpLimits } from './http-limits.js';
import {
  channelFallbackResponse,
  fallbackJobResponse,
  idParams,
  okResponse,
  uploadFallbackQuery,
  uploadFallbackResponse,
} from './schemas.js';

/** Channel an upload goes to when the form and the query name none. */
const defaultChannelId = 'main';

/**
 * Room for multipart framing (boundaries, part headers, the channelId field) over the file itself when
 * judging a declared Content-Length: beyond the cap plus this, the upload is refused before it is read.
 */
const framingAllowanceBytes = 64 * 1024;

/** Same rule as the `id` schema: 1..64 characters. */
function validChannelId(value: unknown): value is string {
  return typeof value === 'string' && value.length >= 1 && value.length <= 64;
}

/**
 * The upload's file name as the admin will see it listed: its last path segment, without control
 * characters, at most 255 characters. Display only: it never becomes part of a filesystem path.
 */
function displayName(filename: string): string {
  const base = filename.split(/[\\/]/).pop() ?? '';
  return (
    base
      .replace(/\p{Cc}/gu, '')
      .trim()
      .slice(0, 255) || 'upload'
  );
}

function tooLarge(maxBytes: number): ApiError {
  return new ApiError(
    'TOO_LARGE',
    `the file is larger than the upload limit of ${bytesInWords(maxBytes)}`,
    'file',
  );
}

/** Deletes a temp upload; a failure to is logged, never allowed to hide the answer's real reason. */
async function discard(path: string, log: FastifyBaseLogger): Promise<void> {
  try {
    await rm(path, { force: true });
  } catch (err) {
    log.warn({ err, path }, 'could not delete a refused fallback upload');
  }
}

/** Codes by which the library refuses an upload's content: the form's `file` field is at fault. */
const fileFaultCodes: ReadonlySet<string> = new Set(['NOT_MEDIA', 'NO_VIDEO', 'TRUNCATED', 'TOO_LARGE']);

/** The library's refusal of the file itself, naming the form field; anything else unchanged. */
function fileFault(err: unknown): unknown {
  if (!(err instanceof RestreamError)) return err;
  const { code, message } = err as RestreamError;
  return fileFaultCodes.has(code) && !('field' in err) ? new ApiError(code, message, 'file') : err;
}

/** What a failure while reading the form means for the client. */
function formError(err: unknown): unknown {
  if (err instanceof RestreamError) return err;
  const code = (err as { code?: unknown } | null)?.code;
  if (code === 'FST_FILES_LIMIT') return new ApiError('VALIDATION', 'send one file per upload', 'file');
  if (code === 'FST_FIELDS_LIMIT' || code === 'FST_PARTS_LIMIT') {
    return new ApiError('VALIDATION', 'too many form fields');
  }
  // Disk trouble (ENOSPC, EACCES…) is the server's fault: a 500, logged.
  if (typeof (err as { syscall?: unknown } | null)?.syscall === 'string') return err;
  // Anything else came from parsing the request: cut short, or not well-formed multipart.
  return new ApiError('VALIDATION', 'the upload was cut short or is not valid multipart/form-data', 'file');
}

/** A received upload: on disk at `path`, which the caller must hand on or delete. */
interface ReceivedUpload {
  path: string;
  originalName: string;
  /** The form's `channelId` field, when it had one. */
  channelId: string | undefined;
}

/**
 * Reads the form, streaming its `file` part to a fresh path from the backend (never buffered in
 * memory), and checks a `channelId` field as soon as it arrives so an upload for an unknown channel is
 * refused before the file is written, when the field comes first. On any failure the partial file is
 * deleted.
 */
async function receiveUpload(
  request: FastifyRequest,
  backend: ApiBackend,
  maxBytes: number,
): Promise<ReceivedUpload | undefined> {
  let path: string | undefined;
  let originalName = '';
  let channelId: string | undefined;
  try {
    for await (const part of request.parts({
      limits: { fileSize: maxBytes, files: 1, fields: 4, fieldSize: 1024, parts: 5 },
    })) {
      if (part.type === 'field') {
        if (part.fieldname === 'file') {
          throw new ApiError('VALIDATION', 'file must be a file part (curl: -F file=@video.mp4)', 'file');
        }
        if (part.fieldname !== 'channelId') {
          throw new ApiError('VALIDATION', `unknown field ${part.fieldname}`, part.fieldname);
        }
        if (channelId !== undefined) throw new ApiError('VALIDATION', 'channelId given twice', 'channelId');
        if (!validChannelId(part.value)) {
          throw new ApiError('VALIDATION', 'channelId must be 1 to 64 characters', 'channelId');
        }
        backend.fallback.checkChannel(part.value);
        channelId = part.value;
        continue;
      }
      if (part.fieldname !== 'file') {
        part.file.resume();
        throw new ApiError('VALIDATION', `unknown field ${part.fieldname}`, part.fieldname);
      }
      path = backend.fallback.uploadPath();
      originalName = displayName(part.filename);
      await mkdir(dirname(path), { recursive: true });
      await pipeline(part.file, createWriteStream(path, { flags: 'wx', mode: 0o600 }));
      // Past the cap busboy reads on but discards, so the answer comes after the whole request.
      if (part.file.truncated) throw tooLarge(maxBytes);
    }
  } catch (err) {
    if (path !== undefined) await discard(path, request.log);
    throw formError(err);
  }
  return path === undefined ? undefined : { path, originalName, channelId };
}

/** Content types of the originals a browser can play back, by lowercase extension. */
const videoTypes: Readonly<Record<string, string>> = {
  '.mp4': 'video/mp4',
  '.webm': 'video/webm',
  '.mov': 'video/quicktime',
  '.mkv': 'video/x-matroska',
};

/** Fallback video: upload, conform jobs, a channel's fallback library. */
export function registerFallbackRoutes(app: FastifyInstance, backend: ApiBackend, limits: HttpLimits): void {
  // Multipart parsing is registered in a scope of its own: only the upload route accepts
  // multipart/form-data, and everywhere else a multipart body stays an unsupported type (415). It
  // ignores Fastify's bodyLimit (it streams), so the 64 KiB JSON limit holds for every route,
  // this one included; the file's own cap is `limits.fileSize`.
  void app.register(async (scope) => {
    await scope.register(multipart, { throwFileSizeLimit: false });

    /*
     * POST /api/upload_fallback, multipart/form-data: `file` (required, one) and `channelId`
     * (optional, default 'main'), which may also be the query's `?channelId=`. The channel may come
     * before or after the file; named first (or in the query), an unknown channel is refused before a
     * byte of the file is written. 202 { job } once the file is checked as media; conforming runs on.
     */
    scope.post<{ Querystring: { channelId?: string } }>(
      '/api/upload_fallback',
      { schema: { querystring: uploadFallbackQuery, response: { 202: uploadFallbackResponse } } },
      async (request, reply): Promise<UploadFallbackDto> => {
        if (!request.isMultipart()) {
          throw new ApiError(
            'VALIDATION',
            'send the video as multipart/form-data in a field named file',
            'file',
          );
        }
        const maxBytes = backend.fallback.maxUploadBytes();
        const declaredBytes = Number(request.headers['content-length']);
        if (Number.isFinite(declaredBytes) && declaredBytes > maxBytes + framingAllowanceBytes) {
          // Refused before reading: close the connection rather than read gigabytes to discard them.
          void reply.header('connection', 'close');
          throw tooLarge(maxBytes);
        }
        const queryChannelId = request.query.channelId;
        if (queryChannelId !== undefined) backend.fallback.checkChannel(queryChannelId);
        // Authenticated and about to be read: the body may take as long as it keeps a sane rate.
        allowSlowBody(request, limits);

        const upload = await receiveUpload(request, backend, maxBytes);
        if (!upload) throw new ApiError('VALIDATION', 'file is required', 'file');
        let job: FallbackJobDto;
        try {
          if (
            queryChannelId !== undefined &&
            upload.channelId !== undefined &&
            queryChannelId !== upload.channelId
          ) {
            throw new ApiError('VALIDATION', 'channelId differs between the query and the form', 'channelId');
          }
          const channelId = upload.channelId ?? queryChannelId ?? defaultChannelId;
          job = await backend.fallback.accept(channelId, upload.path, upload.originalName);
        } catch (err) {
          // Refused: the temp file goes; the channel's previous fallback was never touched.
          await discard(upload.path, request.log);
          throw fileFault(err);
        }
        void reply.code(202).header('location', `/api/fallback/jobs/${encodeURIComponent(job.id)}`);
        return { job };
      },
    );
  });

  app.get<{ Params: { id: string } }>(
    '/api/fallback/jobs/:id',
    { schema: { params: idParams, response: { 200: fallbackJobResponse } } },
    (request): FallbackJobDto => backend.fallback.job(request.params.id),
  );

  app.get<{ Params: { id: string } }>(
    '/api/channels/:id/fallback',
    { schema: { params: idParams, response: { 200: channelFallbackResponse } } },
    (request): ChannelFallbackDto => backend.fallback.channel(request.params.id),
  );

  /*
   * GET /api/channels/:id/fallback/original: the stored upload itself, for the dashboard's preview. A
   * single byte range is honoured (206) because browsers need one to seek in a <video>.
   */
  app.get<{ Params: { id: string } }>(
    '/api/channels/:id/fallback/original',
    { schema: { params: idParams } },
    (request, reply) => {
      const original = backend.fallback.original(request.params.id);
      const size = original.sizeBytes;
      void reply
        .header(
          'content-type',
          videoTypes[extname(original.name).toLowerCase()] ?? 'application/octet-stream',
        )
        .header('cache-control', 'no-store');
      return sendFileRange(request, reply, original.path, size);
    },
  );

  app.delete<{ Params: { id: string } }>(
    '/api/channels/:id/fallback',
    { schema: { params: idParams, response: { 200: okResponse } } },
    (request): OkDto => {
      backend.fallback.remove(request.params.id);
      return { ok: true };
    },
  );
}
