/** Temporary directories for peers' configs and recordings, removed when the test (or process) ends. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onProcessExit, registerTestCleanup } from './process.js';

const pending = new Set<string>();
let hookInstalled = false;

/** Keep peers' files for a post-mortem: `KEEP_PEER_FILES=1 npx vitest run ...`. */
export const keepPeerFiles = process.env.KEEP_PEER_FILES === '1';

/**
 * A fresh directory under the OS temp dir. Removed when the current test finishes (or, outside a
 * test or with `lifetime: 'process'`, when the process exits), unless KEEP_PEER_FILES=1.
 */
export function makeTempDir(prefix: string, lifetime: 'test' | 'process' = 'test'): string {
  const dir = mkdtempSync(join(tmpdir(), `restream-${prefix}-`));
  if (keepPeerFiles) return dir;
  pending.add(dir);
  if (!hookInstalled) {
    hookInstalled = true;
    onProcessExit(() => {
      for (const d of pending) removeDir(d);
    });
  }
  if (lifetime === 'test')
    registerTestCleanup(() => {
      removeDir(dir);
      return Promise.resolve();
    });
  return dir;
}

/** Remove a directory made by {@link makeTempDir} now. */
export function removeDir(dir: string): void {
  pending.delete(dir);
  rmSync(dir, { recursive: true, force: true });
}
