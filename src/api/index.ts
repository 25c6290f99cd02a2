/** The HTTP API's public surface. */
export { createApi, type ApiDeps } from './app.js';
export type { ApiBackend } from './backend.js';
export type * from '../contract/index.js';
export { sessionCookie } from './auth-routes.js';
