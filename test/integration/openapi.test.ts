/**
 * The OpenAPI document: generated from the route schemas, served at /api/docs behind the same
 * credentials as the rest of the API, and complete (every route the server answers is in it).
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { registeredRoutes } from '../helpers/routes.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

interface Operation {
  summary?: string;
  tags?: string[];
  security?: unknown[];
  parameters?: { in: string; name: string; required?: boolean }[];
  requestBody?: { content: Record<string, { schema: unknown }> };
  responses?: Record<string, { description?: string; content?: Record<string, { schema: JsonSchema }> }>;
}

interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
}

interface OpenApiDocument {
  openapi: string;
  info: { title: string; version: string };
  tags: { name: string }[];
  paths: Record<string, Record<string, Operation>>;
  components: { securitySchemes: Record<string, { type: string }> };
  security: Record<string, unknown[]>[];
}

const methods = ['get', 'put', 'post', 'delete', 'patch'] as const;

/** Every `$ref` in the document, to check each resolves. */
function refsIn(value: unknown, found: string[] = []): string[] {
  if (Array.isArray(value)) for (const item of value) refsIn(item, found);
  else if (typeof value === 'object' && value !== null) {
    for (const [key, inner] of Object.entries(value)) {
      if (key === '$ref' && typeof inner === 'string') found.push(inner);
      else refsIn(inner, found);
    }
  }
  return found;
}

function resolvePointer(document: unknown, ref: string): unknown {
  let node: unknown = document;
  for (const part of ref.replace(/^#\//, '').split('/')) {
    const key = part.replaceAll('~1', '/').replaceAll('~0', '~');
    node = typeof node === 'object' && node !== null ? (node as Record<string, unknown>)[key] : undefined;
  }
  return node;
}

describe('OpenAPI document', () => {
  let test: TestServer;
  let document: OpenApiDocument;
  let text: string;
  beforeEach(async () => {
    test = await startTestServer();
    const answer = await test.api<OpenApiDocument>('GET', '/api/docs');
    expect(answer.status).toBe(200);
    document = answer.body;
    text = answer.text;
  });

  it('is served as OpenAPI 3.x JSON, to callers with credentials only', async () => {
    expect(() => JSON.parse(text) as unknown).not.toThrow();
    expect(document.openapi).toMatch(/^3\.\d+\.\d+$/);
    expect(document.info).toMatchObject({
      title: 'restream',
      version: expect.stringMatching(/^\d+\.\d+\.\d+/) as unknown,
    });
    const anonymous = await fetch(`${test.httpBase}/api/docs`);
    expect(anonymous.status).toBe(401);
    const alias = await test.api<OpenApiDocument>('GET', '/api/docs/json');
    expect(alias.body).toEqual(document);
    // Bearer tokens and the session cookie, required unless an operation says otherwise.
    expect(document.components.securitySchemes).toMatchObject({
      bearer: { type: 'http' },
      session: { type: 'apiKey' },
    });
    expect(document.security).toEqual([{ bearer: [] }, { session: [] }]);
    expect(document.paths['/api/auth/login']?.post?.security).toEqual([]);
    expect(document.paths['/healthz']?.get?.security).toEqual([]);
    expect(document.paths['/api/platforms']?.get?.security).toBeUndefined();
  });

  it('lists the main routes with summaries, tags, parameters and response schemas', () => {
    const expected: [string, (typeof methods)[number]][] = [
      ['/healthz', 'get'],
      ['/api/auth/login', 'post'],
      ['/api/auth/logout', 'post'],
      ['/api/auth/password', 'post'],
      ['/api/tokens', 'get'],
      ['/api/tokens', 'post'],
      ['/api/tokens/{id}', 'delete'],
      ['/api/platforms', 'get'],
      ['/api/platforms', 'post'],
      ['/api/platforms/{id}', 'get'],
      ['/api/platforms/{id}', 'put'],
      ['/api/platforms/{id}', 'delete'],
      ['/api/channels', 'get'],
      ['/api/channels/{id}/rotate-key', 'post'],
      ['/api/channels/{id}/actions', 'post'],
      ['/api/status', 'get'],
      ['/api/upload_fallback', 'post'],
      ['/api/fallback/jobs/{id}', 'get'],
      ['/api/docs', 'get'],
    ];
    for (const [path, method] of expected) {
      const operation = document.paths[path]?.[method];
      expect(operation, `${method} ${path}`).toBeDefined();
      expect(operation?.summary, `${method} ${path}`).toEqual(expect.any(String));
    }
    const create = document.paths['/api/platforms']?.post;
    const body = create?.requestBody?.content['application/json']?.schema as
      { required?: string[]; properties?: Record<string, unknown> } | undefined;
    expect(body?.required).toContain('streamKey');
    expect(Object.keys(body?.properties ?? {})).toEqual(expect.arrayContaining(['name', 'url', 'streamKey']));
    const platform = create?.responses?.['201']?.content?.['application/json']?.schema;
    expect(platform?.properties).toHaveProperty('streamKeyMasked');
    // The answer's schema is an allow-list, and the whole key is not on it.
    expect(platform?.properties).not.toHaveProperty('streamKey');
    const upload = document.paths['/api/upload_fallback']?.post;
    expect(upload?.requestBody?.content).toHaveProperty('multipart/form-data');
  });

  it('covers every route the server answers, each operation well formed', () => {
    const tagNames = new Set(document.tags.map((t) => t.name));
    for (const { method, url } of registeredRoutes(test.server.api)) {
      if (method === 'HEAD' || url === '/api/docs/json') continue;
      const path = url.replace(/:(\w+)/g, '{$1}');
      expect(document.paths[path]?.[method.toLowerCase()], `${method} ${url}`).toBeDefined();
    }
    for (const [path, operations] of Object.entries(document.paths)) {
      const pathParams = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      for (const method of methods) {
        const operation = operations[method];
        if (!operation) continue;
        const where = `${method} ${path}`;
        expect(Object.keys(operation.responses ?? {}).length, where).toBeGreaterThan(0);
        for (const response of Object.values(operation.responses ?? {})) {
          expect(response.description, where).toEqual(expect.any(String));
        }
        expect(operation.tags?.length, where).toBeGreaterThan(0);
        for (const tag of operation.tags ?? []) expect(tagNames, `${where} tag ${tag}`).toContain(tag);
        for (const name of pathParams) {
          expect(operation.parameters, where).toContainEqual(
            expect.objectContaining({ in: 'path', name, required: true }),
          );
        }
      }
    }
    for (const ref of refsIn(document)) {
      expect(ref.startsWith('#/'), ref).toBe(true);
      expect(resolvePointer(document, ref), ref).toBeDefined();
    }
  });
});
