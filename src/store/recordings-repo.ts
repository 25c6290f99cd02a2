import type { Database } from 'better-sqlite3';
import type { RecordingState } from '../contract/index.js';

/** One recorded broadcast. */
export interface Recording {
  id: string;
  channelId: string;
  /** File name inside the recordings directory. */
  file: string;
  /** ISO-8601 times. */
  startedAt: string;
  endedAt: string | null;
  durationMs: number;
  bytes: number;
  state: RecordingState;
}

interface RecordingRow {
  id: string;
  channel_id: string;
  file: string;
  started_at: string;
  ended_at: string | null;
  duration_ms: number;
  bytes: number;
  state: RecordingState;
}

function toRecording(row: RecordingRow): Recording {
  return {
    id: row.id,
    channelId: row.channel_id,
    file: row.file,
    startedAt: row.started_at,
    endedAt: row.ended_at,
    durationMs: row.duration_ms,
    bytes: row.bytes,
    state: row.state,
  };
}

/** The recordings table. */
export class RecordingsRepo {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  /** Every recording (or one channel's), newest first. */
  list(channelId?: string): Recording[] {
    const rows =
      channelId === undefined
        ? this.#db.prepare('SELECT * FROM recordings ORDER BY started_at DESC, id').all()
        : this.#db
            .prepare('SELECT * FROM recordings WHERE channel_id = ? ORDER BY started_at DESC, id')
            .all(channelId);
    return (rows as RecordingRow[]).map(toRecording);
  }

  find(id: string): Recording | undefined {
    const row = this.#db.prepare('SELECT * FROM recordings WHERE id = ?').get(id) as RecordingRow | undefined;
    return row && toRecording(row);
  }

  create(recording: Pick<Recording, 'id' | 'channelId' | 'file' | 'startedAt'>): Recording {
    this.#db
      .prepare(
        `INSERT INTO recordings (id, channel_id, file, started_at, state) VALUES (?, ?, ?, ?, 'recording')`,
      )
      .run(recording.id, recording.channelId, recording.file, recording.startedAt);
    const created = this.find(recording.id);
    if (!created) throw new Error(`recording ${recording.id} vanished after insert`);
    return created;
  }

  /** Sets some fields of a recording. */
  update(id: string, patch: Partial<Pick<Recording, 'endedAt' | 'durationMs' | 'bytes' | 'state'>>): void {
    const current = this.find(id);
    if (!current) return;
    const next = { ...current, ...patch };
    this.#db
      .prepare('UPDATE recordings SET ended_at = ?, duration_ms = ?, bytes = ?, state = ? WHERE id = ?')
      .run(next.endedAt, next.durationMs, next.bytes, next.state, id);
  }

  remove(id: string): boolean {
    return this.#db.prepare('DELETE FROM recordings WHERE id = ?').run(id).changes > 0;
  }
}
