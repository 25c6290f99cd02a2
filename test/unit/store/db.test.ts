import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { databaseFileName, openStore, StoreError, type Store } from '../../../src/store/index.js';

let dir: string;
const open: Store[] = [];

function openTracked(path: string): Store {
  const store = openStore(path);
  open.push(store);
  return store;
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'restream-store-'));
});

afterEach(() => {
  for (const store of open.splice(0)) store.close();
  rmSync(dir, { recursive: true, force: true });
});

const defaultMigrationsDir = fileURLToPath(new URL('../../../src/store/migrations/', import.meta.url));

describe('openStore', () => {
  it('creates the database in WAL mode with every migration recorded', () => {
    openTracked(dir).close();
    open.length = 0;
    const file = join(dir, databaseFileName);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const raw = new BetterSqlite3(file, { readonly: true });
    try {
      expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
      const versions = raw.prepare('SELECT version FROM schema_migrations').pluck().all();
      expect(versions).toEqual(
        readdirSync(defaultMigrationsDir)
          .filter((f) => f.endsWith('.sql'))
          .map((f) => f.replace(/\.sql$/, ''))
          .sort(),
      );
      expect(versions[0]).toBe('001-initial');
      const tables = raw
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .pluck()
        .all();
      expect(tables).toEqual(
        expect.arrayContaining(['api_tokens', 'channels', 'destinations', 'sessions', 'settings']),
      );
    } finally {
      raw.close();
    }
  });

  it("creates channel 'main' with a 128-bit ingest key on first start, and keeps it afterwards", () => {
    const first = openTracked(dir);
    const main = first.channels.get('main');
    expect(main.ingestKey).toMatch(/^[0-9a-f]{32}$/);
    expect(main.previewKey).toMatch(/^[0-9a-f]{32}$/);
    first.close();
    open.length = 0;
    const second = openTracked(dir);
    expect(second.channels.list()).toEqual([main]);
  });

  it('keeps every acknowledged write across a reopen, and does not re-run migrations', () => {
    const first = openTracked(dir);
    const created = first.destinations.create({
      channelId: 'main',
      name: 'Twitch',
      url: 'rtmp://live.twitch.tv/app',
      streamKey: 'live_123456789_abcdef',
    });
    first.settings.set('fallback', { mode: 'slate', seconds: 30 });
    first.close();
    open.length = 0;

    const second = openTracked(dir);
    expect(second.destinations.list()).toEqual([created]);
    expect(second.destinationsForChannel('main')[0]?.streamKey).toBe('live_123456789_abcdef');
    expect(second.settings.get('fallback')).toEqual({ mode: 'slate', seconds: 30 });
  });

  it('creates a missing data directory', () => {
    const nested = join(dir, 'a', 'b');
    openTracked(nested);
    expect(existsSync(join(nested, databaseFileName))).toBe(true);
  });

  it('works in memory with the same migrations', () => {
    const store = openTracked(':memory:');
    expect(store.channels.list().map((c) => c.id)).toEqual(['main']);
  });

  it('fails with STORE_FAILED when the migrations are missing (an incomplete build)', () => {
    const empty = join(dir, 'no-migrations');
    mkdirSync(empty);
    expect(() => openStore(join(dir, 'data'), { migrationsDir: empty })).toThrow(StoreError);
  });

  it('keeps a write acknowledged by a process that is then killed with SIGKILL', async () => {
    const storeModule = fileURLToPath(new URL('../../../src/store/index.ts', import.meta.url));
    const script = join(dir, 'writer.ts');
    writeFileSync(
      script,
      `import { openStore } from ${JSON.stringify(storeModule)};
       const store = openStore(${JSON.stringify(join(dir, 'data'))});
       store.destinations.create({ channelId: 'main', name: 'Kick', url: 'rtmps://kick.example/app', streamKey: 'k-123456789' });
       process.stdout.write('saved\\n');
       setInterval(() => undefined, 1000);`,
    );
    const child = spawn(process.execPath, ['--import', 'tsx', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('saved')) resolve();
      });
      child.on('exit', (code) => {
        reject(new Error(`writer exited early (${String(code)})`));
      });
    });
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('close', resolve));
    const store = openTracked(join(dir, 'data'));
    expect(store.destinations.list().map((d) => d.name)).toEqual(['Kick']);
  });
});
