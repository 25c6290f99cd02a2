import type { FastifyInstance } from 'fastify';

/**
 * The dashboard's Content-Security-Policy. The built Vite app is one module script and one stylesheet
 * from our own origin, with no inline script or style (React and uPlot set styles through the DOM,
 * which CSP does not govern), so `'self'` is all it needs. Previews play the stored upload from the API
 * (`media-src`); the favicon is ours. No page may frame it (clickjacking of the buttons).
 */
export const contentSecurityPolicy = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "media-src 'self' blob:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Headers every answer carries, the dashboard's files and the API's JSON alike. */
export const securityHeaders: Readonly<Record<string, string>> = {
  'content-security-policy': contentSecurityPolicy,
  // For browsers that predate frame-ancestors.
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  // Our URLs carry ids, never secrets, but nothing of them needs to reach another site.
  'referrer-policy': 'same-origin',
  'cross-origin-opener-policy': 'same-origin',
};

/**
 * Sets the security headers on every answer. An `onRequest` hook registered before the auth hook, so
 * refusals carry them too, and before any route runs, so the event stream (which hijacks its reply)
 * copies them.
 */
export function registerSecurityHeaders(app: FastifyInstance): void {
  app.addHook('onRequest', (_request, reply, done) => {
    void reply.headers(securityHeaders);
    done();
  });
}
