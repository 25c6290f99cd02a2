import { randomBytes } from 'node:crypto';
import type { Database } from 'better-sqlite3';
import type { PlatformDto } from '../contract/index.js';
import { maskSecret } from '../shared/logger.js';
import { StoreError, isUniqueViolation } from './errors.js';

/**
 * A destination (platform) as everyone but the engine sees it: the stream key only masked, so that no
 * code path outside the store can hand a whole key to a response or a log by mistake. It is exactly the
 * API's platform shape, so it is declared once, in the contract.
 */
export type Destination = PlatformDto;

/** A destination with its whole stream key: what the engine needs to connect, and nothing else gets. */
export interface DestinationWithKey extends Destination {
  /** The whole stream key. */
  streamKey: string;
}

/** Fields of a new destination. */
export interface NewDestination {
  /** Channel to attach to. */
  channelId: string;
  /** Display name. */
  name: string;
  /** Server URL. */
  url: string;
  /** The platform's stream key. */
  streamKey: string;
  /** Defaults to true. */
  enabled?: boolean;
  /** The platform preset it is made from; null or absent for none. */
  preset?: string | null;
}

/** A partial update; absent fields keep their value (`preset: null` clears it). */
export type DestinationPatch = Partial<NewDestination>;

interface DestinationRow {
  id: string;
  channel_id: string;
  name: string;
  url: string;
  stream_key: string;
  enabled: number;
  created_at: string;
  updated_at: string;
  preset: string | null;
}

function toDestinationWithKey(row: DestinationRow): DestinationWithKey {
  const destination: DestinationWithKey = {
    id: row.id,
    channelId: row.channel_id,
    name: row.name,
    url: row.url,
    streamKeyMasked: maskSecret(row.stream_key),
    enabled: row.enabled === 1,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    streamKey: row.stream_key,
  };
  if (row.preset !== null) destination.preset = row.preset;
  return destination;
}

function toDestination(row: DestinationRow): Destination {
  const { streamKey: _key, ...rest } = toDestinationWithKey(row);
  return rest;
}

/** Destinations (platforms) of channels. */
export class DestinationsRepo {
  readonly #db: Database;
  readonly #now: () => number;

  constructor(db: Database, now: () => number) {
    this.#db = db;
    this.#now = now;
  }

  /** Destinations of one channel, or of all, in creation order. */
  list(channelId?: string): Destination[] {
    return this.#rows(channelId).map(toDestination);
  }

  /** Destinations of a channel with whole stream keys, for the engine only (see Store). */
  listWithKeys(channelId: string): DestinationWithKey[] {
    return this.#rows(channelId).map(toDestinationWithKey);
  }

  /** The destination; NOT_FOUND when there is none. */
  get(id: string): Destination {
    return toDestination(this.#row(id));
  }

  /** Number of destinations per channel id (channels without any are absent). */
  countByChannel(): Map<string, number> {
    const rows = this.#db
      .prepare('SELECT channel_id, COUNT(*) AS n FROM destinations GROUP BY channel_id')
      .all() as { channel_id: string; n: number }[];
    return new Map(rows.map((r) => [r.channel_id, r.n]));
  }

  /** Adds a destination; NOT_FOUND (field channelId) for an unknown channel, CONFLICT (field name). */
  create(input: NewDestination): Destination {
    const id = randomBytes(6).toString('hex');
    const at = new Date(this.#now()).toISOString();
    this.#write(input.channelId, () =>
      this.#db
        .prepare(
          `INSERT INTO destinations (id, channel_id, name, url, stream_key, enabled, created_at, updated_at, preset)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          id,
          input.channelId,
          input.name,
          input.url,
          input.streamKey,
          input.enabled === false ? 0 : 1,
          at,
          at,
          input.preset ?? null,
        ),
    );
    return this.get(id);
  }

  /** Changes the given fields; returns the destination before and after (the channel may change). */
  update(id: string, patch: DestinationPatch): { before: Destination; after: Destination } {
    const row = this.#row(id);
    const next: DestinationRow = {
      ...row,
      channel_id: patch.channelId ?? row.channel_id,
      name: patch.name ?? row.name,
      url: patch.url ?? row.url,
      stream_key: patch.streamKey ?? row.stream_key,
      enabled: patch.enabled === undefined ? row.enabled : patch.enabled ? 1 : 0,
      updated_at: new Date(this.#now()).toISOString(),
      preset: patch.preset === undefined ? row.preset : patch.preset,
    };
    this.#write(next.channel_id, () =>
      this.#db
        .prepare(
          `UPDATE destinations
           SET channel_id = ?, name = ?, url = ?, stream_key = ?, enabled = ?, updated_at = ?, preset = ?
           WHERE id = ?`,
        )
        .run(
          next.channel_id,
          next.name,
          next.url,
          next.stream_key,
          next.enabled,
          next.updated_at,
          next.preset,
          id,
        ),
    );
    return { before: toDestination(row), after: this.get(id) };
  }

  /** Deletes a destination and returns what it was; NOT_FOUND when there is none. */
  remove(id: string): Destination {
    const row = this.#row(id);
    this.#db.prepare('DELETE FROM destinations WHERE id = ?').run(id);
    return toDestination(row);
  }

  #rows(channelId?: string): DestinationRow[] {
    const sql = 'SELECT * FROM destinations';
    const order = ' ORDER BY created_at, rowid';
    return (
      channelId === undefined
        ? this.#db.prepare(sql + order).all()
        : this.#db.prepare(`${sql} WHERE channel_id = ?${order}`).all(channelId)
    ) as DestinationRow[];
  }

  #row(id: string): DestinationRow {
    const row = this.#db.prepare('SELECT * FROM destinations WHERE id = ?').get(id) as
      DestinationRow | undefined;
    if (!row) throw new StoreError('NOT_FOUND', `no platform '${id}'`, { field: 'id' });
    return row;
  }

  /** Runs a write, turning constraint failures into errors that name the field at fault. */
  #write(channelId: string, write: () => unknown): void {
    this.#db.transaction(() => {
      // Checked first (not left to the foreign key) so that the error can say which field is wrong.
      if (!this.#db.prepare('SELECT 1 FROM channels WHERE id = ?').get(channelId)) {
        throw new StoreError('NOT_FOUND', `no channel '${channelId}'`, { field: 'channelId' });
      }
      try {
        write();
      } catch (err) {
        if (isUniqueViolation(err)) {
          throw new StoreError('CONFLICT', 'a platform with this name exists in the channel', {
            field: 'name',
            cause: err,
          });
        }
        throw err;
      }
    })();
  }
}
