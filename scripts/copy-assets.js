#!/usr/bin/env node
// Copies the files tsc does not emit into dist/: the store's SQL migrations, which db.ts loads at run
// time from `new URL('./migrations/', import.meta.url)`. Run after `tsc` in the build script.
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const assets = [{ from: 'src/store/migrations', to: 'dist/store/migrations', suffix: '.sql' }];

for (const { from, to, suffix } of assets) {
  const files = readdirSync(join(root, from)).filter((name) => name.endsWith(suffix));
  if (files.length === 0) throw new Error(`copy-assets: nothing to copy in ${from}`);
  mkdirSync(join(root, to), { recursive: true });
  for (const name of files) copyFileSync(join(root, from, name), join(root, to, name));
  console.log(`copy-assets: ${files.length} file(s) ${from} -> ${to}`);
}
