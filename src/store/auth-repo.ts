import { createHash, randomBytes } from 'node:crypto';
import type { Database } from 'better-sqlite3';
import { passwordProblem, type TokenDto, type TokenScope } from '../contract/index.js';
import { StoreError } from './errors.js';
import { hashPassword, verifyPassword } from './password.js';
import type { SettingsRepo } from './settings-repo.js';

/** An API token as listed: never the token itself, which is shown once at creation (the API's shape). */
export type ApiToken = TokenDto;

/** A freshly created API token, with the secret that will not be shown again. */
export interface CreatedApiToken extends ApiToken {
  /** The whole bearer token. */
  token: string;
}

interface TokenRow {
  id: string;
  name: string;
  prefix: string;
  created_at: string;
  last_used_at: string | null;
  scope: TokenScope;
}

const passwordSetting = 'admin_password_hash';
/**
 * scrypt hash of the RESTREAM_ADMIN_PASSWORD last applied: the environment's password is applied when it
 * changes, not on every start, so a password changed through the API survives a restart.
 */
const envPasswordSetting = 'admin_password_env_hash';
/** Last-use times are written at most this often, so a busy script does not write on every request. */
const lastUsedResolutionMs = 60_000;

function sha256(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

function toToken(row: TokenRow): ApiToken {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
    scope: row.scope,
  };
}

/**
 * The admin's credentials: the password (an scrypt hash in settings), API tokens and login sessions.
 * Tokens and session ids are stored only as SHA-256 digests; they are 256-bit random, so a plain digest
 * is enough (no salt or stretching needed, unlike a password).
 */
export class AuthRepo {
  readonly #db: Database;
  readonly #settings: SettingsRepo;
  readonly #now: () => number;

  constructor(db: Database, settings: SettingsRepo, now: () => number) {
    this.#db = db;
    this.#settings = settings;
    this.#now = now;
  }

  /** True once an admin password has been set. */
  hasAdminPassword(): boolean {
    return typeof this.#settings.get(passwordSetting) === 'string';
  }

  /** Stores the scrypt hash of a new admin password. */
  async setAdminPassword(password: string): Promise<void> {
    this.#settings.set(passwordSetting, await hashPassword(password));
  }

  /** Checks a password against the admin's; false when none is set. */
  async verifyAdminPassword(password: string): Promise<boolean> {
    const stored = this.#settings.get(passwordSetting);
    if (typeof stored !== 'string') {
      // Hash anyway so that "no password set" takes as long as "wrong password".
      await hashPassword(password);
      return false;
    }
    return verifyPassword(password, stored);
  }

