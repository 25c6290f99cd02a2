import { createReadStream } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import type { ApiBackend } from './backend.js';
import type { OkDto, RecordingDto } from '../contract/index.js';
import { parseByteRange } from './fallback-routes.js';
import { ApiError } from './http-errors.js';
import { idParams, okResponse } from './schemas.js';

const recordingResponse = {
  type: 'object',
  required: ['id', 'channelId', 'startedAt', 'endedAt', 'durationMs', 'bytes', 'state'],
  properties: {
    id: { type: 'string' },
    channelId: { type: 'string' },
    startedAt: { type: 'string' },
    endedAt: { type: ['string', 'null'] },
    durationMs: { type: 'integer' },
    bytes: { type: 'integer' },
    state: { type: 'string' },
  },
} as const;

const listQuery = {
  type: 'object',
  additionalProperties: false,
  properties: { channelId: { type: 'string', minLength: 1, maxLength: 64 } },
} as const;

/** Recordings: list, download (with Range, so a `<video>` can seek), delete. */
export function registerRecordingRoutes(app: FastifyInstance, backend: ApiBackend): void {
  app.get<{ Querystring: { channelId?: string } }>(
    '/api/recordings',
    { schema: { querystring: listQuery, response: { 200: { type: 'array', items: recordingResponse } } } },
    (request): RecordingDto[] => backend.recordings.list(request.query.channelId),
  );

  app.get<{ Params: { id: string }; Querystring: { download?: string } }>(
    '/api/recordings/:id/file',
    { schema: { params: idParams } },
    (request, reply) => {
      const file = backend.recordings.file(request.params.id);
      const size = file.sizeBytes;
      void reply
        .header('content-type', 'video/mp4')
        .header('accept-ranges', 'bytes')
        .header('cache-control', 'no-store');
      // ?download=1: save rather than play (the dashboard's Download link).
      if (request.query.download === '1')
        void reply.header('content-disposition', `attachment; filename="${file.name}"`);
      const rangeHeader = request.headers.range;
      if (rangeHeader === undefined) {
        void reply.header('content-length', size);
        return reply.send(createReadStream(file.path, { end: Math.max(0, size - 1) }));
      }
      const range = parseByteRange(rangeHeader, size);
      if (!range) {
        void reply.header('content-range', `bytes */${size}`);
        throw new ApiError('RANGE_NOT_SATISFIABLE', `no bytes of the file in ${rangeHeader}`, 'range');
      }
      void reply
        .code(206)
        .header('content-range', `bytes ${range.start}-${range.end}/${size}`)
        .header('content-length', range.end - range.start + 1);
      return reply.send(createReadStream(file.path, { start: range.start, end: range.end }));
    },
  );

  app.delete<{ Params: { id: string } }>(
    '/api/recordings/:id',
    { schema: { params: idParams, response: { 200: okResponse } } },
    (request): OkDto => {
      backend.recordings.remove(request.params.id);
      return { ok: true };
    },
  );
}
