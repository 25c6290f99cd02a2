#!/usr/bin/env node
// Builds dist/ when it is missing or older than any file under src/ (TypeScript, SQL migrations, any
// asset) or the build's tsconfig: what `npm start`, `npm run bench` and `npm run fuzz` run first, so a
// fresh clone or an edited source never runs stale code. Plain ESM, no dependencies.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const mainJs = join(root, 'dist', 'main.js');
// tsc's incremental build leaves unchanged outputs alone (and a changed .sql emits nothing), so the
// stamp of the last successful build is this file's mtime, not only dist/main.js's.
const stamp = join(root, 'dist', '.ensure-built');

/** Newest mtime (ms) of any file or folder under `dir` (a folder's changes when a file is removed). */
function newestUnder(dir) {
  if (!existsSync(dir)) return 0;
  let newest = statSync(dir).mtimeMs;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestUnder(path));
    else if (entry.isFile()) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

function mtime(path) {
  return existsSync(path) ? statSync(path).mtimeMs : 0;
}

/** Why a build is needed, or '' when dist/ is up to date. */
function staleReason() {
  if (!existsSync(mainJs)) return 'dist/main.js is missing';
  const built = Math.max(mtime(mainJs), mtime(stamp));
  // src/store/migrations/*.sql are under src/ too, so the walk covers them.
  if (newestUnder(join(root, 'src')) > built) return 'src/ changed since the last build';
  for (const config of ['tsconfig.build.json', 'tsconfig.json', 'package.json']) {
    if (mtime(join(root, config)) > built) return `${config} changed since the last build`;
  }
  return '';
}

function run(command, args) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit' });
  if (result.error) {
    console.error(`ensure-built: could not run ${command}: ${result.error.message}`);
    process.exit(1);
  }
  if (result.status !== 0) {
    console.error(
      `ensure-built: ${command} ${args.join(' ')} failed (exit ${result.status ?? result.signal})`,
    );
    process.exit(result.status ?? 1);
  }
}

const reason = staleReason();
if (reason !== '') {
  console.error(`ensure-built: building (${reason})`);
  // The project's own tsc, without npx's lookups, when installed; npx otherwise.
  const localTsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  if (existsSync(localTsc)) run(process.execPath, [localTsc, '-p', 'tsconfig.build.json']);
  else run(process.platform === 'win32' ? 'npx.cmd' : 'npx', ['tsc', '-p', 'tsconfig.build.json']);
  const copyAssets = join(root, 'scripts', 'copy-assets.js');
  if (existsSync(copyAssets)) run(process.execPath, [copyAssets]);
  if (!existsSync(mainJs)) {
    console.error('ensure-built: the build finished but dist/main.js is missing');
    process.exit(1);
  }
  writeFileSync(stamp, `${new Date().toISOString()}\n`);
}
