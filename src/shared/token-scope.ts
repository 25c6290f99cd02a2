/**
 * What an API token may do, declared once for the store, the API's checks and schemas, and the
 * dashboard: `read` sees status, events, metrics and history; `admin` may do everything.
 */
export const tokenScopes = ['read', 'admin'] as const;

/** One of {@link tokenScopes}. */
export type TokenScope = (typeof tokenScopes)[number];
