import type { FastifyInstance } from 'fastify';
import type { ApiBackend } from './backend.js';
import {
  webhookEventNames,
  type CreatedWebhookDto,
  type OkDto,
  type WebhookDto,
  type WebhookInput,
} from '../contract/index.js';
import { idParams, okResponse } from './schemas.js';

/** Body of `POST /api/webhooks`. */
const createWebhookBody = {
  type: 'object',
  required: ['channelId', 'url', 'events'],
  additionalProperties: false,
  properties: {
    channelId: { type: 'string', minLength: 1, maxLength: 64 },
    // Scheme and host are checked by the control plane, which parses the URL (a schema `pattern`
    // would get the platform URL's "must start with rtmp://" hint).
    url: { type: 'string', minLength: 1, maxLength: 2048 },
    events: {
      type: 'array',
      minItems: 1,
      maxItems: webhookEventNames.length,
      uniqueItems: true,
      items: { type: 'string', enum: webhookEventNames },
    },
    secret: { type: 'string', minLength: 16, maxLength: 256, pattern: '^\\S+$' },
  },
} as const;

const webhooksQuery = {
  type: 'object',
  additionalProperties: false,
  properties: { channelId: { type: 'string', minLength: 1, maxLength: 64 } },
} as const;

const webhookFields = {
  id: { type: 'string' },
  channelId: { type: 'string' },
  url: { type: 'string' },
  events: { type: 'array', items: { type: 'string' } },
  createdAt: { type: 'string' },
  lastDelivery: {
    type: ['object', 'null'],
    properties: {
      at: { type: 'string' },
      status: { type: ['integer', 'null'] },
      error: { type: ['string', 'null'] },
    },
  },
} as const;

/** A webhook in a response: never its secret. */
const webhookResponse = {
  type: 'object',
  required: ['id', 'channelId', 'url', 'events', 'createdAt', 'lastDelivery'],
  properties: webhookFields,
} as const;

/** Answer of `POST /api/webhooks`: with the secret, once. */
const createdWebhookResponse = {
  type: 'object',
  required: [...webhookResponse.required, 'secret'],
  properties: { ...webhookFields, secret: { type: 'string' } },
} as const;

/** Outgoing webhooks: list, add (the secret shown once), remove. */
export function registerWebhookRoutes(app: FastifyInstance, backend: ApiBackend): void {
  app.get<{ Querystring: { channelId?: string } }>(
    '/api/webhooks',
    { schema: { querystring: webhooksQuery, response: { 200: { type: 'array', items: webhookResponse } } } },
    (request): WebhookDto[] => backend.webhooks.list(request.query.channelId),
  );

  app.get<{ Params: { id: string } }>(
    '/api/webhooks/:id',
    { schema: { params: idParams, response: { 200: webhookResponse } } },
    (request): WebhookDto => backend.webhooks.get(request.params.id),
  );

  app.post<{ Body: WebhookInput }>(
    '/api/webhooks',
    { schema: { body: createWebhookBody, response: { 201: createdWebhookResponse } } },
    (request, reply): CreatedWebhookDto => {
      const created = backend.webhooks.create(request.body);
      void reply.code(201).header('location', `/api/webhooks/${encodeURIComponent(created.id)}`);
      return created;
    },
  );

  app.delete<{ Params: { id: string } }>(
    '/api/webhooks/:id',
    { schema: { params: idParams, response: { 200: okResponse } } },
    (request): OkDto => {
      backend.webhooks.remove(request.params.id);
      return { ok: true };
    },
  );
}