  /**
   * Start-up rule. A password from the environment is applied when it is new or differs from the one
   * last applied from the environment (ending every session if it changes the password); the same
   * environment on a later start leaves alone a password changed since through the API. With none
   * given and none stored, one is generated. Returns the generated password (to print once), else
   * undefined.
   */
  async ensureAdminPassword(fromEnv: string | undefined): Promise<string | undefined> {
    if (fromEnv !== undefined && fromEnv !== '') {
      const weak = passwordProblem(fromEnv);
      if (weak !== undefined) throw new StoreError('VALIDATION', `the admin password ${weak}`);
      const applied = this.#settings.get(envPasswordSetting);
      if (typeof applied === 'string' && (await verifyPassword(fromEnv, applied))) return undefined;
      const stored = this.#settings.get(passwordSetting);
      if (typeof stored === 'string' && (await verifyPassword(fromEnv, stored))) {
        this.#settings.set(envPasswordSetting, stored);
        return undefined;
      }
      const hash = await hashPassword(fromEnv);
      this.#db.transaction(() => {
        this.#settings.set(passwordSetting, hash);
        this.#settings.set(envPasswordSetting, hash);
        this.#db.prepare('DELETE FROM sessions').run();
      })();
      return undefined;
    }
    if (this.hasAdminPassword()) return undefined;
    const generated = randomBytes(18).toString('base64url');
    await this.setAdminPassword(generated);
    return generated;
  }

  /**
   * Replaces the admin password and ends every login session but `keepSessionId` (the caller's cookie
   * value), in one transaction: a stolen session dies with the old password. API tokens stay valid
   * (they are revoked one by one). Returns how many sessions were ended.
   */
  async changeAdminPassword(newPassword: string, keepSessionId: string | undefined): Promise<number> {
    const hash = await hashPassword(newPassword);
    return this.#db.transaction(() => {
      this.#settings.set(passwordSetting, hash);
      const ended =
        keepSessionId === undefined
          ? this.#db.prepare('DELETE FROM sessions').run()
          : this.#db.prepare('DELETE FROM sessions WHERE id <> ?').run(sha256(keepSessionId));
      return ended.changes;
    })();
  }

  /** Creates an API token; its whole value is in the result and nowhere else afterwards. */
  createToken(name: string, scope: TokenScope = 'admin'): CreatedApiToken {
    const token = `rst_${randomBytes(32).toString('base64url')}`;
    const row: TokenRow = {
      id: randomBytes(6).toString('hex'),
      name,
      prefix: token.slice(0, 8),
      created_at: new Date(this.#now()).toISOString(),
      last_used_at: null,
      scope,
    };
    this.#db
      .prepare(
        'INSERT INTO api_tokens (id, name, token_hash, prefix, created_at, scope) VALUES (?, ?, ?, ?, ?, ?)',
      )
      .run(row.id, row.name, sha256(token), row.prefix, row.created_at, row.scope);
    return { ...toToken(row), token };
  }

  /** Every token, oldest first. */
  listTokens(): ApiToken[] {
    const rows = this.#db
      .prepare(
        'SELECT id, name, prefix, created_at, last_used_at, scope FROM api_tokens ORDER BY created_at, rowid',
      )
      .all() as TokenRow[];
    return rows.map(toToken);
  }

  /** Revokes a token; NOT_FOUND when there is none. */
  revokeToken(id: string): void {
    if (this.#db.prepare('DELETE FROM api_tokens WHERE id = ?').run(id).changes === 0) {
      throw new StoreError('NOT_FOUND', `no token '${id}'`, { field: 'id' });
    }
  }

  /** The scope of a live bearer token (recording its use), or undefined for an unknown one. */
  checkToken(token: string): TokenScope | undefined {
    const row = this.#db
      .prepare('SELECT id, last_used_at, scope FROM api_tokens WHERE token_hash = ?')
      .get(sha256(token)) as { id: string; last_used_at: string | null; scope: TokenScope } | undefined;
    if (!row) return undefined;
    const now = this.#now();
    if (row.last_used_at === null || Date.parse(row.last_used_at) <= now - lastUsedResolutionMs) {
      this.#db
        .prepare('UPDATE api_tokens SET last_used_at = ? WHERE id = ?')
        .run(new Date(now).toISOString(), row.id);
    }
    return row.scope;
  }

  /** Starts a login session lasting `ttlMs`; returns the cookie value. Expired sessions are purged. */
  createSession(ttlMs: number): string {
    const id = randomBytes(32).toString('base64url');
    const now = this.#now();
    this.#db.prepare('DELETE FROM sessions WHERE expires_at_ms <= ?').run(now);
    this.#db
      .prepare('INSERT INTO sessions (id, created_at, expires_at_ms, last_seen_at_ms) VALUES (?, ?, ?, ?)')
      .run(sha256(id), new Date(now).toISOString(), now + ttlMs, now);
    return id;
  }

  /**
   * True when the cookie value names a session that has not expired and was used within `idleMs`
   * (default: no idle limit); records the use (to the minute). An idle session is deleted.
   */
  checkSession(id: string, idleMs = Infinity): boolean {
    const hash = sha256(id);
    const row = this.#db
      .prepare('SELECT expires_at_ms, last_seen_at_ms FROM sessions WHERE id = ?')
      .get(hash) as { expires_at_ms: number; last_seen_at_ms: number } | undefined;
    const now = this.#now();
    if (row === undefined || row.expires_at_ms <= now) return false;
    if (now - row.last_seen_at_ms >= idleMs) {
      this.#db.prepare('DELETE FROM sessions WHERE id = ?').run(hash);
      return false;
    }
    // To the minute, or finer for a short idle limit, so a session in use never looks idle.
    if (now - row.last_seen_at_ms >= Math.min(lastUsedResolutionMs, idleMs / 4)) {
      this.#db.prepare('UPDATE sessions SET last_seen_at_ms = ? WHERE id = ?').run(now, hash);
    }
    return true;
  }

  /** Ends a session (logout); unknown ids are ignored. */
  endSession(id: string): void {
    this.#db.prepare('DELETE FROM sessions WHERE id = ?').run(sha256(id));
  }
}
