import { randomBytes } from 'node:crypto';
import type { Database } from 'better-sqlite3';
import type { HistoryOutputFailureDto, HistorySessionDto, HistorySwitchDto } from '../contract/index.js';

// The store keeps a broadcast exactly as `GET /api/history` shows it, so its shapes are the contract's.
/** One change of a channel's wanted source during a broadcast. */
export type HistorySwitch = HistorySwitchDto;
/** A destination's connection failing during a broadcast. */
export type HistoryOutputFailure = HistoryOutputFailureDto;
/** One broadcast: a channel on air, from the first keyframe to the end. */
export type HistorySession = HistorySessionDto;

interface SessionRow {
  id: string;
  channel_id: string;
  started_at: string;
  start_reason: string;
  ended_at: string | null;
  end_reason: string | null;
}

interface SwitchRow {
  session_id: string;
  at: string;
  from_mode: string;
  to_mode: string;
  reason: string;
}

interface FailureRow {
  session_id: string;
  at: string;
  destination_id: string;
  destination_name: string;
  error: string;
}

/** Sessions kept per channel; older ones are deleted when a new one starts. */
const defaultKeepPerChannel = 1000;

/**
 * Broadcast sessions and what happened in them. Every write is its own statement (a transaction),
 * made as the event happens.
 */
export class HistoryRepo {
  readonly #db: Database;
  readonly #keepPerChannel: number;

  constructor(db: Database, keepPerChannel = defaultKeepPerChannel) {
    this.#db = db;
    this.#keepPerChannel = keepPerChannel;
  }

  /** Records a broadcast that starts now; returns its id. Prunes the channel's oldest sessions. */
  start(channelId: string, at: string, reason: string): string {
    const id = randomBytes(8).toString('hex');
    this.#db.transaction(() => {
      this.#db
        .prepare(
          `INSERT INTO broadcast_sessions (id, channel_id, started_at, start_reason, last_seen_at)
           VALUES (?, ?, ?, ?, ?)`,
        )
        .run(id, channelId, at, reason, at);
      this.#db
        .prepare(
          `DELETE FROM broadcast_sessions WHERE channel_id = ? AND id NOT IN (
             SELECT id FROM broadcast_sessions WHERE channel_id = ?
             ORDER BY started_at DESC, rowid DESC LIMIT ?)`,
        )
        .run(channelId, channelId, this.#keepPerChannel);
    })();
    return id;
  }

  /** Records the end of a session (a session already ended keeps its first end). */
  end(sessionId: string, at: string, reason: string): void {
    this.#db
      .prepare(
        'UPDATE broadcast_sessions SET ended_at = ?, end_reason = ?, last_seen_at = ? WHERE id = ? AND ended_at IS NULL',
      )
      .run(at, reason, at, sessionId);
  }

  /** Marks open sessions as alive at `at` (what a crash will record as their end). */
  touch(sessionIds: readonly string[], at: string): void {
    const update = this.#db.prepare('UPDATE broadcast_sessions SET last_seen_at = ? WHERE id = ?');
    this.#db.transaction(() => {
      for (const id of sessionIds) update.run(at, id);
    })();
  }

  /**
   * Sessions left open by a server that died: each ends at the last time it was seen alive, as
   * `interrupted`. Returns how many there were. Call once at start, before anything goes on air.
   */
  closeInterrupted(): number {
    return this.#db
      .prepare(
        `UPDATE broadcast_sessions SET ended_at = last_seen_at, end_reason = 'interrupted'
         WHERE ended_at IS NULL`,
      )
      .run().changes;
  }

  /** Records a switch; false when the session no longer exists (its channel was deleted). */
  addSwitch(sessionId: string, sw: HistorySwitch): boolean {
    return (
      this.#db
        .prepare(
          `INSERT INTO broadcast_switches (session_id, at, from_mode, to_mode, reason)
           SELECT id, ?, ?, ?, ? FROM broadcast_sessions WHERE id = ?`,
        )
        .run(sw.at, sw.from, sw.to, sw.reason, sessionId).changes > 0
    );
  }

  /** Records an output failure; false when the session no longer exists. */
  addOutputFailure(sessionId: string, failure: HistoryOutputFailure): boolean {
    return (
      this.#db
        .prepare(
          `INSERT INTO broadcast_output_failures (session_id, at, destination_id, destination_name, error)
           SELECT id, ?, ?, ?, ? FROM broadcast_sessions WHERE id = ?`,
        )
        .run(failure.at, failure.destinationId, failure.destinationName, failure.error, sessionId).changes > 0
    );
  }

  /** Sessions, newest first, of one channel or all, with their switches and failures. */
  list(options: { channelId?: string; limit: number }): HistorySession[] {
    const rows = (
      options.channelId === undefined
        ? this.#db
            .prepare('SELECT * FROM broadcast_sessions ORDER BY started_at DESC, rowid DESC LIMIT ?')
            .all(options.limit)
        : this.#db
            .prepare(
              'SELECT * FROM broadcast_sessions WHERE channel_id = ? ORDER BY started_at DESC, rowid DESC LIMIT ?',
            )
            .all(options.channelId, options.limit)
    ) as SessionRow[];
    if (rows.length === 0) return [];
    const ids = rows.map((row) => row.id);
    const marks = ids.map(() => '?').join(', ');
    const switches = this.#db
      .prepare(`SELECT * FROM broadcast_switches WHERE session_id IN (${marks}) ORDER BY id`)
      .all(...ids) as SwitchRow[];
    const failures = this.#db
      .prepare(`SELECT * FROM broadcast_output_failures WHERE session_id IN (${marks}) ORDER BY id`)
      .all(...ids) as FailureRow[];
    const sessions = new Map<string, HistorySession>(
      rows.map((row) => [
        row.id,
        {
          id: row.id,
          channelId: row.channel_id,
          startedAt: row.started_at,
          startReason: row.start_reason,
          endedAt: row.ended_at,
          endReason: row.end_reason,
          switches: [],
          outputFailures: [],
        },
      ]),
    );
    for (const row of switches) {
      sessions.get(row.session_id)?.switches.push({
        at: row.at,
        from: row.from_mode,
        to: row.to_mode,
        reason: row.reason,
      });
    }
    for (const row of failures) {
      sessions.get(row.session_id)?.outputFailures.push({
        at: row.at,
        destinationId: row.destination_id,
        destinationName: row.destination_name,
        error: row.error,
      });
    }
    return [...sessions.values()];
  }
}
