import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Database } from 'better-sqlite3';
import { StoreError, isUniqueViolation } from './errors.js';

/** A channel: one ingest (what OBS publishes to) and one program fanned out to its destinations. */
export interface Channel {
  /** Stable id used in URLs and foreign keys, e.g. `'main'`. */
  id: string;
  /** Display name, unique (case-insensitive). */
  name: string;
  /** The stream key OBS publishes with (128-bit random, hex). */
  ingestKey: string;
  /** A separate key that may only `play` the program, or null when none is set. */
  previewKey: string | null;
  /** ISO-8601 creation time. */
  createdAt: string;
}

/** What a presented stream key opened: publishing to a channel, or watching its program. */
export interface KeyMatch {
  /** The channel the key belongs to. */
  channelId: string;
  /** `ingest` may publish and play; `preview` may only play. */
  role: 'ingest' | 'preview';
}

interface ChannelRow {
  id: string;
  name: string;
  ingest_key: string;
  preview_key: string | null;
  created_at: string;
}

/** A new random stream key: 128 bits, hex, so it survives any URL or config file unescaped. */
export function newStreamKey(): string {
  return randomBytes(16).toString('hex');
}

function toChannel(row: ChannelRow): Channel {
  return {
    id: row.id,
    name: row.name,
    ingestKey: row.ingest_key,
    previewKey: row.preview_key,
    createdAt: row.created_at,
  };
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/** Channels and their keys. */
export class ChannelsRepo {
  readonly #db: Database;
  readonly #now: () => number;

  constructor(db: Database, now: () => number) {
    this.#db = db;
    this.#now = now;
  }

  /** Every channel, oldest first. */
  list(): Channel[] {
    const rows = this.#db.prepare('SELECT * FROM channels ORDER BY created_at, id').all() as ChannelRow[];
    return rows.map(toChannel);
  }

  /** The channel, or undefined. */
  find(id: string): Channel | undefined {
    const row = this.#db.prepare('SELECT * FROM channels WHERE id = ?').get(id) as ChannelRow | undefined;
    return row && toChannel(row);
  }

  /** The channel; NOT_FOUND when there is none. */
  get(id: string): Channel {
    const channel = this.find(id);
    if (!channel) throw new StoreError('NOT_FOUND', `no channel '${id}'`, { field: 'channelId' });
    return channel;
  }

  /** Creates a channel with fresh ingest and preview keys; CONFLICT on a taken id or name. */
  create(input: { id: string; name: string }): Channel {
    try {
      this.#db
        .prepare(
          'INSERT INTO channels (id, name, ingest_key, preview_key, created_at) VALUES (?, ?, ?, ?, ?)',
        )
        .run(input.id, input.name, newStreamKey(), newStreamKey(), new Date(this.#now()).toISOString());
    } catch (err) {
      if (isUniqueViolation(err)) {
        const field = this.find(input.id) ? 'id' : 'name';
        throw new StoreError('CONFLICT', `a channel with this ${field} exists`, { field, cause: err });
      }
      throw err;
    }
    return this.get(input.id);
  }

  /** Creates the channel unless it exists (first start); returns it either way. */
  ensure(input: { id: string; name: string }): Channel {
    return this.find(input.id) ?? this.create(input);
  }

  /** Deletes a channel and, by cascade, its destinations; NOT_FOUND when there is none. */
  remove(id: string): void {
    const result = this.#db.prepare('DELETE FROM channels WHERE id = ?').run(id);
    if (result.changes === 0) throw new StoreError('NOT_FOUND', `no channel '${id}'`, { field: 'channelId' });
  }

  /** Replaces the channel's ingest key and returns the new one; the old one stops working at once. */
  rotateIngestKey(id: string): string {
    return this.#rotate(id, 'ingest_key');
  }

  /** Replaces the channel's preview key and returns the new one. */
  rotatePreviewKey(id: string): string {
    return this.#rotate(id, 'preview_key');
  }

  /**
   * Which channel a presented stream key opens, if any. Every stored key is compared, each in constant
   * time over fixed-length digests, so neither timing nor an index lookup tells a guesser how close it was.
   */
  matchKey(presented: string): KeyMatch | undefined {
    const wanted = digest(presented);
    let match: KeyMatch | undefined;
    for (const channel of this.list()) {
      if (timingSafeEqual(digest(channel.ingestKey), wanted))
        match ??= { channelId: channel.id, role: 'ingest' };
      const preview = channel.previewKey;
      if (preview !== null && timingSafeEqual(digest(preview), wanted)) {
        match ??= { channelId: channel.id, role: 'preview' };
      }
    }
    return match;
  }

  #rotate(id: string, column: 'ingest_key' | 'preview_key'): string {
    const key = newStreamKey();
    const result = this.#db.prepare(`UPDATE channels SET ${column} = ? WHERE id = ?`).run(key, id);
    if (result.changes === 0) throw new StoreError('NOT_FOUND', `no channel '${id}'`, { field: 'channelId' });
    return key;
  }
}
