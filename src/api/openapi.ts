import { readFileSync } from 'node:fs';
import swagger, { type SwaggerTransform } from '@fastify/swagger';
import type { FastifyInstance, FastifySchema } from 'fastify';
import { sessionCookie } from './auth-routes.js';

/** The API's version in the document: the package's, read once (the same path from src/ and dist/). */
function packageVersion(): string {
  try {
    const text = readFileSync(new URL('../../package.json', import.meta.url), 'utf8');
    const { version } = JSON.parse(text) as { version?: unknown };
    return typeof version === 'string' ? version : '0.0.0';
  } catch {
    return '0.0.0';
  }
}

/** Tags of the document, in the order a reader meets them. */
const tags = [
  { name: 'auth', description: 'Login sessions, the admin password and API tokens' },
  { name: 'platforms', description: 'Destinations a channel is restreamed to' },
  { name: 'channels', description: 'Channels, their ingest keys, settings and manual actions' },
  { name: 'fallback', description: 'The fallback video: uploads, conform jobs, renditions' },
  { name: 'status', description: 'Live status, events, history and metrics' },
  { name: 'hooks', description: 'on_publish / on_unpublish notifications from SRS or nginx-rtmp' },
  { name: 'system', description: 'Health and this document' },
] as const;

/** The tag of a route, from its path (route files need not say). */
function tagOf(url: string): string {
  if (/^\/api\/(auth|tokens)(\/|$)/.test(url)) return 'auth';
  if (/^\/api\/(upload_fallback|fallback)(\/|$)|\/fallback(\/|$)/.test(url)) return 'fallback';
  if (/^\/api\/on_/.test(url)) return 'hooks';
  if (/^\/api\/(status|events|history)(\/|$)|^\/metrics$/.test(url)) return 'status';
  if (/^\/api\/(platforms|presets)(\/|$)/.test(url)) return 'platforms';
  if (/^\/api\/channels(\/|$)/.test(url)) return 'channels';
  return 'system';
}

/** One-line summaries of routes whose schemas do not carry one, by `METHOD path`. */
const summaries: Readonly<Record<string, string>> = {
  'GET /healthz': 'Liveness check (no credentials needed)',
  'POST /api/auth/login': 'Log in with the admin password; sets the session cookie',
  'POST /api/auth/logout': 'End the current session',
  'POST /api/auth/password': 'Change the admin password; ends every other session',
  'GET /api/tokens': 'List API tokens (masked: id, name, prefix)',
  'POST /api/tokens': 'Create an API token; the token is shown only in this answer',
  'DELETE /api/tokens/{id}': 'Revoke an API token',
  'GET /api/platforms': 'List platforms (stream keys masked)',
  'POST /api/platforms': 'Add a platform',
  'GET /api/platforms/{id}': 'Get one platform',
  'PUT /api/platforms/{id}': 'Change a platform (applies at once, also while live)',
  'DELETE /api/platforms/{id}': 'Remove a platform (its output stops)',
  'GET /api/presets': 'Platform presets (ingest URLs, accepted codecs, advice)',
  'GET /api/channels': 'List channels with their ingest URL and key',
  'POST /api/channels': 'Create a channel',
  'GET /api/channels/{id}': 'Get one channel',
  'PUT /api/channels/{id}': 'Change a channel and its continuity settings',
  'DELETE /api/channels/{id}': 'Delete a channel (ending its broadcast first)',
  'POST /api/channels/{id}/rotate-key': 'Replace a channel’s ingest key',
  'POST /api/channels/{id}/actions': 'Manual action: fallback (be right back), live, or end',
  'GET /api/channels/{id}/fallback': 'A channel’s fallback upload, renditions and jobs',
  'DELETE /api/channels/{id}/fallback': 'Remove a channel’s fallback upload (the slate remains)',
  'GET /api/channels/{id}/fallback/original':
    'The channel’s stored fallback upload itself (video; single byte ranges for seeking)',
  'POST /api/upload_fallback': 'Upload a fallback video (multipart: file, channelId)',
  'GET /api/fallback/jobs/{id}': 'One conform job',
  'GET /api/status': 'Live status of every channel and output',
  'GET /api/events': 'Server-Sent Events: state changes and a stats tick each second',
  'GET /api/history': 'Broadcast sessions with their switches and failures',
  'GET /metrics': 'Prometheus metrics',
  'POST /api/on_publish': 'SRS / nginx-rtmp publish hook (shared secret or loopback)',
  'POST /api/on_unpublish': 'SRS / nginx-rtmp unpublish hook (shared secret or loopback)',
  'GET /api/docs': 'This OpenAPI document',
};

/** The upload's form, for the document only (the route reads the multipart stream itself). */
const uploadForm = {
  type: 'object',
  required: ['file'],
  properties: {
    file: { type: 'string', format: 'binary', description: 'the video (any format ffmpeg reads)' },
    channelId: { type: 'string', description: "the channel (default 'main'); or ?channelId=" },
  },
} as const;

const transform: SwaggerTransform = ({ schema, url, route }) => {
  const methods = Array.isArray(route.method) ? route.method : [route.method];
  const method = String(methods[0] ?? 'GET').toUpperCase();
  const docUrl = url.replace(/:(\w+)/g, '{$1}');
  // Spread, not used as is: a route without a schema has none at run time, whatever the type says.
  const given: FastifySchema = { ...schema };
  const described: FastifySchema = {
    ...given,
    tags: given.tags ?? [tagOf(url)],
    ...(given.summary === undefined && summaries[`${method} ${docUrl}`] !== undefined
      ? { summary: summaries[`${method} ${docUrl}`] }
      : {}),
    // Public routes need no credentials (hooks bring their own: secret or loopback); /metrics is marked
    // public only to skip the /api/ hook, and checks the bearer token itself unless METRICS_PUBLIC.
    ...(route.config?.public === true && url !== '/metrics' ? { security: [] } : {}),
    ...(url === '/api/upload_fallback' && given.body === undefined
      ? { consumes: ['multipart/form-data'], body: uploadForm }
      : {}),
  };
  return { schema: described, url };
};

/**
 * The OpenAPI 3.1 document, generated by @fastify/swagger from the route schemas (3.1 because they use
 * JSON Schema type arrays for nullable fields), served at `GET /api/docs` (and `/api/docs/json`). It
 * needs credentials like every other route: the route list is nothing to show a stranger (unknown
 * /api/ paths answer 401 for the same reason). Registered before the routes so it sees them all.
 */
export function registerOpenApi(app: FastifyInstance): void {
  void app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'restream',
        version: packageVersion(),
        description:
          'Self-hosted restream server: one RTMP stream in, live on every platform. Send an API token ' +
          '(`Authorization: Bearer rst_…`, made with POST /api/tokens) or the session cookie from ' +
          'POST /api/auth/login; with the cookie, state-changing requests must come from the ' +
          'dashboard’s own origin. Errors are `{ error, message, field? }`. Stream keys of platforms ' +
          'are never returned whole.',
      },
      tags: [...tags],
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'an API token (rst_…)' },
          session: { type: 'apiKey', in: 'cookie', name: sessionCookie },
        },
      },
      security: [{ bearer: [] }, { session: [] }],
    },
    transform,
  });

  void app.register((scope, _options, done) => {
    const document = (): unknown => app.swagger();
    scope.get('/api/docs', document);
    scope.get('/api/docs/json', { schema: { hide: true } }, document);
    done();
  });
}
