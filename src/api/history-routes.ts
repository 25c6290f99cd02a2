import type { FastifyInstance } from 'fastify';
import type { ApiBackend } from './backend.js';
import type { HistorySessionDto } from '../contract/index.js';
import { ApiError } from './http-errors.js';

/** Most sessions one request returns. */
const maxLimit = 500;
const defaultLimit = 50;

/** Query of `GET /api/history` (query values are strings: the API does not coerce types). */
const historyQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    channelId: { type: 'string', minLength: 1, maxLength: 64 },
    limit: { type: 'string', pattern: '^[0-9]{1,4}$' },
  },
} as const;

const nullableString = { type: ['string', 'null'] } as const;

/** One session in the answer (an allow-list, like every response schema). */
const sessionResponse = {
  type: 'object',
  required: [
    'id',
    'channelId',
    'startedAt',
    'startReason',
    'endedAt',
    'endReason',
    'switches',
    'outputFailures',
  ],
  properties: {
    id: { type: 'string' },
    channelId: { type: 'string' },
    startedAt: { type: 'string' },
    startReason: { type: 'string' },
    endedAt: nullableString,
    endReason: nullableString,
    switches: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          at: { type: 'string' },
          from: { type: 'string' },
          to: { type: 'string' },
          reason: { type: 'string' },
        },
      },
    },
    outputFailures: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          at: { type: 'string' },
          destinationId: { type: 'string' },
          destinationName: { type: 'string' },
          error: { type: 'string' },
        },
      },
    },
  },
} as const;

/** `GET /api/history?channelId=&limit=`: broadcasts newest first, with their switches and failures. */
export function registerHistoryRoutes(app: FastifyInstance, backend: ApiBackend): void {
  app.get<{ Querystring: { channelId?: string; limit?: string } }>(
    '/api/history',
    {
      config: { readScope: true },
      schema: { querystring: historyQuery, response: { 200: { type: 'array', items: sessionResponse } } },
    },
    (request): HistorySessionDto[] => {
      const { channelId } = request.query;
      const limit = request.query.limit === undefined ? defaultLimit : Number(request.query.limit);
      if (limit < 1 || limit > maxLimit) {
        throw new ApiError('VALIDATION', `limit must be 1 to ${maxLimit}`, 'limit');
      }
      return backend.history.list(channelId === undefined ? { limit } : { channelId, limit });
    },
  );
}
