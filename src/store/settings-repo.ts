import type { Database } from 'better-sqlite3';

/** Key/value settings; values are stored as JSON. */
export class SettingsRepo {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  /** The parsed value, or undefined when the key is unset. */
  get(key: string): unknown {
    const row = this.#db.prepare('SELECT value FROM settings WHERE key = ?').get(key) as
      { value: string } | undefined;
    return row === undefined ? undefined : (JSON.parse(row.value) as unknown);
  }

  /** Sets a value (anything JSON can hold; `undefined` is not). */
  set(key: string, value: unknown): void {
    const json = JSON.stringify(value) as string | undefined;
    if (json === undefined) throw new TypeError(`setting '${key}': value is not JSON-serialisable`);
    this.#db
      .prepare(
        'INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
      )
      .run(key, json);
  }

  /** Removes a key; true when it existed. */
  delete(key: string): boolean {
    return this.#db.prepare('DELETE FROM settings WHERE key = ?').run(key).changes > 0;
  }
}
