import type { Logger } from '../shared/logger.js';
import type { ApiToken, Store } from '../store/index.js';

/** Logins, sessions and API tokens, kept by the store. */
export class AuthBackend {
  readonly #store: Store;
  readonly #logger: Logger;
  readonly #sessionTtlMs: number;

  /** `sessionTtlMs`: lifetime of a login session. */
  constructor(store: Store, logger: Logger, sessionTtlMs: number) {
    this.#store = store;
    this.#logger = logger;
    this.#sessionTtlMs = sessionTtlMs;
  }

  readonly verifyPassword = (password: string): Promise<boolean> =>
    this.#store.auth.verifyAdminPassword(password);

  readonly createSession = (): { id: string; maxAgeSeconds: number } => ({
    id: this.#store.auth.createSession(this.#sessionTtlMs),
    maxAgeSeconds: Math.floor(this.#sessionTtlMs / 1000),
  });

  readonly checkSession = (id: string): boolean => this.#store.auth.checkSession(id);

  readonly endSession = (id: string): void => {
    this.#store.auth.endSession(id);
  };

  readonly changePassword = async (newPassword: string, keepSessionId: string | undefined): Promise<void> => {
    const ended = await this.#store.auth.changeAdminPassword(newPassword, keepSessionId);
    this.#logger.info({ endedSessions: ended }, 'admin password changed; other sessions ended');
  };

  readonly createToken = (name: string): { id: string; name: string; token: string } => {
    const created = this.#store.auth.createToken(name);
    return { id: created.id, name: created.name, token: created.token };
  };

  readonly listTokens = (): ApiToken[] => this.#store.auth.listTokens();

  readonly revokeToken = (id: string): void => {
    this.#store.auth.revokeToken(id);
  };

  readonly checkToken = (token: string): boolean => this.#store.auth.checkToken(token);
}
