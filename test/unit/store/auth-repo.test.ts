import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  databaseFileName,
  hashPassword,
  openStore,
  verifyPassword,
  type Store,
} from '../../../src/store/index.js';

let dir: string;
let store: Store;
let clock = Date.parse('2025-01-01T00:00:00Z');

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'restream-auth-'));
  store = openStore(dir, { now: () => clock });
});

afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('password hashing', () => {
  it('stores scrypt$N$r$p$salt$hash with a random salt, and verifies it', async () => {
    const a = await hashPassword('correct horse');
    const b = await hashPassword('correct horse');
    expect(a).toMatch(/^scrypt\$32768\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    expect(a).not.toBe(b);
    expect(a).not.toContain('correct horse');
    await expect(verifyPassword('correct horse', a)).resolves.toBe(true);
    await expect(verifyPassword('correct horsE', a)).resolves.toBe(false);
  });

  it('rejects malformed or absurd stored hashes without throwing', async () => {
    const good = await hashPassword('pw');
    const parts = good.split('$');
    for (const bad of [
      '',
      'plain',
      'bcrypt$1$2$3$4$5',
      good.replace('32768', '1099511627776'),
      parts.slice(0, 5).join('$'),
    ]) {
      await expect(verifyPassword('pw', bad)).resolves.toBe(false);
    }
  });
});

describe('AuthRepo', () => {
  it('generates an admin password once when none is given, and keeps only its hash', async () => {
    expect(store.auth.hasAdminPassword()).toBe(false);
    const generated = await store.auth.ensureAdminPassword(undefined);
    expect(generated).toMatch(/^[\w-]{24}$/);
    expect(await store.auth.ensureAdminPassword(undefined)).toBeUndefined();
    expect(JSON.stringify(store.settings.get('admin_password_hash'))).not.toContain(generated);
    expect(await store.auth.verifyAdminPassword(generated ?? '')).toBe(true);
    expect(await store.auth.verifyAdminPassword('wrong')).toBe(false);
  });

  it('takes the password from the environment, replacing a stored one', async () => {
    expect(await store.auth.ensureAdminPassword('first-password')).toBeUndefined();
    expect(await store.auth.verifyAdminPassword('first-password')).toBe(true);
    await store.auth.ensureAdminPassword('second-password');
    expect(await store.auth.verifyAdminPassword('first-password')).toBe(false);
    expect(await store.auth.verifyAdminPassword('second-password')).toBe(true);
  });

  it('refuses every password while none is set', async () => {
    expect(await store.auth.verifyAdminPassword('')).toBe(false);
    expect(await store.auth.verifyAdminPassword('anything')).toBe(false);
  });

  it('creates, checks, lists and revokes API tokens, storing only their hash', () => {
    const created = store.auth.createToken('ci');
    expect(created.token).toMatch(/^rst_[\w-]{43}$/);
    expect(created.prefix).toBe(created.token.slice(0, 8));
    expect(store.auth.checkToken(created.token)).toBe('admin');
    expect(store.auth.checkToken(`${created.token}x`)).toBeUndefined();
    const [listed] = store.auth.listTokens();
    expect(listed).toEqual({
      id: created.id,
      name: 'ci',
      prefix: created.prefix,
      createdAt: created.createdAt,
      lastUsedAt: '2025-01-01T00:00:00.000Z',
      scope: 'admin',
    });
    expect(JSON.stringify(store.auth.listTokens())).not.toContain(created.token);
    store.auth.revokeToken(created.id);
    expect(store.auth.checkToken(created.token)).toBeUndefined();
    expect(() => {
      store.auth.revokeToken(created.id);
    }).toThrow(expect.objectContaining({ code: 'NOT_FOUND' }));
  });

  it('expires sessions, ends them on logout, and purges expired ones', () => {
    const session = store.auth.createSession(60_000);
    expect(store.auth.checkSession(session)).toBe(true);
    expect(store.auth.checkSession('not-a-session')).toBe(false);
    clock += 60_000;
    expect(store.auth.checkSession(session)).toBe(false);
    const second = store.auth.createSession(60_000);
    expect(store.auth.checkSession(second)).toBe(true);
    store.auth.endSession(second);
    expect(store.auth.checkSession(second)).toBe(false);
  });

  it('keeps sessions and tokens across a reopen', () => {
    const session = store.auth.createSession(60_000);
    const { token } = store.auth.createToken('script');
    store.close();
    store = openStore(dir, { now: () => clock });
    expect(store.auth.checkSession(session)).toBe(true);
    expect(store.auth.checkToken(token)).toBe('admin');
  });

  it('gives a token the scope it was made with', () => {
    const read = store.auth.createToken('grafana', 'read');
    expect(store.auth.checkToken(read.token)).toBe('read');
    expect(store.auth.listTokens().map((t) => [t.name, t.scope])).toEqual([['grafana', 'read']]);
  });

  it('ends a session left unused for the idle time, and keeps one in use', () => {
    const idleMs = 10 * 60_000;
    const used = store.auth.createSession(24 * 3600_000);
    const idle = store.auth.createSession(24 * 3600_000);
    for (let minute = 0; minute < 30; minute++) {
      clock += 60_000;
      expect(store.auth.checkSession(used, idleMs)).toBe(true);
    }
    expect(store.auth.checkSession(idle, idleMs)).toBe(false);
    // Gone for good, even for a caller without an idle limit.
    expect(store.auth.checkSession(idle)).toBe(false);
  });

  it('refuses a start-up admin password shorter than the one rule', async () => {
    await expect(store.auth.ensureAdminPassword('x')).rejects.toMatchObject({ code: 'VALIDATION' });
    await expect(store.auth.ensureAdminPassword('           a')).rejects.toMatchObject({
      code: 'VALIDATION',
    });
    expect(await store.auth.ensureAdminPassword('twelve-chars')).toBeUndefined();
  });
});

describe('the token-scope migration', () => {
  it('keeps tokens and sessions made before scopes: tokens become admin, sessions stay live', () => {
    const old = mkdtempSync(join(tmpdir(), 'restream-mig-'));
    const migrations = fileURLToPath(new URL('../../../src/store/migrations/', import.meta.url));
    const before = join(old, 'migrations');
    mkdirSync(before);
    for (const file of readdirSync(migrations).filter((f) => f < '004'))
      copyFileSync(join(migrations, file), join(before, file));
    const data = join(old, 'data');
    openStore(data, { migrationsDir: before, now: () => clock }).close();
    // Rows as the code before scopes wrote them.
    const sha256 = (value: string): string => createHash('sha256').update(value).digest('hex');
    const raw = new BetterSqlite3(join(data, databaseFileName));
    raw
      .prepare('INSERT INTO api_tokens (id, name, token_hash, prefix, created_at) VALUES (?, ?, ?, ?, ?)')
      .run('t1', 'old script', sha256('rst_old'), 'rst_old', 'x');
    const session = 'an-old-session-cookie';
    raw
      .prepare('INSERT INTO sessions (id, created_at, expires_at_ms) VALUES (?, ?, ?)')
      .run(sha256(session), 'x', clock + 60_000);
    raw.close();
    const upgraded = openStore(data, { now: () => clock });
    try {
      expect(upgraded.auth.checkToken('rst_old')).toBe('admin');
      expect(upgraded.auth.checkSession(session, 3600_000)).toBe(true);
    } finally {
      upgraded.close();
      rmSync(old, { recursive: true, force: true });
    }
  });
});
