import { existsSync, statSync } from 'node:fs';
import { extname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/**
 * Where `npm run build` puts the dashboard (web/ built by Vite). The same relative path works from
 * src/api/ (tests, tsx) and from dist/api/ (the built server): both are two levels under the root.
 */
export const defaultWebRoot = fileURLToPath(new URL('../../dist/web/', import.meta.url));

/** Options of {@link registerStaticRoutes}. */
export interface StaticRoutesOptions {
  /** Folder holding the built dashboard (`index.html`, `assets/`); default {@link defaultWebRoot}. */
  root?: string;
}

/** Vite names every file under assets/ by its content hash: a changed file is a new URL. */
const hashedCache = 'public, max-age=31536000, immutable';
/** index.html names the current hashed files, so it is revalidated on every load (ETag / 304). */
const revalidate = 'no-cache';
/** Other files at the root (favicon): cached briefly, as their URL never changes. */
const shortCache = 'public, max-age=3600';

/**
 * The dashboard, served where no API route answers: a GET or HEAD outside /api/ that matched no
 * route gets the built file it names, or `index.html` for the single-page app's own paths
 * (`/platforms`, `/obs`…) so that a reload or a shared link works. It adds no routes (the API's route
 * list and its OpenAPI document stay the API's): it is a root `onRequest` hook that acts only on
 * requests Fastify found no route for. Call it on the root instance after the auth hook, so unknown
 * /api/ paths keep their 401 without credentials, and their JSON 404 with.
 */
export function registerStaticRoutes(app: FastifyInstance, options: StaticRoutesOptions = {}): void {
  const root = resolve(options.root ?? defaultWebRoot);
  const indexFile = join(root, 'index.html');

  // Only the reply.sendFile decorator (@fastify/send: ETag, Last-Modified, ranges, traversal checks).
  void app.register(fastifyStatic, { root, serve: false });

  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    if (!request.is404 || (request.method !== 'GET' && request.method !== 'HEAD')) return;
    const path = request.url.split('?', 1)[0] ?? '/';
    if (path === '/api' || path.startsWith('/api/')) return;
    let wanted: string;
    try {
      wanted = decodeURIComponent(path).replace(/^\/+/, '');
    } catch {
      return;
    }
    const file = builtFile(root, wanted);
    if (file !== undefined) {
      const cache = file.startsWith(`assets${sep}`) ? hashedCache : shortCache;
      return send(reply, file, cache);
    }
    // A missing asset stays a 404: answering a script tag with HTML only hides the real fault.
    if (wanted.startsWith('assets/') || extname(wanted) !== '') return;
    if (!existsSync(indexFile)) {
      return reply
        .code(503)
        .header('cache-control', 'no-store')
        .type('text/plain; charset=utf-8')
        .send('The dashboard is not built. Run `npm run build`, then restart the server.\n');
    }
    return send(reply, 'index.html', revalidate);
  });
}

/** The request path as a file under `root` (relative), or undefined when there is no such file. */
function builtFile(root: string, wanted: string): string | undefined {
  if (wanted === '' || wanted.includes('\0')) return undefined;
  const path = resolve(root, wanted);
  const rel = relative(root, path);
  // Nothing outside the root, and no dot files or folders.
  if (rel === '' || rel.startsWith('..') || rel.startsWith('.') || rel.includes(`${sep}.`)) return undefined;
  try {
    return statSync(path).isFile() ? rel : undefined;
  } catch {
    return undefined;
  }
}

function send(reply: FastifyReply, file: string, cacheControl: string): FastifyReply {
  // 200 explicitly: the 404 handler's context would otherwise keep its status.
  void reply.code(200).header('cache-control', cacheControl);
  // Our Cache-Control, not send's default max-age=0.
  return reply.sendFile(file, { cacheControl: false });
}
