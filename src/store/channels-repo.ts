import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Database } from 'better-sqlite3';
import { cleanStopActions, type CleanStopAction } from '../contract/index.js';
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
  /** The continuity settings this channel overrides; absent fields follow the server's defaults. */
  settings: ChannelSettings;
}

/**
 * A channel's own continuity settings, stored as JSON. The store keeps what it is given (the control
 * plane checks ranges); on reading, fields of the wrong type (a hand-edited database) are left out, so
 * they fall back to the defaults instead of reaching the engine.
 */
export interface ChannelSettings {
  /** No media for this long counts as a stall. */
  stallTimeoutMs?: number;
  /** Policy for a deliberate stop from OBS. */
  cleanStopAction?: CleanStopAction;
  /** With `fallback-then-end`: how long the fallback plays after a clean stop. */
  cleanStopGraceMs?: number;
  /** After a drop or stall: how long the fallback plays before the broadcast ends. */
  fallbackTimeoutMs?: number;
  /** Low-bitrate fallback rule, or null for off. */
  lowBitrate?: { thresholdKbps: number; windowMs: number } | null;
}

/** Changes to a channel: absent fields keep their value; `settings` fields replace the stored ones. */
export interface ChannelPatch {
  /** New display name. */
  name?: string;
  /** Settings to set (merged into the stored ones). */
  settings?: ChannelSettings;
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
  settings: string;
}

function isNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

/** The well-typed fields of a stored settings object (see ChannelSettings). */
function parseSettings(json: string): ChannelSettings {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    return {};
  }
  if (typeof raw !== 'object' || raw === null) return {};
  const r = raw as Record<string, unknown>;
  const settings: ChannelSettings = {};
  if (isNumber(r['stallTimeoutMs'])) settings.stallTimeoutMs = r['stallTimeoutMs'];
  const action = r['cleanStopAction'];
  if ((cleanStopActions as readonly unknown[]).includes(action))
    settings.cleanStopAction = action as CleanStopAction;
  if (isNumber(r['cleanStopGraceMs'])) settings.cleanStopGraceMs = r['cleanStopGraceMs'];
  if (isNumber(r['fallbackTimeoutMs'])) settings.fallbackTimeoutMs = r['fallbackTimeoutMs'];
  const low = r['lowBitrate'] as Record<string, unknown> | null | undefined;
  if (low === null) settings.lowBitrate = null;
  else if (typeof low === 'object' && isNumber(low['thresholdKbps']) && isNumber(low['windowMs']))
    settings.lowBitrate = { thresholdKbps: low['thresholdKbps'], windowMs: low['windowMs'] };
  return settings;
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
    settings: parseSettings(row.settings),
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
  create(input: { id: string; name: string; settings?: ChannelSettings }): Channel {
    try {
      this.#db
        .prepare(
          `INSERT INTO channels (id, name, ingest_key, preview_key, created_at, settings)
           VALUES (?, ?, ?, ?, ?, ?)`,
        )
        .run(
          input.id,
          input.name,
          newStreamKey(),
          newStreamKey(),
          new Date(this.#now()).toISOString(),
          JSON.stringify(input.settings ?? {}),
        );
    } catch (err) {
      throw this.#conflict(err, this.find(input.id) ? 'id' : 'name');
    }
    return this.get(input.id);
  }

  /**
   * Renames a channel and/or sets some of its settings, in one transaction; NOT_FOUND (field `id`),
   * CONFLICT (field `name`) for a name another channel has.
   */
  update(id: string, patch: ChannelPatch): Channel {
    this.#db.transaction(() => {
      const channel = this.find(id);
      if (!channel) throw new StoreError('NOT_FOUND', `no channel '${id}'`, { field: 'id' });
      const settings = { ...channel.settings, ...patch.settings };
      try {
        this.#db
          .prepare('UPDATE channels SET name = ?, settings = ? WHERE id = ?')
          .run(patch.name ?? channel.name, JSON.stringify(settings), id);
      } catch (err) {
        // The row itself exists: a unique violation here can only be the name.
        throw this.#conflict(err, 'name');
      }
    })();
    return this.get(id);
  }

  /** Creates the channel unless it exists (first start); returns it either way. */
  ensure(input: { id: string; name: string }): Channel {
    return this.find(input.id) ?? this.create(input);
  }

  /**
   * Deletes a channel and, by cascade, its destinations; NOT_FOUND when there is none, CONFLICT (field
   * `id`) for the only channel: an installation always has one to publish to.
   */
  remove(id: string): void {
    this.#db.transaction(() => {
      if (!this.find(id)) throw new StoreError('NOT_FOUND', `no channel '${id}'`, { field: 'channelId' });
      const { n } = this.#db.prepare('SELECT COUNT(*) AS n FROM channels').get() as { n: number };
      if (n <= 1) {
        throw new StoreError('CONFLICT', 'the only channel cannot be deleted; create another first', {
          field: 'id',
        });
      }
      this.#db.prepare('DELETE FROM channels WHERE id = ?').run(id);
    })();
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

  /** A unique violation as a CONFLICT naming the field; anything else as it was. */
  #conflict(err: unknown, field: 'id' | 'name'): unknown {
    if (!isUniqueViolation(err)) return err;
    return new StoreError('CONFLICT', `a channel with this ${field} exists`, { field, cause: err });
  }

  #rotate(id: string, column: 'ingest_key' | 'preview_key'): string {
    const key = newStreamKey();
    const result = this.#db.prepare(`UPDATE channels SET ${column} = ? WHERE id = ?`).run(key, id);
    if (result.changes === 0) throw new StoreError('NOT_FOUND', `no channel '${id}'`, { field: 'channelId' });
    return key;
  }
}
