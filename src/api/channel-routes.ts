import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ApiBackend } from './backend.js';
import type { ChannelActionDto, ChannelActionInput, ChannelDto, RotatedKeyDto, StatusDto } from './dto.js';
import {
  channelActionBody,
  channelActionResponse,
  channelResponse,
  idParams,
  rotatedKeyResponse,
  statusResponse,
} from './schemas.js';

/**
 * The host OBS should use: the one the admin reached the API by. Anything but a plain host name or
 * bracketed IPv6 literal (a forged Host header) falls back to localhost rather than echoing it back.
 */
function ingestHost(request: FastifyRequest): string {
  const host = request.hostname;
  return /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])$/.test(host) ? host : 'localhost';
}

/** Channels, their ingest keys, and live status. */
export function registerChannelRoutes(app: FastifyInstance, backend: ApiBackend): void {
  app.get(
    '/api/channels',
    { schema: { response: { 200: { type: 'array', items: channelResponse } } } },
    (request): ChannelDto[] => backend.channels.list(ingestHost(request)),
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

  app.get('/api/status', { schema: { response: { 200: statusResponse } } }, (): StatusDto =>
    backend.status(),
  );
}
