import type { FastifyInstance } from 'fastify';
import type { ApiBackend } from './backend.js';
import type { OkDto, PlatformDto, PlatformInput, PlatformPatch } from '../contract/index.js';
import {
  createPlatformBody,
  idParams,
  okResponse,
  platformResponse,
  platformsQuery,
  updatePlatformBody,
} from './schemas.js';

/** CRUD of platforms (destinations). */
export function registerPlatformRoutes(app: FastifyInstance, backend: ApiBackend): void {
  app.get<{ Querystring: { channelId?: string } }>(
    '/api/platforms',
    {
      schema: { querystring: platformsQuery, response: { 200: { type: 'array', items: platformResponse } } },
    },
    (request): PlatformDto[] => backend.platforms.list(request.query.channelId),
  );

  app.get<{ Params: { id: string } }>(
    '/api/platforms/:id',
    { schema: { params: idParams, response: { 200: platformResponse } } },
    (request): PlatformDto => backend.platforms.get(request.params.id),
  );

  app.post<{ Body: PlatformInput }>(
    '/api/platforms',
    { schema: { body: createPlatformBody, response: { 201: platformResponse } } },
    (request, reply): PlatformDto => {
      const created = backend.platforms.create(request.body);
      void reply.code(201).header('location', `/api/platforms/${encodeURIComponent(created.id)}`);
      return created;
    },
  );

  app.put<{ Params: { id: string }; Body: PlatformPatch }>(
    '/api/platforms/:id',
    { schema: { params: idParams, body: updatePlatformBody, response: { 200: platformResponse } } },
    (request): PlatformDto => backend.platforms.update(request.params.id, request.body),
  );

  app.delete<{ Params: { id: string } }>(
    '/api/platforms/:id',
    { schema: { params: idParams, response: { 200: okResponse } } },
    (request): OkDto => {
      backend.platforms.remove(request.params.id);
      return { ok: true };
    },
  );
}
