import type { Logger } from '../shared/logger.js';
import type { TokenScope } from '../contract/index.js';
import type { ApiToken, Store } from '../store/index.js';

/** Logins, sessions and API tokens, kept by the store. */
export class AuthBackend {
  readonly #store: Store;
  readonly #logger: Logger;
  readonly #sessionTtlMs: number;
  readonly #sessionIdleMs: number;

  /** `sessionTtlMs`: lifetime of a login session; `sessionIdleMs`: it ends sooner when unused this long. */
  constructor(store: Store, logger: Logger, sessionTtlMs: number, sessionIdleMs = Infinity) {
    this.#store = store;
    this.#logger = logger;
    this.#sessionTtlMs = sessionTtlMs;
    this.#sessionIdleMs = sessionIdleMs;
  }

  readonly verifyPassword = (password: string): Promise<boolean> =>
    this.#store.auth.verifyAdminPassword(password);

  readonly createSession = (): { id: string; maxAgeSeconds: number } => ({
    id: this.#store.auth.createSession(this.#sessionTtlMs),
    maxAgeSeconds: Math.floor(this.#sessionTtlMs / 1000),
  });

  readonly checkSession = (id: string): boolean => this.#store.auth.checkSession(id, this.#sessionIdleMs);

  readonly endSession = (id: string): void => {
    this.#store.auth.endSession(id);
  };

  readonly changePassword = async (newPassword: string, keepSessionId: string | undefined): Promise<void> => {
    const ended = await this.#store.auth.changeAdminPassword(newPassword, keepSessionId);
    this.#logger.info({ endedSessions: ended }, 'admin password changed; other sessions ended');
  };

  readonly createToken = (
    name: string,
    scope: TokenScope,
  ): { id: string; name: string; scope: TokenScope; token: string } => {
    const created = this.#store.auth.createToken(name, scope);
    return { id: created.id, name: created.name, scope: created.scope, token: created.token };
  };

  readonly listTokens = (): ApiToken[] => this.#store.auth.listTokens();

  readonly revokeToken = (id: string): void => {
    this.#store.auth.revokeToken(id);
  };

  readonly checkToken = (token: string): TokenScope | undefined => this.#store.auth.checkToken(token);
}
