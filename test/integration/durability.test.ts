/**
 * kill -9 during a burst of API writes: every write the API acknowledged (201) is there after a restart
 * on the same data directory, the database passes SQLite's integrity check, and every row is whole.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { databaseFileName } from '../../src/store/index.js';
import { startServerProcess, type ServerProcess } from '../helpers/server-process.js';

interface Platform {
  id: string;
  name: string;
  url: string;
  streamKeyMasked: string;
}

interface DestinationRow {
  id: string;
  channel_id: string;
  name: string;
  url: string;
  stream_key: string;
  enabled: number;
  created_at: string;
  updated_at: string;
}

const burstSize = 200;
/** SIGKILL once this many creations have been acknowledged, with the rest still in flight. */
const killAfterAcks = 40;

/** What request `i` sends: its key is unique to it, so a row can be checked field against field. */
function input(run: string, i: number): { name: string; url: string; streamKey: string } {
  return {
    name: `burst-${i}`,
    url: `rtmp://127.0.0.1:9/app${i}`,
    streamKey: `key-${i}-${run}`,
  };
}

/** Opens the database read-only (no recovery written, no journal touched) and reads what we check. */
function inspect(dataDir: string): { integrity: string; foreignKeyErrors: number; rows: DestinationRow[] } {
  const db = new BetterSqlite3(join(dataDir, databaseFileName), { readonly: true, fileMustExist: true });
  try {
    const integrity = (db.pragma('integrity_check') as { integrity_check: string }[])
      .map((r) => r.integrity_check)
      .join('; ');
    const foreignKeyErrors = (db.pragma('foreign_key_check') as unknown[]).length;
    const rows = db.prepare('SELECT * FROM destinations').all() as DestinationRow[];
    return { integrity, foreignKeyErrors, rows };
  } finally {
    db.close();
  }
}

/** Every row is one request's, complete: its url and key are exactly that request's. */
function expectWholeRows(rows: readonly DestinationRow[], run: string): void {
  for (const row of rows) {
    const i = Number(/^burst-(\d+)$/.exec(row.name)?.[1] ?? NaN);
    expect(Number.isInteger(i) && i >= 0 && i < burstSize, `row ${row.name}`).toBe(true);
    const sent = input(run, i);
    expect(row).toMatchObject({ channel_id: 'main', url: sent.url, stream_key: sent.streamKey, enabled: 1 });
    expect(Number.isNaN(Date.parse(row.created_at))).toBe(false);
    expect(Number.isNaN(Date.parse(row.updated_at))).toBe(false);
  }
  expect(new Set(rows.map((r) => r.name)).size).toBe(rows.length);
}

describe('durability', () => {
  it('loses no acknowledged write to kill -9 mid-burst and leaves a consistent database', async () => {
    const run = randomBytes(6).toString('hex');
    // 200 requests at once open 200 connections from one address: over the per-address cap (32),
    // which is not what this test is about.
    const server: ServerProcess = await startServerProcess({
      env: { HTTP_MAX_CONNECTIONS_PER_ADDRESS: String(burstSize) },
    });

    const acknowledged = new Map<number, string>();
    let failed = 0;
    let killed = false;
    const requests = Array.from({ length: burstSize }, async (_, i) => {
      try {
        const answer = await server.api<Platform>('POST', '/api/platforms', input(run, i));
        if (answer.status !== 201) throw new Error(`${answer.status} ${answer.text}`);
        acknowledged.set(i, answer.body.id);
        if (!killed && acknowledged.size >= killAfterAcks) {
          killed = true;
          server.signal('SIGKILL');
        }
      } catch {
        // Cut off by the kill: not acknowledged, so it may or may not have been saved.
        failed++;
      }
    });
    await Promise.all(requests);
    const exit = await server.waitForExit(5000);
    expect(exit.signal).toBe('SIGKILL');
    // The kill really came mid-burst.
    expect(acknowledged.size).toBeGreaterThanOrEqual(killAfterAcks);
    expect(failed).toBeGreaterThan(0);

    // The database as the crash left it (WAL not yet replayed into the main file by anyone).
    const crashed = inspect(server.dataDir);
    expect(crashed.integrity).toBe('ok');
    expect(crashed.foreignKeyErrors).toBe(0);
    expectWholeRows(crashed.rows, run);

    const restarted = await startServerProcess({ dataDir: server.dataDir });
    const listed = await restarted.api<Platform[]>('GET', '/api/platforms');
    expect(listed.status).toBe(200);
    const byId = new Map(listed.body.map((p) => [p.id, p]));
    for (const [i, id] of acknowledged) {
      const sent = input(run, i);
      expect(byId.get(id), `acknowledged ${sent.name} (${id})`).toMatchObject({
        name: sent.name,
        url: sent.url,
        streamKeyMasked: `****${sent.streamKey.slice(-4)}`,
      });
    }
    // The restarted server still takes writes.
    const after = await restarted.api('POST', '/api/platforms', input(run, burstSize - 1));
    expect([201, 409]).toContain(after.status);

    expect(await restarted.stop()).toEqual({ code: 0, signal: null });
    const final = inspect(server.dataDir);
    expect(final.integrity).toBe('ok');
    expect(final.foreignKeyErrors).toBe(0);
    expectWholeRows(final.rows, run);
    for (const id of acknowledged.values()) expect(final.rows.some((r) => r.id === id)).toBe(true);
    expect(final.rows.length).toBeGreaterThanOrEqual(acknowledged.size);
  });
});
