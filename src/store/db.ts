import { chmodSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import BetterSqlite3, { type Database } from 'better-sqlite3';
import type { Logger } from '../shared/logger.js';
import { AuthRepo } from './auth-repo.js';
import { ChannelsRepo } from './channels-repo.js';
import { DestinationsRepo, type DestinationWithKey } from './destinations-repo.js';
import { StoreError } from './errors.js';
import { SettingsRepo } from './settings-repo.js';
import { HistoryRepo } from './history-repo.js';
import { RecordingsRepo } from './recordings-repo.js';
import { WebhooksRepo } from './webhooks-repo.js';

/** File name of the database inside the data directory. */
export const databaseFileName = 'restream.db';

/** The channel every installation has from its first start. */
export const defaultChannel = { id: 'main', name: 'Main' } as const;

/** Options of `openStore`. */
export interface StoreOptions {
  /** Wall-clock milliseconds for timestamps and session expiry (tests inject a fake). */
  now?: () => number;
  /** Where migrations are reported. */
  logger?: Logger;
  /** Directory of the `*.sql` migrations (defaults to the one next to this module). */
  migrationsDir?: string;
}

/** The configuration database and its repositories. */
export interface Store {
  /** Channels and their ingest/preview keys. */
  readonly channels: ChannelsRepo;
  /** Destinations (platforms), with stream keys masked. */
  readonly destinations: DestinationsRepo;
  /** JSON key/value settings. */
  readonly settings: SettingsRepo;
  /** Admin password, API tokens, sessions. */
  readonly auth: AuthRepo;
  /** Broadcast sessions with their switches and output failures. */
  readonly history: HistoryRepo;
  readonly recordings: RecordingsRepo;
  /** Outgoing webhooks, per channel. */
  readonly webhooks: WebhooksRepo;
  /**
   * A channel's destinations with whole stream keys, for the engine to connect with: the only way a
   * whole platform key leaves the store.
   */
  destinationsForChannel(channelId: string): DestinationWithKey[];
  /** Closes the database; the store is unusable afterwards. */
  close(): void;
}

const defaultMigrationsDir = fileURLToPath(new URL('./migrations/', import.meta.url));

/**
 * Opens (creating if needed) the database in `dataDir`, or an in-memory one for `':memory:'`, applies
 * pending migrations and creates the default channel when there is no channel at all.
 */
export function openStore(dataDir: string, options: StoreOptions = {}): Store {
  const now = options.now ?? Date.now;
  let db: Database;
  if (dataDir === ':memory:') {
    db = new BetterSqlite3(':memory:');
  } else {
    // Stream keys live in here: keep the directory and file private to the server's user.
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const file = join(dataDir, databaseFileName);
    db = new BetterSqlite3(file);
    try {
      chmodSync(file, 0o600);
    } catch {
      // Not ours to chmod (e.g. a read-only mount): the file works all the same.
    }
  }
  try {
    db.pragma('journal_mode = WAL');
    // FULL, not NORMAL: with WAL, NORMAL may lose the last commits on power loss or kill -9 of the host;
    // an acknowledged "platform saved" must survive. Writes here are rare, so the fsync costs nothing.
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    migrate(db, options.migrationsDir ?? defaultMigrationsDir, options.logger);
  } catch (err) {
    db.close();
    throw new StoreError('STORE_FAILED', `cannot open the database in ${dataDir}`, { cause: err });
  }

  const settings = new SettingsRepo(db);
  const channels = new ChannelsRepo(db, now);
  const destinations = new DestinationsRepo(db, now);
  const auth = new AuthRepo(db, settings, now);
  // Only on a fresh database: a 'main' the admin deleted (with other channels left) stays deleted.
  if (channels.list().length === 0) channels.ensure(defaultChannel);
  return {
    channels,
    destinations,
    settings,
    auth,
    history: new HistoryRepo(db),
    recordings: new RecordingsRepo(db),
    webhooks: new WebhooksRepo(db, now),
    destinationsForChannel: (channelId) => destinations.listWithKeys(channelId),
    close: () => {
      db.close();
    },
  };
}

/**
 * Applies every `NNN-name.sql` file not yet recorded in `schema_migrations`, in name order, each in its
 * own transaction with its record, so a crash mid-migration leaves the previous schema intact.
 */
function migrate(db: Database, dir: string, logger: Logger | undefined): void {
  db.exec(
    'CREATE TABLE IF NOT EXISTS schema_migrations (version TEXT PRIMARY KEY, applied_at TEXT NOT NULL)',
  );
  const applied = new Set(
    (db.prepare('SELECT version FROM schema_migrations').all() as { version: string }[]).map(
      (r) => r.version,
    ),
  );
  const files = readdirSync(dir)
    .filter((name) => /^\d+-[\w-]+\.sql$/.test(name))
    .sort();
  if (files.length === 0) throw new Error(`no migrations in ${dir} (were they copied into the build?)`);
  const record = db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)');
  for (const file of files) {
    const version = file.slice(0, -'.sql'.length);
    if (applied.has(version)) continue;
    const sql = readFileSync(join(dir, file), 'utf8');
    db.transaction(() => {
      db.exec(sql);
      record.run(version, new Date().toISOString());
    })();
    logger?.info({ version }, 'database migration applied');
  }
}
