import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ApiBackend } from './backend.js';
import type {
  ChannelActionDto,
  ChannelActionInput,
  ChannelDetailDto,
  ChannelDto,
  ChannelInput,
  ChannelPatch,
  OkDto,
  RotatedKeyDto,
  StatusDto,
} from '../contract/index.js';
import {
  channelActionBody,
  channelActionResponse,
  channelDetailResponse,
  channelResponse,
  createChannelBody,
  idParams,
  okResponse,
  rotatedKeyResponse,
  statusResponse,
  updateChannelBody,
} from './schemas.js';

/**
 * The host OBS should use: the one the admin reached the API by. Anything but a plain host name or
 * bracketed IPv6 literal (a forged Host header) falls back to localhost rather than echoing it back.
 */
function ingestHost(request: FastifyRequest): string {
  const host = request.hostname;
  return /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])$/.test(host) ? host : 'localhost';
}

/** Channels (CRUD with their continuity settings), their ingest keys, and live status. */
export function registerChannelRoutes(app: FastifyInstance, backend: ApiBackend): void {
  app.get(
    '/api/channels',
    { schema: { response: { 200: { type: 'array', items: channelResponse } } } },
    (request): ChannelDto[] => backend.channels.list(ingestHost(request)),
  );

  app.post<{ Body: ChannelInput }>(
    '/api/channels',
    { schema: { body: createChannelBody, response: { 201: channelDetailResponse } } },
    (request, reply): ChannelDetailDto => {
      const created = backend.channels.create(request.body, ingestHost(request));
      void reply.code(201).header('location', `/api/channels/${encodeURIComponent(created.id)}`);
      return created;
    },
  );

  app.get<{ Params: { id: string } }>(
    '/api/channels/:id',
    { schema: { params: idParams, response: { 200: channelDetailResponse } } },
    (request): ChannelDetailDto => backend.channels.get(request.params.id, ingestHost(request)),
  );

  app.put<{ Params: { id: string }; Body: ChannelPatch }>(
    '/api/channels/:id',
    { schema: { params: idParams, body: updateChannelBody, response: { 200: channelDetailResponse } } },
    (request): ChannelDetailDto =>
      backend.channels.update(request.params.id, request.body, ingestHost(request)),
  );

  app.delete<{ Params: { id: string } }>(
    '/api/channels/:id',
    { schema: { params: idParams, response: { 200: okResponse } } },
    (request): OkDto => {
      backend.channels.remove(request.params.id);
      return { ok: true };
    },
  );

  app.post<{ Params: { id: string } }>(
    '/api/channels/:id/rotate-key',
    { schema: { params: idParams, response: { 200: rotatedKeyResponse } } },
    (request): RotatedKeyDto => ({
      id: request.params.id,
      streamKey: backend.channels.rotateKey(request.params.id),
    }),
  );

  app.post<{ Params: { id: string }; Body: ChannelActionInput }>(
    '/api/channels/:id/actions',
    { schema: { params: idParams, body: channelActionBody, response: { 200: channelActionResponse } } },
    (request): ChannelActionDto => backend.channels.action(request.params.id, request.body.action),
  );

  app.get(
    '/api/status',
    { config: { readScope: true }, schema: { response: { 200: statusResponse } } },
    (): StatusDto => backend.status(),
  );
}
