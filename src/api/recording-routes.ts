import type { FastifyInstance } from 'fastify';
import type { ApiBackend } from './backend.js';
import type { OkDto, RecordingDto } from '../contract/index.js';
import { sendFileRange } from './byte-range.js';
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
      void reply.header('content-type', 'video/mp4').header('cache-control', 'no-store');
      // ?download=1: save rather than play (the dashboard's Download link).
      if (request.query.download === '1')
        void reply.header('content-disposition', `attachment; filename="${file.name}"`);
      return sendFileRange(request, reply, file.path, file.sizeBytes);
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
