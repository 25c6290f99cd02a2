/**
 * What the dashboard tests need besides the server: the built web app (dist/web, as `npm run build`
 * makes it) and Debian's Chromium driven by playwright-core (never a browser download).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { findProgram } from '../helpers/programs.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
/** The built dashboard the server serves (src/api/static-routes.ts). */
export const webDist = join(root, 'dist', 'web');

/** Newest mtime under `path` (a file or a folder). */
function newest(path: string): number {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let max = stat.mtimeMs;
  for (const entry of readdirSync(path)) max = Math.max(max, newest(join(path, entry)));
  return max;
}

/**
 * Builds web/ into dist/web when the build is missing or older than its sources (CI has just run
 * `npm run build`, so there it is only checked). Throws with Vite's output when the build fails.
 */
export function ensureWebBuilt(): void {
  const index = join(webDist, 'index.html');
  const sources = Math.max(
    newest(join(root, 'web', 'src')),
    newest(join(root, 'web', 'public')),
    newest(join(root, 'web', 'index.html')),
    newest(join(root, 'web', 'vite.config.ts')),
    newest(join(root, 'src', 'api', 'dto.ts')),
  );
  if (existsSync(index) && statSync(index).mtimeMs >= sources) return;
  const vite = join(root, 'node_modules', 'vite', 'bin', 'vite.js');
  const result = spawnSync(
    process.execPath,
    [vite, 'build', '--config', 'web/vite.config.ts', '--logLevel', 'warn'],
    {
      cwd: root,
      encoding: 'utf8',
    },
  );
  if (result.status !== 0) {
    throw new Error(
      `vite build of the dashboard failed (exit ${result.status}):\n${result.stdout}\n${result.stderr}`,
    );
  }
}

/** Debian's Chromium (or CHROMIUM_PATH), if installed. */
export function findChromium(): string | undefined {
  const fromEnv = process.env.CHROMIUM_PATH;
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  return findProgram('chromium', 'chromium-browser');
}

/**
 * Why the dashboard suite cannot run here ('' when it can). Under CI (CI=true) always '': .ci/run
 * installs chromium, so a missing browser must fail the run, not skip it.
 */
export function browserSkipReason(): string {
  if (process.env.CI === 'true') return '';
  return findChromium() === undefined ? 'missing: chromium (apt-get install chromium)' : '';
}

/** Headless Chromium with the flags this machine needs (no network beyond loopback, no GPU, root). */
export async function launchChromium(): Promise<Browser> {
  const executablePath = findChromium();
  if (executablePath === undefined) throw new Error('chromium not found (Debian package chromium)');
  // playwright gives each launch a fresh temporary profile (--user-data-dir) of its own.
  return chromium.launch({
    executablePath,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
